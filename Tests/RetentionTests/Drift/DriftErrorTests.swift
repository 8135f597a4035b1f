import Foundation
import Testing
@testable import Linalg
import SafeTensors
@testable import Retention

/// Mismatches are clear, typed errors naming what is wrong.
@Suite struct DriftErrorTests {
    static func profile() throws -> RetainProfile { try RetainProfile.read(Fixtures.tiny("retain.profile.safetensors")) }
    static func base() throws -> Checkpoint { try Checkpoint.open(Fixtures.tiny("base")) }

    func reason(_ body: () throws -> Void) -> DriftError.Reason? {
        (#expect(throws: DriftError.self) { try body() })?.reason
    }

    @Test func profileOfAnotherBase_isRefused() throws {
        let p = try Self.profile()
        let other = RetainProfile(modules: Array(p.modules.values), sites: Array(p.sites.values), tokens: p.tokens,
                                  baseFingerprint: String(repeating: "ab", count: 32), proxyFingerprint: p.proxyFingerprint)
        let r = reason { _ = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-full")), base: Self.base(), profile: other) }
        #expect(r == .profileForAnotherBase(profile: other.baseFingerprint, base: p.baseFingerprint))
        #expect(r?.message.contains("rebuild the profile") == true)
        #expect(throws: DriftError.self) { try Drift.computeReference(base: Self.base(), profile: other) }
    }

    /// Copies the base's tensors with `edit` applied, into a new candidate directory.
    func candidate(_ edit: (inout [(String, [Int], [Float])]) -> Void) throws -> Checkpoint {
        let base = try Self.base()
        var tensors = try base.tensorNames.map { name -> (String, [Int], [Float]) in
            let l = base.location(of: name)!
            return (name, l.tensor.shape, try l.file.float32Array(l.tensor))
        }
        edit(&tensors)
        let dir = try Fixtures.temporaryDirectory() + "/cand"
        try writeCheckpoint(dir, tensors)
        return try Checkpoint.open(dir)
    }

    @Test func candidateMissingATensor_isRefused() throws {
        let c = try candidate { $0.removeAll { $0.0 == "model.layers.0.mlp.up_proj.weight" } }
        #expect(reason { _ = try Drift.measure(candidate: c, base: Self.base(), profile: Self.profile()) }
                == .missingTensor(name: "model.layers.0.mlp.up_proj.weight", missingFrom: "candidate"))
    }

    @Test func candidateWithAnExtraTensor_isRefused() throws {
        let c = try candidate { $0.append(("lm_head.weight", [2], [1, 2])) }
        #expect(reason { _ = try Drift.measure(candidate: c, base: Self.base(), profile: Self.profile()) }
                == .missingTensor(name: "lm_head.weight", missingFrom: "base"))
    }

    @Test func reshapedTensor_isRefused() throws {
        let c = try candidate { tensors in
            let i = tensors.firstIndex { $0.0 == "model.layers.1.self_attn.o_proj.weight" }!
            tensors[i].1 = [16, 64]
        }
        #expect(reason { _ = try Drift.measure(candidate: c, base: Self.base(), profile: Self.profile()) }
                == .shapeMismatch(name: "model.layers.1.self_attn.o_proj.weight", base: [32, 32], candidate: [16, 64]))
    }

    @Test func nanInCandidate_isRefused() throws {
        let c = try candidate { tensors in tensors[3].2[5] = .nan }
        guard case .checkpoint(let error) = reason({ _ = try Drift.measure(candidate: c, base: Self.base(), profile: Self.profile()) }),
              case .nonFinite = error.reason else {
            Issue.record("expected a non-finite checkpoint error")
            return
        }
    }

    @Test func profileModuleAbsentFromBase_isRefused() throws {
        let p = try Self.profile()
        let site = p.sites.values.first!
        let extra = RetainProfile(modules: Array(p.modules.values) + [ProfiledModule(weight: "model.extra.weight", site: site.name, layout: .outIn)],
                                  sites: Array(p.sites.values), tokens: p.tokens, baseFingerprint: p.baseFingerprint, proxyFingerprint: "")
        #expect(reason { _ = try Drift.measure(candidate: Checkpoint.open(Fixtures.tiny("cand-full")), base: Self.base(), profile: extra) }
                == .moduleNotInBase(name: "model.extra.weight"))
    }
}

/// Whose fault a failure is, as the daemon records it (`rejected` or `error`).
@Suite struct FaultAttributionTests {
    @Test func driftErrors_blameTheCheckpointExceptForOutputProfilesAndArithmetic() {
        let file = SafeTensorsError(path: "/c/model.safetensors", reason: .fileTooSmall(size: 3))
        let checkpointFaults: [DriftError.Reason] = [
            .missingTensor(name: "w", missingFrom: "candidate"), .shapeMismatch(name: "w", base: [2], candidate: [3]),
            .moduleNotInBase(name: "w"), .moduleShape(name: "w", shape: [2], siteDimension: 4, layout: .outIn),
            .unsupportedDType(name: "w", dtype: .i32), .infiniteDrift(module: "w"),
            .adapterTargetShape(name: "w", base: [2, 2], adapter: [2, 3]),
            .checkpoint(CheckpointError(checkpoint: "/c", reason: .missingConfig)), .file(file),
        ]
        let daemonFaults: [DriftError.Reason] = [
            .output(file), .linalg(LinalgError(routine: "dsyevd", info: 1)),
            .forgetProfileMismatch(module: "w", detail: "x"), .profileForAnotherBase(profile: "a", base: "b"),
        ]
        for reason in checkpointFaults { #expect(DriftError(checkpoint: "/c", reason: reason).isCheckpointFault, "\(reason)") }
        for reason in daemonFaults { #expect(!DriftError(checkpoint: "/c", reason: reason).isCheckpointFault, "\(reason)") }
        let opened: any Error = CheckpointError(checkpoint: "/c", reason: .missingConfig)
        #expect((opened as? FaultAttributable)?.isCheckpointFault == true)
    }
}

/// A candidate cut short by another process after it was opened (a trainer rewriting
/// it in place) is the candidate's fault, named as such; the process does not crash.
@Suite struct DriftTruncatedCandidateTests {
    @Test(arguments: [false, true])
    func candidateTruncatedAfterOpening_isACheckpointFault(cached: Bool) throws {
        let dir = try Fixtures.temporaryDirectory() + "/cand"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: Fixtures.tiny("cand-full") + "/" + name, toPath: dir + "/" + name)
        }
        let base = try DriftErrorTests.base(), profile = try DriftErrorTests.profile()
        let reference = cached ? try Drift.computeReference(base: base, profile: profile) : nil
        let candidate = try Checkpoint.open(dir)
        let file = candidate.files[0]
        #expect(truncate(file.path, off_t(file.dataOffset + file.tensors[file.tensors.count / 2].dataRange.lowerBound)) == 0)
        let error = #expect(throws: DriftError.self) {
            try Drift.measure(candidate: candidate, base: base, profile: profile, reference: reference)
        }
        #expect(error?.isCheckpointFault == true)
        #expect(error?.description.contains("truncated while it was read") == true, "\(String(describing: error))")
    }
}
