import Foundation
import SystemCalls

/// A Hugging Face `tokenizer.json` byte-level BPE tokenizer (GPT-2, Llama 3, SmolLM,
/// Qwen2 style): added tokens, pre-tokenizers, merges, and the BOS the post-processor
/// adds. Ids equal the `tokenizers` package's for the layouts it accepts; anything else
/// (WordPiece, Unigram, normalizers other than NFC, …) is refused when loaded.
public final class BPETokenizer: @unchecked Sendable {
    private let vocab: [String: Int]
    /// `(left << 32 | right)` → (rank, merged id).
    private let merges: [UInt64: (rank: Int, id: Int)]
    private let ignoreMerges: Bool
    private let preTokenizers: [PreTokenizer]
    private let nfc: Bool
    /// Added tokens, longest first, as (UTF-8 bytes, id).
    private let added: [(bytes: [UInt8], id: Int)]
    /// Ids the post-processor puts before and after a single sequence.
    private let prefix: [Int]
    private let suffix: [Int]
    private var cache: [String: [Int]] = [:]
    private let lock = NSLock()

    /// Loads `directory/tokenizer.json`.
    public convenience init(directory: String) throws(ModelError) {
        try self.init(path: directory + "/tokenizer.json")
    }

    /// Loads a `tokenizer.json` file (a regular file of at most 256 MiB; a FIFO or device
    /// there is refused at once, never read).
    public init(path: String) throws(ModelError) {
        let data: Data
        do { data = Data(try FileSystem.readRegularFile(path, limit: 256 << 20)) } catch {
            throw ModelError(path: path, .unreadableFile, "cannot read tokenizer.json: \(error.message)")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let model = root["model"] as? [String: Any] else {
            throw ModelError(path: path, .invalidTokenizer, "not a tokenizer.json (no \"model\" object)")
        }
        guard (model["type"] as? String) == "BPE" else {
            throw ModelError(path: path, .unsupportedTokenizer, "tokenizer model \(model["type"] ?? "?") is not supported (byte-level BPE is)")
        }
        guard (model["byte_fallback"] as? Bool ?? false) == false else {
            throw ModelError(path: path, .unsupportedTokenizer, "byte_fallback BPE (SentencePiece-style, Llama 2) is not supported; byte-level BPE is")
        }
        guard let vocab = model["vocab"] as? [String: Int] else { throw ModelError(path: path, .invalidTokenizer, "model.vocab is missing") }
        self.vocab = vocab
        ignoreMerges = model["ignore_merges"] as? Bool ?? false

        var merges: [UInt64: (rank: Int, id: Int)] = [:]
        for (rank, entry) in (model["merges"] as? [Any] ?? []).enumerated() {
            let pair: [String]
            if let text = entry as? String {
                pair = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            } else if let array = entry as? [String] {
                pair = array
            } else {
                throw ModelError(path: path, .invalidTokenizer, "merge \(rank) is neither \"a b\" nor [a, b]")
            }
            guard pair.count == 2, let left = vocab[pair[0]], let right = vocab[pair[1]], let merged = vocab[pair[0] + pair[1]] else {
                throw ModelError(path: path, .invalidTokenizer, "merge \(rank) names tokens missing from the vocabulary")
            }
            let key = UInt64(left) << 32 | UInt64(right)
            if merges[key] == nil { merges[key] = (rank, merged) }
        }
        self.merges = merges

        switch root["normalizer"] {
        case nil, is NSNull: nfc = false
        case let normalizer as [String: Any] where normalizer["type"] as? String == "NFC": nfc = true
        case let normalizer as [String: Any]:
            throw ModelError(path: path, .unsupportedTokenizer, "normalizer \(normalizer["type"] ?? "?") is not supported (none or NFC)")
        default: throw ModelError(path: path, .invalidTokenizer, "normalizer is not an object")
        }
        preTokenizers = try PreTokenizer.parse(root["pre_tokenizer"], path: path)
        guard preTokenizers.contains(where: { if case .byteLevel = $0 { return true }; return false }) else {
            throw ModelError(path: path, .unsupportedTokenizer, "no ByteLevel pre-tokenizer: only byte-level BPE is supported")
        }

        var added: [(bytes: [UInt8], id: Int)] = []
        for entry in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let content = entry["content"] as? String, let id = entry["id"] as? Int else { continue }
            for option in ["lstrip", "rstrip", "single_word"] where entry[option] as? Bool == true {
                throw ModelError(path: path, .unsupportedTokenizer, "added token \(content) uses \(option), which is not supported")
            }
            added.append((Array(content.utf8), id))
        }
        self.added = added.sorted { $0.bytes.count > $1.bytes.count }
        (prefix, suffix) = try Self.template(root["post_processor"], path: path)
    }

    /// A text encoder for the model in `directory`, loading its `tokenizer.json` on first
    /// use (so id-only data never needs one), failing with the reason when it is missing
    /// or of a kind this tokenizer does not handle.
    public static func lazyEncoder(directory: String) -> (String) throws -> [Int] {
        let box = LazyTokenizer(directory: directory)
        return { text in try box.tokenizer().encode(text) }
    }

