/// Text from untrusted places (checkpoint names, error messages that quote them) made
/// safe for line-based channels: control characters are shown as escapes, the way
/// `ls -b` does. A directory name with a newline can then neither forge a table row nor
/// add a `KEY=value` line to an `sd_notify` message, and ESC sequences never reach a
/// terminal. `--json` output and journal fields are exact and do not go through this.
public enum ControlCharacters {
    /// `text` with every control character (C0, DEL, C1) and the backslash escaped:
    /// `\n`, `\t`, `\r`, `\\`, and `\x1b`-style hex for the rest.
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
