import Foundation
import Journal
import SystemCalls

/// A refusal with nothing behind it but its message: `retaind` prints `error: <message>`
/// and exits 1.
struct Failure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Output helpers shared by the subcommands.
enum Output {
    /// The encoder every `--json` output uses: ISO 8601 dates, non-finite numbers as strings.
    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// Pretty, key-sorted JSON on standard output.
    static func printJSON<T: Encodable>(_ value: T) throws {
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// `value` encoded as a JSON object, without `keys` (internal columns).
    static func jsonObject<T: Encodable>(_ value: T, dropping keys: String...) throws -> [String: Any] {
        var object = try JSONSerialization.jsonObject(with: encoder.encode(value)) as? [String: Any] ?? [:]
        for key in keys { object[key] = nil }
        return object
    }

    /// Pretty, key-sorted JSON of an object built from ``jsonObject(_:dropping:)``.
    static func printJSON(object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    /// A table: columns padded to their widest cell (the last one not), every cell
    /// escaped for the terminal (``ControlCharacters``).
    static func printTable(_ rows: [[String]]) {
        let rows = rows.map { $0.map(ControlCharacters.escaped) }
        guard let columns = rows.first?.count else { return }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max()! }
        for row in rows {
            print(row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  "))
        }
    }

    /// A line on standard error.
    static func error(_ message: String) {
        StandardError.write(message + "\n")
    }

    /// `1234567` → `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// Bytes in binary units: `256.6 MiB`.
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }
}
