import Foundation
import Testing

/// `retaind drift` and `retaind profile inspect` as scripts use them.
@Suite struct DriftCommandTests {
    static let fixtures: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { url.deleteLastPathComponent() }
        return url.path + "/Fixtures/tiny-llama/"
    }()

    @Test func json_usesSpecNames() throws {
        let f = Self.fixtures
        let result = try RetaindProcess.run(["drift", "--base", f + "base", "--candidate", f + "cand-full",
                                             "--profile", f + "retain.profile.safetensors", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for key in ["drift", "drift_max", "drift_max_module", "fingerprint", "base_fingerprint", "modules", "path", "unprofiled"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let modules = try #require(object["modules"] as? [[String: Any]])
        #expect(modules.count == 14)
        for key in ["name", "site", "rho", "beta", "energy", "reference_energy", "energy_upper"] {
            #expect(modules[0][key] != nil, "module missing \(key)")
        }
    }

    @Test func table_listsWorstModulesAndLayers() throws {
        let f = Self.fixtures
        let result = try RetaindProcess.run(["drift", "--base", f + "base", "--candidate", f + "cand-bf16",
                                             "--profile", f + "retain.profile.safetensors", "--top", "2"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("drift_max"))
        #expect(result.stdout.contains("layer   modules"))
        #expect(result.stdout.contains("warning: the candidate stores 20 tensors as BF16"))
    }

    @Test func profileForAnotherBase_exitsOne() throws {
        let f = Self.fixtures
        // cand-full as "base": the profile names the real base's fingerprint.
        let result = try RetaindProcess.run(["drift", "--base", f + "cand-full", "--candidate", f + "cand-bf16",
                                             "--profile", f + "retain.profile.safetensors"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("the profile was built on base"))
    }

    @Test func profileInspect_reportsEnergyAndWarns() throws {
        let result = try RetaindProcess.run(["profile", "inspect", Self.fixtures + "retain.profile.safetensors"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("model.layers.0.self_attn.k_proj+q_proj+v_proj"))
        #expect(result.stderr.contains("6 of 8 sites keep less than 0.9"))
        let bad = try RetaindProcess.run(["profile", "inspect", Self.fixtures + "base/model.safetensors"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("not a retain profile"))
    }
}
