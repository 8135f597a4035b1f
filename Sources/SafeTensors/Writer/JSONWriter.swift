/// Minimal JSON text output for the headers, indexes and metadata retaind writes.
public enum JSONWriter {
    /// `text` as a JSON string literal.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A JSON object of string values, keys sorted, for `__metadata__`.
    public static func stringMap(_ map: [String: String]) -> String {
        "{" + map.keys.sorted().map { quote($0) + ":" + quote(map[$0]!) }.joined(separator: ",") + "}"
    }
}
