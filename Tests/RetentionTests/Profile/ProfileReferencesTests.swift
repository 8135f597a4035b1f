import Foundation
import Testing
import SafeTensors
@testable import Retention

/// Version 2 profiles: the base's reference figures stored at build time, so one-shot
/// drift computes only `ΔFᵀ`; the figures still match the independent numpy reference.
@Suite(.serialized) struct ProfileReferencesTests {
    /// `profile` of the tiny base rewritten as version 2 (references computed on the base).
    static func version2(_ profile: String) throws -> String {
        let v1 = try RetainProfile.read(Fixtures.tiny(profile))
        let reference = try Drift.computeReference(base: Checkpoint.open(Fixtures.tiny("base")), profile: v1)
        let path = try Fixtures.temporaryDirectory() + "/" + profile
        try v1.storingReferences(reference).write(to: path)
        return path
    }

    @Test func version2_roundTrips_andVersion1StaysReadable() throws {
        let path = try Self.version2("retain.profile.safetensors")
        #expect(try SafeTensorsFile(path: path).metadata["version"] == "2")
        let read = try RetainProfile.read(path)
        #expect(read.hasReferences)
        let v1 = try RetainProfile.read(Fixtures.tiny("retain.profile.safetensors"))
        #expect(!v1.hasReferences)
        #expect(read.references.keys.sorted() == v1.moduleNames.sorted())
        #expect(read.moduleNames == v1.moduleNames && read.baseFingerprint == v1.baseFingerprint)
    }

    @Test(arguments: [("cand-full", "retain.profile.safetensors"), ("cand-bf16", "retain-full.profile.safetensors"),
                      ("cand-lora", "retain.profile.safetensors")])
    func oneShotWithStoredReferences_matchesNumpy(candidate: String, profile: String) throws {
        let path = try Self.version2(profile)
        let measured = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny(candidate)), base: Checkpoint.open(Fixtures.tiny("base")),
                                         profile: RetainProfile.read(path))
        // numpy reads the version 2 file too, and computes R and ‖W0 μ‖ itself from the base.
        let reference = try JSONDecoder().decode(DriftReferenceTests.ReferenceReport.self, from: Fixtures.reference("drift.py", [
            "--base", Fixtures.tiny("base"), "--candidate", Fixtures.tiny(candidate), "--profile", path]))
        #expect(DriftReferenceTests.close(measured.report.drift, reference.drift))
        for (m, r) in zip(measured.report.modules, reference.modules) {
            #expect(m.name == r.name)
            for (label, a, b) in [("rho", m.rho, r.rho), ("beta", m.beta, r.beta), ("reference_energy", m.referenceEnergy, r.reference_energy)] {
                #expect(DriftReferenceTests.close(a, b), "\(m.name) \(label): swift \(a) numpy \(b)")
            }
        }
        #expect(measured.reference.fingerprint == reference.base_fingerprint)
    }

    /// The stored figures are what drift divides by: scaling them by 4 halves rho. (Were
    /// they recomputed from the base, rho would not move.)
    @Test func storedReferences_areUsed_notRecomputed() throws {
        let v1 = try RetainProfile.read(Fixtures.tiny("retain.profile.safetensors"))
        let base = try Checkpoint.open(Fixtures.tiny("base")), candidate = try Checkpoint.open(Fixtures.tiny("cand-full"))
        let computed = try Drift.computeReference(base: base, profile: v1)
        let scaled = BaseReference(fingerprint: computed.fingerprint, modules: computed.modules.mapValues {
            ModuleReference(energy: $0.energy * 4, meanOutputNorm: $0.meanOutputNorm * 2)
        })
        let plain = try Drift.measure(candidate: candidate, base: base, profile: v1).report
        let stored = try Drift.measure(candidate: candidate, base: base, profile: v1.storingReferences(scaled)).report
        for (a, b) in zip(plain.modules, stored.modules) {
            #expect(DriftReferenceTests.close(b.rho, a.rho / 2, 1e-9) && DriftReferenceTests.close(b.beta, a.beta / 2, 1e-9))
        }
    }

    /// A stored reference still needs the right base: the base's fingerprint is checked.
    @Test func storedReferences_ofAnotherBase_areRefused() throws {
        let path = try Self.version2("retain.profile.safetensors")
        let error = #expect(throws: DriftError.self) {
            try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-full")), base: Checkpoint.open(Fixtures.tiny("cand-full")),
                              profile: RetainProfile.read(path))
        }
        guard case .profileForAnotherBase = error?.reason else {
            Issue.record("expected profileForAnotherBase, got \(String(describing: error))")
            return
        }
    }
}
