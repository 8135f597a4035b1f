import Foundation
import TestSupport
import Testing

/// `retaind eval` as a process.
struct EvalCommandTests {
    static let fixtures = PythonScript.repositoryRoot + "/Tests/Fixtures/llama-forward/"

    func dataFile(_ rows: [String]) throws -> String {
        let path = NSTemporaryDirectory() + "retaind-eval-" + UUID().uuidString + ".jsonl"
        try rows.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func json_hasPplKlAndTokens_matchingTransformers() throws {
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "expected.json"))) as? [String: Any])
        let sequences = try #require(expected["sequences"] as? [[Int]])
        let data = try dataFile(sequences.map { "{\"ids\": \($0)}" })
        let result = try RetaindProcess.run(["eval", "--model", Self.fixtures + "llama3-perturbed", "--base", Self.fixtures + "llama3-untied",
                                             "--data", data, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["tokens"] as? Int == 55)
        let kl = try #require(object["kl"] as? Double)
        let want = try #require(expected["kl_llama3_perturbed"] as? Double)
        #expect(abs(kl - want) / want < 1e-4)
        #expect((object["ppl"] as? Double ?? 0) > 1)
    }

    @Test func badData_isRefusedWithTheLine() throws {
        let data = try dataFile(["{\"ids\": [1, 2, 3]}", "{\"ids\": [1, -2]}"])
        let result = try RetaindProcess.run(["eval", "--model", Self.fixtures + "llama3-untied", "--data", data])
        #expect(result.status == 1)
        #expect(result.stderr.contains("line 2: \"ids\" must be an array of non-negative integers"), "\(result.stderr)")
        let outside = try dataFile(["{\"ids\": [1, 2, 300]}"])
        let refused = try RetaindProcess.run(["eval", "--model", Self.fixtures + "llama3-untied", "--data", outside])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("token id 300, outside the vocabulary of 96"))
    }
}
