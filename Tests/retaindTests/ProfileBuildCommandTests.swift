import Foundation
import SafeTensors
import Testing
import TestSupport

/// `retaind profile build` writes version 2: the base's reference figures, which drift
/// then uses instead of recomputing `W0 Fᵀ`; they agree with numpy's own.
@Suite struct ProfileBuildCommandTests {
    struct Report: Decodable {
        struct Module: Decodable { let name: String; let rho: Double; let reference_energy: Double }
        let drift: Double
        let modules: [Module]
    }

    @Test func build_storesReferenceFigures_thatMatchNumpy() throws {
        let f = DriftCommandTests.fixtures
        let out = NSTemporaryDirectory() + "/retaind-profile-\(UUID().uuidString).profile.safetensors"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let built = try RetaindProcess.run(["profile", "build", "--base", f + "base", "--proxy", f + "retain.jsonl", "--out", out])
        #expect(built.status == 0, "\(built.stderr)")
        let file = try SafeTensorsFile(path: out)
        #expect(file.metadata["version"] == "2")
        #expect(file.tensor(named: "model.layers.0.mlp.down_proj.weight.reference_energy") != nil)

        let drift = try RetaindProcess.run(["drift", "--base", f + "base", "--candidate", f + "cand-full", "--profile", out, "--json"])
        #expect(drift.status == 0, "\(drift.stderr)")
        let measured = try JSONDecoder().decode(Report.self, from: Data(drift.stdout.utf8))
        let reference = try PythonScript.decode(Report.self, from: PythonScript.run("tools/reference/drift.py", [
            "--base", f + "base", "--candidate", f + "cand-full", "--profile", out]))
        #expect(measured.modules.map(\.name) == reference.modules.map(\.name))
        for (m, r) in zip(measured.modules, reference.modules) {
            #expect(abs(m.reference_energy - r.reference_energy) <= 1e-4 * r.reference_energy, "\(m.name)")
            #expect(abs(m.rho - r.rho) <= 1e-4 * r.rho, "\(m.name)")
        }
    }
}
