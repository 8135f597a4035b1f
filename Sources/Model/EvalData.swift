import Foundation

/// Held-out sequences for evaluation: JSONL, one independent sequence per row, either
/// `{"ids": [...]}` (used as given) or `{"text": "..."}` (tokenized, then truncated).
public enum EvalData {
    /// Reads `path`; `tokenize` turns a text row into ids (nil: text rows are refused).
    public static func load(_ path: String, sequenceLength: Int,
                            tokenize: ((String) throws -> [Int])? = nil) throws(ModelError) -> [[Int]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError(path: path, .unreadableFile, "cannot read the data file") }
        return try parse(data, path: path, sequenceLength: sequenceLength, tokenize: tokenize)
    }

    /// Parses JSONL `data` already read from `path` (named in errors).
    public static func parse(_ data: Data, path: String, sequenceLength: Int,
                             tokenize: ((String) throws -> [Int])? = nil) throws(ModelError) -> [[Int]] {
        var sequences: [[Int]] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard let row = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                throw ModelError(path: path, .invalidData, "line \(number + 1) is not a JSON object")
            }
            if let ids = row["ids"] {
                guard let array = ids as? [NSNumber], array.allSatisfy({ $0.doubleValue == $0.doubleValue.rounded() && $0.intValue >= 0 }) else {
                    throw ModelError(path: path, .invalidData, "line \(number + 1): \"ids\" must be an array of non-negative integers")
                }
                sequences.append(array.map(\.intValue))
            } else if let text = row["text"] as? String {
                guard let tokenize else {
                    throw ModelError(path: path, .missingTokenizer, "line \(number + 1) has \"text\", which needs the model's tokenizer.json; give \"ids\" instead")
                }
                do { sequences.append(Array(try tokenize(text).prefix(sequenceLength))) } catch {
                    throw ModelError(path: path, (error as? ModelError)?.code ?? .invalidData, "line \(number + 1): \(error)")
                }
            } else {
                throw ModelError(path: path, .invalidData, "line \(number + 1) has neither \"ids\" nor \"text\"")
            }
        }
        guard !sequences.isEmpty else { throw ModelError(path: path, .invalidData, "no sequences") }
        return sequences
    }
}
