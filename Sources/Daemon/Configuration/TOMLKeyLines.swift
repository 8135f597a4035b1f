import Foundation

/// Finds the line of a key in TOML source text, for error messages.
///
/// TOMLKit reports positions only for syntax errors, so this walks the lines itself:
/// it tracks the current `[table]` / `[[array]]` header and records the line of each
/// `key =`. Keys inside multi-line arrays or strings are not keys and are not matched
/// (a line inside them that looks like `key = …` could be; the line is then a hint).
struct TOMLKeyLines {
    private var lines: [String: Int] = [:]
    /// Blanks and quotes around a key or a header component.
    private static let keyPadding = CharacterSet(charactersIn: " \t\"'")

    init(source: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        var number = 0
        for rawLine in source.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("[[") {
                let name = Self.headerName(line.dropFirst(2))
                let index = arrayCounts[name, default: 0]
                arrayCounts[name] = index + 1
                table = "\(name)[\(index)]"
                lines[table] = number
            } else if line.hasPrefix("[") {
                let name = Self.headerName(line.dropFirst(1))
                // `[watch.gate]` after `[[watch]]` belongs to the last watch.
                table = Self.resolve(name, arrayCounts)
                lines[table] = number
            } else if !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingCharacters(in: Self.keyPadding)
                guard !key.isEmpty else { continue }
                let path = table.isEmpty ? key : "\(table).\(key)"
                if lines[path] == nil { lines[path] = number }
            }
        }
    }

    /// The line of `path` (`watch[0].gate.threshold`), or of its table when the key is
    /// not written (a missing required key).
    func line(of path: String) -> Int? {
        var path = path
        while true {
            if let line = lines[path] { return line }
            guard let dot = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            path = String(path[..<dot])
        }
    }

    private static func headerName(_ rest: Substring) -> String {
        let name = rest.prefix { $0 != "]" }
        return name.split(separator: ".").map { $0.trimmingCharacters(in: Self.keyPadding) }.joined(separator: ".")
    }

    private static func resolve(_ name: String, _ arrayCounts: [String: Int]) -> String {
        var parts = name.split(separator: ".").map(String.init)
        var prefix = ""
        for i in parts.indices {
            prefix = prefix.isEmpty ? parts[i] : "\(prefix).\(parts[i])"
            if let count = arrayCounts[prefix], count > 0 {
                parts[i] += "[\(count - 1)]"
            }
        }
        return parts.joined(separator: ".")
    }
}
