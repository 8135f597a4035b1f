import Foundation
import Model
import TestSupport
import Testing

/// Token ids against the `tokenizers` package (`tools/fixtures/make_tokenizers.py`).
struct BPETokenizerTests {
    static let fixtures = PythonScript.repositoryRoot + "/Tests/Fixtures/tokenizers/"

    /// The corpus and, per layout, the ids `tokenizers` gives.
    struct Expected: Decodable {
        let corpus: [String]
        let gpt2: [[Int]]
        let llama3: [[Int]]
        let smollm: [[Int]]

        func ids(_ layout: String) -> [[Int]] { ["gpt2": gpt2, "llama3": llama3, "smollm": smollm][layout]! }
    }

    static let expected = try! JSONDecoder().decode(Expected.self, from: FileManager.default.contents(atPath: fixtures + "expected.json")!)

    @Test(arguments: ["gpt2", "llama3", "smollm"])
    func ids_equalTheTokenizersPackage(layout: String) throws {
        let tokenizer = try BPETokenizer(path: Self.fixtures + layout + ".json")
        for (text, ids) in zip(Self.expected.corpus, Self.expected.ids(layout)) {
            #expect(tokenizer.encode(text) == ids, "\(layout): \(text.debugDescription)")
        }
    }

    @Test func unsupportedTokenizers_areRefusedWithTheReason() throws {
        let path = NSTemporaryDirectory() + "retaind-tok-\(UUID().uuidString).json"
        func refusal(_ json: String) -> String? {
            try? json.write(toFile: path, atomically: true, encoding: .utf8)
            do { _ = try BPETokenizer(path: path); return nil } catch { return error.message }
        }
        #expect(refusal(#"{"model": {"type": "WordPiece", "vocab": {}}}"#)?.contains("WordPiece") == true)
        #expect(refusal(#"{"model": {"type": "BPE", "byte_fallback": true, "vocab": {}, "merges": []}}"#)?.contains("byte_fallback") == true)
        #expect(refusal(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Whitespace"}}"#)?.contains("Whitespace") == true)
        #expect(refusal(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "normalizer": {"type": "Lowercase"}}"#)?.contains("Lowercase") == true)
    }
}

/// Evaluation and proxy data with text rows go through the model's tokenizer.
struct TextDataTests {
    @Test func textRows_areTokenizedAndTruncated_idsRowsUsedAsGiven() throws {
        let path = NSTemporaryDirectory() + "retaind-text-\(UUID().uuidString).jsonl"
        let corpus = BPETokenizerTests.expected.corpus
        try ["{\"text\": \"The quick brown fox jumps over the lazy dog.\"}", "{\"ids\": [5, 6, 7]}"].joined(separator: "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let tokenizer = try BPETokenizer(path: BPETokenizerTests.fixtures + "llama3.json")
        let sequences = try EvalData.load(path, sequenceLength: 4, tokenize: { tokenizer.encode($0) })
        let want = BPETokenizerTests.expected.llama3[corpus.firstIndex(of: "The quick brown fox jumps over the lazy dog.")!]
        #expect(sequences == [Array(want.prefix(4)), [5, 6, 7]])
    }

    @Test func textRows_withoutATokenizer_sayWhatToDo() throws {
        let path = NSTemporaryDirectory() + "retaind-text-\(UUID().uuidString).jsonl"
        try "{\"text\": \"hello\"}".write(toFile: path, atomically: true, encoding: .utf8)
        let encoder = BPETokenizer.lazyEncoder(directory: NSTemporaryDirectory() + "no-such-model")
        #expect {
            _ = try EvalData.load(path, sequenceLength: 8, tokenize: encoder)
        } throws: { error in
            (error as? ModelError)?.message.contains("no tokenizer.json to tokenize text with") == true
        }
    }
}

/// A manual check on a real tokenizer: set RETAIND_REAL_TOKENIZER to a directory with
/// `tokenizer.json` and `expected.json` (`{"corpus": [...], "ids": [[...]]}` from the
/// `tokenizers` package). Skipped otherwise.
struct RealTokenizerTests {
    static let directory = ProcessInfo.processInfo.environment["RETAIND_REAL_TOKENIZER"]

    struct Expected: Decodable {
        let corpus: [String]
        let ids: [[Int]]
    }

    @Test(.enabled(if: directory != nil, "set RETAIND_REAL_TOKENIZER to run"))
    func realTokenizer_matchesTheTokenizersPackage() throws {
        let directory = try #require(Self.directory)
        let tokenizer = try BPETokenizer(directory: directory)
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/expected.json")))
        var mismatches = 0
        for (text, ids) in zip(expected.corpus, expected.ids) where tokenizer.encode(text) != ids {
            mismatches += 1
            if mismatches <= 3 { Issue.record("mismatch on \(text.prefix(80).debugDescription)") }
        }
        print("real tokenizer: \(expected.corpus.count - mismatches) of \(expected.corpus.count) rows identical")
        #expect(mismatches == 0)
    }
}
