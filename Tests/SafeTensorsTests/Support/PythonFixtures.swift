import Foundation

/// Runs `tools/testing/st_fixtures.py`: the Python `safetensors` package as the
/// independent implementation the round-trip tests compare against.
enum PythonFixtures {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs the script with `arguments` and returns its standard output.
    @discardableResult
    static func run(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repositoryRoot + "/tools/testing/st_fixtures.py"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "st_fixtures.py \(arguments.joined(separator: " ")) failed (needs numpy and safetensors: `make test` installs them):\n" + String(decoding: errors, as: UTF8.self))
        }
        return data
    }

    /// Expected tensors as the script prints them: name → (shape, values).
    struct Tensor: Decodable {
        let shape: [Int]
        let values: [Double]
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(T.self, from: data)
    }
}
