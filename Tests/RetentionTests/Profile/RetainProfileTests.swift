import Foundation
import Testing
import Linalg
import SafeTensors
@testable import Retention

@Suite struct RetainProfileTests {
    @Test func writeThenRead_roundTrips() throws {
        let original = try RetainProfile.read(Fixtures.tiny("retain.profile.safetensors"))
        let path = try Fixtures.temporaryDirectory() + "/copy.profile.safetensors"
        try original.write(to: path)
        let copy = try RetainProfile.read(path)
        #expect(copy.modules == original.modules)
        #expect(copy.baseFingerprint == original.baseFingerprint)
        #expect(copy.tokens == original.tokens)
        for (name, site) in original.sites {
            let c = try #require(copy.sites[name])
            #expect(c.factors.storage == site.factors.storage)
            #expect(c.mean == site.mean)
            #expect(c.trace == site.trace)
            #expect(c.tail == site.tail)
        }
    }

    /// Writes a profile file by hand, with `edit` applied to its tensors and metadata.
    func writeProfile(_ edit: (inout [String: [Float]], inout [String: String]) -> Void) throws -> String {
        var tensors: [String: [Float]] = ["s.factors": [2, 0, 0, 0, 1, 0], "s.mean": [0.1, 0.2, 0.3], "s.trace": [5.5], "s.tail": [0.5]]
        var metadata = ["format": "retain-profile", "version": "1", "tokens": "10",
                        "modules": "{\"w\":{\"site\":\"s\",\"layout\":\"out_in\"}}", "base_fingerprint": String(repeating: "0", count: 64)]
        edit(&tensors, &metadata)
        let shapes: [String: [Int]] = ["s.factors": [2, 3]]
        let names = tensors.keys.sorted()
        let path = try Fixtures.temporaryDirectory() + "/p.profile.safetensors"
        let writer = try SafeTensorsWriter(path: path, tensors: names.map { TensorSpec(name: $0, dtype: .f32, shape: shapes[$0] ?? [tensors[$0]!.count]) }, metadata: metadata)
        for name in names { try tensors[name]!.withUnsafeBufferPointer { try writer.append($0) } }
        try writer.finish()
        return path
    }

    func reason(_ path: String) -> ProfileError.Reason? {
        (#expect(throws: ProfileError.self) { try RetainProfile.read(path) })?.reason
    }

    @Test func handWrittenProfile_isRead() throws {
        let profile = try RetainProfile.read(writeProfile { _, _ in })
        #expect(profile.sites["s"]?.eigenvalues == [4, 1])
        #expect(profile.sites["s"]?.trace == 5.5)
    }

    @Test func missingSite_isRefused() throws {
        let path = try writeProfile { t, _ in t = t.filter { !$0.key.hasPrefix("s.") }; t["x.factors"] = [1, 0, 0] }
        #expect(reason(path) == .missingSite(site: "s", module: "w"))
    }

    @Test func nanFactors_areRefused() throws {
        #expect(reason(try writeProfile { t, _ in t["s.factors"]![4] = .nan }) == .nonFinite(tensor: "s.factors"))
    }

    @Test func unsortedFactors_areRefused() throws {
        #expect(reason(try writeProfile { t, _ in t["s.factors"] = [1, 0, 0, 0, 2, 0] }) == .unsorted(site: "s"))
    }

    @Test func meanOfWrongWidth_isRefused() throws {
        guard case .invalidShape(tensor: "s.mean", _) = reason(try writeProfile { t, _ in t["s.mean"] = [1, 2] }) else {
            Issue.record("expected invalidShape")
            return
        }
    }

    @Test func otherFormat_isRefused() throws {
        #expect(reason(try writeProfile { _, m in m["format"] = "pt" }) == .notAProfile(format: "pt"))
        #expect(reason(try writeProfile { _, m in m["version"] = "3" }) == .unsupportedVersion("3"))
        guard case .invalidMetadata(key: "base_fingerprint", _) = reason(try writeProfile { _, m in m["base_fingerprint"] = nil }) else {
            Issue.record("expected invalidMetadata")
            return
        }
    }

    @Test func checkpointInsteadOfProfile_isRefused() throws {
        #expect(reason(Fixtures.tiny("base/model.safetensors")) == .notAProfile(format: "pt"))
    }

    @Test func version2_referencesAreOptional_butComeInPairs() throws {
        #expect(try RetainProfile.read(try writeProfile { _, m in m["version"] = "2" }).hasReferences == false)
        let stored = try RetainProfile.read(try writeProfile { t, m in
            m["version"] = "2"
            t["w.reference_energy"] = [4]
            t["w.reference_mean_norm"] = [0.5]
        })
        #expect(stored.references["w"]?.energy == 4 && stored.references["w"]?.meanOutputNorm == 0.5)
        #expect(reason(try writeProfile { t, m in
            m["version"] = "2"
            t["w.reference_energy"] = [4]
        }) == .missingTensor("w.reference_mean_norm"))
        #expect(reason(try writeProfile { t, m in
            m["version"] = "2"
            t["w.reference_energy"] = [-1]
            t["w.reference_mean_norm"] = [0.5]
        }) == .negativeReference(tensor: "w.reference_energy"))
    }
}
