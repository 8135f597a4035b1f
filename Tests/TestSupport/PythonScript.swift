import Foundation

/// Runs the repository's Python tools (the independent references the tests compare
/// against) and returns what they print.
public enum PythonScript {
    /// The repository's root directory.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `python3 <repositoryRoot>/<script> arguments…`; throws with its stderr on failure.
    @discardableResult
    public static func run(_ script: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repositoryRoot + "/" + script] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(script) \(arguments.joined(separator: " ")) failed (it needs numpy and safetensors; `make test` installs them):\n"
                          + String(decoding: errors, as: UTF8.self))
        }
        return data
    }

    /// Decodes JSON that may spell non-finite numbers "inf", "-inf", "nan".
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(T.self, from: data)
    }
}
