import Foundation

/// The pre-tokenizers of a `tokenizer.json` that Llama-family models use, applied in
/// order, each splitting every piece the previous one produced.
enum PreTokenizer {
    /// Byte-level: optionally split with GPT-2's regex, then map bytes to characters.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// A regex split keeping both the matches and the text between them (`Isolated`).
    case split(NSRegularExpression)
    /// Digits apart from everything else, one per piece when `individual`.
    case digits(individual: Bool)

    /// GPT-2's pre-tokenization pattern.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Parses one entry (or a `Sequence` of them) of `tokenizer.json`'s `pre_tokenizer`.
    static func parse(_ json: Any?, path: String) throws(ModelError) -> [PreTokenizer] {
        guard let json, !(json is NSNull) else { return [] }
        guard let object = json as? [String: Any], let type = object["type"] as? String else {
            throw ModelError(path: path, .invalidTokenizer, "pre_tokenizer is not an object with a type")
        }
        switch type {
        case "Sequence":
            var steps: [PreTokenizer] = []
            for step in object["pretokenizers"] as? [Any] ?? [] { steps += try parse(step, path: path) }
            return steps
        case "ByteLevel":
            return [.byteLevel(addPrefixSpace: object["add_prefix_space"] as? Bool ?? false, useRegex: object["use_regex"] as? Bool ?? true)]
        case "Digits":
            return [.digits(individual: object["individual_digits"] as? Bool ?? false)]
        case "Split":
            guard (object["behavior"] as? String) == "Isolated", (object["invert"] as? Bool ?? false) == false else {
                throw ModelError(path: path, .unsupportedTokenizer, "Split pre-tokenizer with behavior \(object["behavior"] ?? "?") is not supported (only Isolated)")
            }
            let pattern = object["pattern"] as? [String: Any]
            let source: String
            if let regex = pattern?["Regex"] as? String {
                source = regex
            } else if let literal = pattern?["String"] as? String {
                source = NSRegularExpression.escapedPattern(for: literal)
            } else {
                throw ModelError(path: path, .invalidTokenizer, "Split pre-tokenizer has no pattern")
            }
            return [.split(try regex(source, path: path))]
        default:
            throw ModelError(path: path, .unsupportedTokenizer, "pre-tokenizer \(type) is not supported (ByteLevel, Split, Digits and Sequence are)")
        }
    }

    /// Compiles a tokenizer regex for ICU: `\s`/`\S` become the Unicode White_Space
    /// property, as the Rust and Oniguruma engines of `tokenizers` read them.
    static func regex(_ pattern: String, path: String) throws(ModelError) -> NSRegularExpression {
        let translated = pattern.replacingOccurrences(of: #"\s"#, with: #"\p{White_Space}"#)
            .replacingOccurrences(of: #"\S"#, with: #"\P{White_Space}"#)
        do { return try NSRegularExpression(pattern: translated) } catch {
            throw ModelError(path: path, .invalidTokenizer, "pre-tokenizer regex does not compile: \(pattern)")
        }
    }

    static let gpt2: NSRegularExpression = try! regex(gpt2Pattern, path: "")

    /// Splits `pieces` further.
    func apply(_ pieces: [Substring]) -> [Substring] {
        switch self {
        case .byteLevel(let addPrefixSpace, let useRegex):
            let prefixed = addPrefixSpace ? pieces.map { $0.first == " " ? $0 : Substring(" " + $0) } : pieces
            return useRegex ? prefixed.flatMap { Self.isolate($0, Self.gpt2) } : prefixed
        case .split(let regex):
            return pieces.flatMap { Self.isolate($0, regex) }
        case .digits(let individual):
            return pieces.flatMap { Self.splitDigits($0, individual: individual) }
        }
    }

    /// Matches and the gaps between them, in order, none empty. Works on UTF-16 offsets
    /// (ICU's), which may fall inside a grapheme cluster (emoji ZWJ sequences).
    static func isolate(_ piece: Substring, _ regex: NSRegularExpression) -> [Substring] {
        let string = NSString(string: String(piece))
        var out: [Substring] = []
        var cursor = 0
        for match in regex.matches(in: string as String, range: NSRange(location: 0, length: string.length)) where match.range.length > 0 {
            if cursor < match.range.location {
                out.append(Substring(string.substring(with: NSRange(location: cursor, length: match.range.location - cursor))))
            }
            out.append(Substring(string.substring(with: match.range)))
            cursor = match.range.location + match.range.length
        }
        if cursor < string.length { out.append(Substring(string.substring(from: cursor))) }
        return out
    }

    static func splitDigits(_ piece: Substring, individual: Bool) -> [Substring] {
        // Rust's char::is_numeric, as `tokenizers` uses: Nd, Nl and No.
        func isNumeric(_ scalar: Unicode.Scalar) -> Bool {
            [.decimalNumber, .letterNumber, .otherNumber].contains(scalar.properties.generalCategory)
        }
        var out: [Substring] = []
        let scalars = piece.unicodeScalars
        var start = scalars.startIndex
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let numeric = isNumeric(scalars[index])
            let next = scalars.index(after: index)
            if next == scalars.endIndex || isNumeric(scalars[next]) != numeric || (numeric && individual) {
                out.append(Substring(scalars[start..<next]))
                start = next
            }
            index = next
        }
        return out
    }
}
