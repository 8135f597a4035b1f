import Foundation
import SafeTensors
import Testing

/// `retaind inspect` as a user runs it: exit codes, JSON keys, messages.
@Suite struct InspectCommandTests {
    func makeDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "/retaind-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func writeCheckpoint(_ root: String, values: [Float] = [1, 2, 3, 4, 5, 6]) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Data("{\"model_type\":\"llama\"}".utf8).write(to: URL(fileURLWithPath: root + "/config.json"))
        let writer = try SafeTensorsWriter(path: root + "/model.safetensors", tensors: [
            TensorSpec(name: "model.layers.0.mlp.up_proj.weight", dtype: .f32, shape: [2, 3])])
        try values.withUnsafeBufferPointer { try writer.append($0) }
        try writer.finish()
    }

    struct Report: Decodable {
        let ok: Bool
        let error: String?
        let layout: String?
        let tensors: Int?
        let parameters: Int?
        let dtypes: [String: Int]?
        let fingerprint: String?
    }

    @Test func validCheckpoint_printsJSONWithFingerprint() throws {
        let root = try makeDirectory() + "/checkpoint-10"
        try writeCheckpoint(root)
        let result = try RetaindProcess.run(["inspect", root, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        #expect(report.ok)
        #expect(report.layout == "single")
        #expect(report.tensors == 1)
        #expect(report.parameters == 6)
        #expect(report.dtypes == ["F32": 1])
        #expect(report.fingerprint == (try Checkpoint.open(root).fingerprint()))
    }

    @Test func table_namesLayoutAndStatus() throws {
        let root = try makeDirectory() + "/checkpoint-20"
        try writeCheckpoint(root)
        let result = try RetaindProcess.run(["inspect", root])
        #expect(result.status == 0)
        #expect(result.stdout.contains("layout      single (1 file)"))
        #expect(result.stdout.contains("status      ok"))
    }

    @Test func corruptCheckpoint_exitsOneWithReason() throws {
        let root = try makeDirectory() + "/checkpoint-30"
        try writeCheckpoint(root)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/model.safetensors"))
        try handle.truncate(atOffset: 60)
        try handle.close()
        let table = try RetaindProcess.run(["inspect", root])
        #expect(table.status == 1)
        #expect(table.stderr.hasPrefix("error: \(root): "))
        #expect(table.stderr.contains("checkpoint-30/model.safetensors: header length"))
        let json = try RetaindProcess.run(["inspect", root, "--json"])
        #expect(json.status == 1)
        let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
        #expect(!report.ok)
        #expect(report.error?.contains("truncated") == true)
    }

    @Test func nanWeights_exitOne() throws {
        let root = try makeDirectory() + "/checkpoint-40"
        try writeCheckpoint(root, values: [1, 2, .nan, 4, 5, 6])
        let result = try RetaindProcess.run(["inspect", root])
        #expect(result.status == 1)
        #expect(result.stderr.contains("NaN or Inf"))
    }

    @Test func missingArgument_isUsageError() throws {
        #expect(try RetaindProcess.run(["inspect"]).status == 64)
    }
}
