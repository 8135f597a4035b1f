import Foundation

/// Debian's Prometheus tools, run for real: `promtool` checks expositions and rules,
/// `prometheus-node-exporter` serves a textfile directory over HTTP.
public enum PrometheusTools {
    /// Whether `promtool` is installed (scripts/setup.sh installs it).
    public static var hasPromtool: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") }
    /// Whether `prometheus-node-exporter` is installed.
    public static var hasNodeExporter: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus-node-exporter") }

    /// What a promtool run printed and how it exited.
    public struct Result: Sendable {
        public let status: Int32
        public let output: String
    }

    /// Runs `promtool arguments…`, with `input` on its standard input.
    public static func promtool(_ arguments: [String], input: String? = nil, directory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// A node_exporter with only the textfile collector, on a free loopback port.
    public final class NodeExporter {
        public let port: Int
        private let process: Process

        /// Starts one reading `directory`; waits until it answers.
        public init(textfileDirectory directory: String) throws {
            var lastError: (any Error)?
            for _ in 0..<5 {
                let port = Int.random(in: 20_000..<60_000)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus-node-exporter")
                process.arguments = ["--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults",
                                     "--collector.textfile", "--collector.textfile.directory=\(directory)"]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                for _ in 0..<50 where process.isRunning {
                    if (try? Self.get("http://127.0.0.1:\(port)/metrics")) != nil {
                        self.port = port
                        self.process = process
                        return
                    }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                process.terminate()
                process.waitUntilExit()
                lastError = CocoaError(.fileReadUnknown)
            }
            throw lastError!
        }

        /// The families it serves now, as exposition text.
        public func scrape() throws -> String { try Self.get("http://127.0.0.1:\(port)/metrics") }

        deinit {
            process.terminate()
            process.waitUntilExit()
        }

        private static func get(_ url: String) throws -> String {
            // python3's urllib (the tests need python3 anyway): no HTTP client in the
            // test targets' dependencies.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())", url]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// The samples of `family` in `exposition`: label set (as written between braces,
    /// pairs sorted by name, as node_exporter writes them) → value.
    public static func samples(_ family: String, in exposition: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            guard line.hasPrefix(family) else { continue }
            let rest = line.dropFirst(family.count)
            guard let space = rest.lastIndex(of: " "), let value = Double(rest[rest.index(after: space)...]) else { continue }
            let series = rest[..<space]
            if series.isEmpty { samples[""] = value; continue }
            guard series.hasPrefix("{"), series.hasSuffix("}") else { continue }
            samples[sortedPairs(series.dropFirst().dropLast())] = value
        }
        return samples
    }

    /// `b="x",a="y"` as `a="y",b="x"` (commas inside quoted values kept).
    private static func sortedPairs(_ labels: Substring) -> String {
        var pairs: [String] = [], current = "", quoted = false, escaped = false
        for character in labels {
            if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { quoted.toggle() }
            if character == ",", !quoted { pairs.append(current); current = "" } else { current.append(character) }
        }
        if !current.isEmpty { pairs.append(current) }
        return pairs.sorted().joined(separator: ",")
    }
}
