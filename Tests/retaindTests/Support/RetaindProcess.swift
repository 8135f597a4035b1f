import Foundation

/// Runs the built `retaind` binary, as a user or script would.
struct RetaindProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The `retaind` executable beside the test bundle in the build directory.
    static let executable: String = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var dir = bundle
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("retaind")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate.path
            }
            dir.deleteLastPathComponent()
        }
        return bundle.appendingPathComponent("retaind").path
    }()

    /// Runs `retaind arguments`, with `environment` added to this process's; `wrapper`
    /// (such as `/usr/bin/time -f %M -o FILE`) runs it instead when given.
    static func run(_ arguments: [String], environment: [String: String] = [:], wrapper: [String] = []) throws -> Result {
        let command = wrapper + [executable] + arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}
