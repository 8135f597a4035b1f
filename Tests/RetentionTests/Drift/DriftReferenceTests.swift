import Foundation
import Testing
import SafeTensors
@testable import Retention

/// Swift drift against the independent numpy reference on the committed fixtures.
@Suite(.serialized) struct DriftReferenceTests {
    struct ReferenceReport: Decodable {
        struct Module: Decodable {
            let name: String
            let site: String
            let rho: Double
            let beta: Double
            let energy: Double
            let reference_energy: Double
            let energy_upper: Double
        }
        struct Change: Decodable { let name: String; let relative_change: Double }
        let fingerprint: String
        let base_fingerprint: String
        let drift: Double
        let drift_max: Double
        let drift_max_module: String
        let modules: [Module]
        let unprofiled: [Change]
    }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-4) -> Bool {
        a == b || abs(a - b) <= tolerance * max(abs(a), abs(b))
    }

    static let cases: [(String, String)] = [
        ("cand-full", "retain.profile.safetensors"), ("cand-full", "retain-full.profile.safetensors"),
        ("cand-sharded", "retain.profile.safetensors"), ("cand-bf16", "retain.profile.safetensors"),
        ("cand-lora", "retain.profile.safetensors"), ("cand-lora", "retain-full.profile.safetensors"),
        ("cand-lora-merged", "retain.profile.safetensors"),
    ]

    @Test(arguments: cases)
    func everyFigure_matchesNumpyReference(candidate: String, profile: String) throws {
        let measured = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny(candidate)), base: Checkpoint.open(Fixtures.tiny("base")),
                                         profile: RetainProfile.read(Fixtures.tiny(profile))).report
        let reference = try JSONDecoder().decode(ReferenceReport.self, from: Fixtures.reference("drift.py", [
            "--base", Fixtures.tiny("base"), "--candidate", Fixtures.tiny(candidate), "--profile", Fixtures.tiny(profile)]))
        #expect(measured.fingerprint == reference.fingerprint)
        #expect(measured.baseFingerprint == reference.base_fingerprint)
        #expect(Self.close(measured.drift, reference.drift), "drift \(measured.drift) vs \(reference.drift)")
        #expect(Self.close(measured.driftMax, reference.drift_max))
        #expect(measured.driftMaxModule == reference.drift_max_module)
        #expect(measured.modules.map(\.name) == reference.modules.map(\.name))
        for (m, r) in zip(measured.modules, reference.modules) {
            #expect(m.site == r.site)
            for (label, a, b) in [("rho", m.rho, r.rho), ("beta", m.beta, r.beta), ("energy", m.energy, r.energy),
                                  ("reference_energy", m.referenceEnergy, r.reference_energy), ("energy_upper", m.energyUpper, r.energy_upper)] {
                #expect(Self.close(a, b), "\(m.name) \(label): swift \(a) numpy \(b)")
            }
        }
        #expect(measured.unprofiled.map(\.name) == reference.unprofiled.map(\.name))
        for (m, r) in zip(measured.unprofiled, reference.unprofiled) {
            #expect(Self.close(m.relativeChange, r.relative_change), "\(m.name)")
        }
    }

    @Test func loraDrift_equalsDriftOfMergedCheckpoint() throws {
        let base = try Checkpoint.open(Fixtures.tiny("base"))
        let profile = try RetainProfile.read(Fixtures.tiny("retain.profile.safetensors"))
        let lora = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-lora")), base: base, profile: profile).report
        let merged = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-lora-merged")), base: base, profile: profile).report
        #expect(Self.close(lora.drift, merged.drift, 1e-4))
        for (a, b) in zip(lora.modules, merged.modules) {
            #expect(Self.close(a.rho, b.rho, 1e-4) || (a.rho == 0 && b.rho < 1e-9), "\(a.name): \(a.rho) vs \(b.rho)")
        }
    }

    @Test func shardedCandidate_equalsSingleFileCandidate() throws {
        let base = try Checkpoint.open(Fixtures.tiny("base"))
        let profile = try RetainProfile.read(Fixtures.tiny("retain.profile.safetensors"))
        let single = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-full")), base: base, profile: profile).report
        let sharded = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-sharded")), base: base, profile: profile).report
        #expect(single.fingerprint == sharded.fingerprint)
        #expect(single.modules == sharded.modules)
        #expect(single.drift == sharded.drift)
    }

    @Test func cachedReference_givesTheSameFigures() throws {
        let base = try Checkpoint.open(Fixtures.tiny("base"))
        let profile = try RetainProfile.read(Fixtures.tiny("retain.profile.safetensors"))
        let first = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-full")), base: base, profile: profile)
        let standalone = try Drift.computeReference(base: base, profile: profile)
        for reference in [first.reference, standalone] {
            let again = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-bf16")), base: base, profile: profile, reference: reference).report
            let fresh = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-bf16")), base: base, profile: profile).report
            #expect(again.modules == fresh.modules)
            #expect(again.baseFingerprint == fresh.baseFingerprint)
        }
    }

    @Test func bf16CandidateOfF32Base_warnsAboutRounding() throws {
        let report = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-bf16")), base: Checkpoint.open(Fixtures.tiny("base")),
                                       profile: RetainProfile.read(Fixtures.tiny("retain.profile.safetensors"))).report
        #expect(report.warnings.count == 1)
        #expect(report.warnings[0].contains("BF16 where the base stores F32"))
        let same = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-full")), base: Checkpoint.open(Fixtures.tiny("base")),
                                     profile: RetainProfile.read(Fixtures.tiny("retain.profile.safetensors"))).report
        #expect(same.warnings.isEmpty)
    }

    @Test func baseAgainstItself_hasZeroDrift() throws {
        let report = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("base")), base: Checkpoint.open(Fixtures.tiny("base")),
                                       profile: RetainProfile.read(Fixtures.tiny("retain.profile.safetensors"))).report
        #expect(report.drift == 0)
        #expect(report.unprofiled.isEmpty)
        #expect(report.fingerprint == report.baseFingerprint)
    }
}