    /// Token ids of `text`, with the post-processor's special tokens (BOS) when
    /// `addSpecialTokens`, as `tokenizer(text, add_special_tokens=...)`.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = addSpecialTokens ? prefix : []
        for segment in splitAddedTokens(text) {
            switch segment {
            case .token(let id): ids.append(id)
            case .text(let part): ids += encodeOrdinary(part)
            }
        }
        if addSpecialTokens { ids += suffix }
        return ids
    }

    private enum Segment {
        case token(Int)
        case text(String)
    }

    /// Cuts out added tokens (leftmost, longest first) before anything else sees the text.
    private func splitAddedTokens(_ text: String) -> [Segment] {
        guard !added.isEmpty else { return [.text(text)] }
        let bytes = Array(text.utf8)
        var segments: [Segment] = []
        var start = 0, i = 0
        while i < bytes.count {
            if let hit = added.first(where: { token in
                token.bytes.count <= bytes.count - i && token.bytes.first == bytes[i] && bytes[i..<(i + token.bytes.count)].elementsEqual(token.bytes)
            }) {
                if start < i { segments.append(.text(String(decoding: bytes[start..<i], as: UTF8.self))) }
                segments.append(.token(hit.id))
                i += hit.bytes.count
                start = i
            } else {
                i += 1
            }
        }
        if start < bytes.count { segments.append(.text(String(decoding: bytes[start...], as: UTF8.self))) }
        return segments
    }

    private func encodeOrdinary(_ text: String) -> [Int] {
        let normalized = nfc ? text.precomposedStringWithCanonicalMapping : text
        var pieces: [Substring] = normalized.isEmpty ? [] : [Substring(normalized)]
        for step in preTokenizers { pieces = step.apply(pieces) }
        var ids: [Int] = []
        for piece in pieces where !piece.isEmpty {
            ids += bpe(String(ByteLevel.encode(piece)))
        }
        return ids
    }

    /// Merges the characters of one byte-level word by rank (GPT-2's algorithm).
    private func bpe(_ word: String) -> [Int] {
        lock.lock()
        if let hit = cache[word] { lock.unlock(); return hit }
        lock.unlock()
        var ids: [Int]
        if ignoreMerges, let whole = vocab[word] {
            ids = [whole]
        } else {
            ids = word.map { vocab[String($0)] ?? -1 }
            while ids.count > 1 {
                var best: (rank: Int, index: Int, id: Int)? = nil
                for i in 0..<(ids.count - 1) {
                    if let merge = merges[UInt64(UInt32(truncatingIfNeeded: ids[i])) << 32 | UInt64(UInt32(truncatingIfNeeded: ids[i + 1]))],
                       best == nil || merge.rank < best!.rank {
                        best = (merge.rank, i, merge.id)
                    }
                }
                guard let best else { break }
                let left = ids[best.index], right = ids[best.index + 1]
                var merged: [Int] = []
                merged.reserveCapacity(ids.count)
                var i = 0
                while i < ids.count {
                    if i + 1 < ids.count && ids[i] == left && ids[i + 1] == right {
                        merged.append(best.id)
                        i += 2
                    } else {
                        merged.append(ids[i])
                        i += 1
                    }
                }
                ids = merged
            }
            ids = ids.filter { $0 >= 0 }
        }
        lock.lock()
        if cache.count > 100_000 { cache.removeAll() }
        cache[word] = ids
        lock.unlock()
        return ids
    }

    /// The special ids a post-processor adds around a single sequence.
    private static func template(_ json: Any?, path: String) throws(ModelError) -> ([Int], [Int]) {
        guard let object = json as? [String: Any], let type = object["type"] as? String else { return ([], []) }
        switch type {
        case "ByteLevel":
            return ([], [])
        case "Sequence":
            var before: [Int] = [], after: [Int] = []
            for step in object["processors"] as? [Any] ?? [] {
                let (b, a) = try template(step, path: path)
                before += b
                after = a + after
            }
            return (before, after)
        case "TemplateProcessing":
            let specials = object["special_tokens"] as? [String: [String: Any]] ?? [:]
            var before: [Int] = [], after: [Int] = []
            var seenSequence = false
            for item in object["single"] as? [[String: Any]] ?? [] {
                if item["Sequence"] != nil {
                    seenSequence = true
                } else if let special = item["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                    guard let ids = specials[name]?["ids"] as? [Int] else {
                        throw ModelError(path: path, .invalidTokenizer, "post_processor names special token \(name) without ids")
                    }
                    if seenSequence { after += ids } else { before += ids }
                }
            }
            return (before, after)
        default:
            throw ModelError(path: path, .unsupportedTokenizer, "post_processor \(type) is not supported (TemplateProcessing, ByteLevel, Sequence are)")
        }
    }
}

/// Loads a tokenizer once, on first use.
private final class LazyTokenizer: @unchecked Sendable {
    let directory: String
    private var loaded: Result<BPETokenizer, ModelError>?
    private let lock = NSLock()

    init(directory: String) { self.directory = directory }

    func tokenizer() throws -> BPETokenizer {
        lock.lock()
        defer { lock.unlock() }
        if loaded == nil {
            loaded = FileManager.default.fileExists(atPath: directory + "/tokenizer.json")
                ? Result { () throws(ModelError) in try BPETokenizer(directory: directory) }
                : .failure(ModelError(path: directory, .missingTokenizer, "no tokenizer.json to tokenize text with; give \"ids\" instead"))
        }
        return try loaded!.get()
    }
}
