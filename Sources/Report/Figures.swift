import Foundation
import Journal

/// Numbers and untrusted text as the report prints them.
enum Figures {
    /// Enough digits to match the history (`%.6g`), as `retaind show` prints.
    static func exact(_ value: Double) -> String { String(format: "%.6g", value) }

    /// Four significant digits, for labels and table cells.
    static func short(_ value: Double) -> String { String(format: "%.4g", value) }

    /// `-` for a missing value.
    static func cell(_ value: Double?) -> String { value.map(short) ?? "–" }

    /// Paths and error messages with control characters escaped, as the CLI's tables show them.
    static func safe(_ text: String) -> String { ControlCharacters.escaped(text) }
}
