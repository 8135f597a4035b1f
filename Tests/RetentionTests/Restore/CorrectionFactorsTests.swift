import Foundation
import Linalg
import Testing
import TestSupport
import SafeTensors
@testable import Retention

/// `CorrectionFactors` against what a restore writes and reports: the settings
/// `restore.tune` tries without writing must be the restores it would have written.
/// (`Restore.run` is itself checked against the dense numpy reference in RestoreTests.)
@Suite(.serialized) struct CorrectionFactorsTests {
    static let settings: [(alpha: Double, gamma: Double)] = [(0.1, 0), (10, 10), (1000, 100), (3.16, 1)]

    static func factors(_ candidate: String, forget: Bool) throws -> (CorrectionFactors, Drift.Measurement) {
        let c = try Checkpoint.open(Fixtures.tiny(candidate)), b = try Checkpoint.open(RestoreTests.base)
        let retain = try RetainProfile.read(RestoreTests.retain)
        let measured = try Drift.measure(candidate: c, base: b, profile: retain)
        let factors = try CorrectionFactors(candidate: c, base: b, retain: retain, forget: forget ? RetainProfile.read(RestoreTests.forget) : nil,
                                            reference: measured.reference)
        return (factors, measured)
    }

    /// Restores every module at `setting` as a pass would, from the candidate's weights
    /// (the base's for an adapter, whose update comes from its factors).
    static func restoreAll(_ factors: CorrectionFactors, _ candidate: String, at setting: CorrectionFactors.Setting) throws {
        let source = try Checkpoint.open(Fixtures.tiny(candidate)), base = try Checkpoint.open(RestoreTests.base)
        let pass = factors.pass()
        for name in factors.moduleOrder {
            let location = source.location(of: name) ?? base.location(of: name)!
            var weight = Matrix<Float>(rows: location.tensor.shape[0], cols: location.tensor.shape[1],
                                       storage: try location.file.float32Array(location.tensor))
            #expect(pass.restore(name, &weight, at: setting))
        }
        #expect(pass.failure == nil)
    }

    @Test(arguments: [("cand-full", true), ("cand-full", false), ("cand-bf16", true), ("cand-sharded", true), ("cand-lora", true)])
    func inPassFigures_equalTheWrittenRestoresReport(candidate: String, withForget: Bool) throws {
        let (factors, _) = try Self.factors(candidate, forget: withForget)
        for (alpha, gamma) in Self.settings {
            let report = try RestoreTests.restore(candidate, alpha: alpha, gamma: gamma, forget: withForget, dtype: .float32)
            let setting = factors.setting(alpha: alpha, gamma: gamma)
            try Self.restoreAll(factors, candidate, at: setting)
            let figures = try factors.figures(of: setting)
            // The written figure carries F32 rounding of W0 + D, which the closed form has not:
            // it shows where drift_after nears zero.
            #expect(abs(figures.driftAfter - report.driftAfter) <= 1e-4 * report.driftAfter + 1e-6 * report.drift,
                    "α \(alpha) γ \(gamma): drift_after \(figures.driftAfter) vs \(report.driftAfter)")
            #expect(RestoreTests.close(figures.updateKept, report.updateKept, 1e-4), "α \(alpha) γ \(gamma): update_kept \(figures.updateKept) vs \(report.updateKept)")
            if withForget {
                #expect(RestoreTests.close(figures.forgetKept!, report.forgetKept!, 1e-4), "α \(alpha) γ \(gamma): forget_kept")
            } else {
                #expect(figures.forgetKept == nil)
            }
            // A second pass (the forget data, another batch) must not count a module twice.
            try Self.restoreAll(factors, candidate, at: setting)
            #expect(try factors.figures(of: setting) == figures)
        }
    }

    @Test func figuresBeforeEveryModuleIsRestored_nameTheMissingModule() throws {
        let (factors, _) = try Self.factors("cand-full", forget: true)
        let setting = factors.setting(alpha: 10, gamma: 10)
        #expect(throws: DriftError.self) { try factors.figures(of: setting) }
        do {
            _ = try factors.figures(of: setting)
        } catch {
            #expect("\(error)".contains(factors.moduleOrder[0]), "\(error)")
        }
    }

    @Test(arguments: ["cand-full", "cand-bf16"])
    func restoredWeights_equalTheWrittenF32Restore(candidate: String) throws {
        let (factors, _) = try Self.factors(candidate, forget: true)
        let source = try Checkpoint.open(Fixtures.tiny(candidate)), base = try Checkpoint.open(RestoreTests.base)
        for (alpha, gamma) in Self.settings {
            let report = try RestoreTests.restore(candidate, alpha: alpha, gamma: gamma, dtype: .float32)
            let written = try Checkpoint.open(report.path)
            let setting = factors.setting(alpha: alpha, gamma: gamma)
            let pass = factors.pass()
            for name in factors.moduleOrder {
                let location = source.location(of: name)!
                var weight = Matrix<Float>(rows: location.tensor.shape[0], cols: location.tensor.shape[1],
                                           storage: try location.file.float32Array(location.tensor))
                #expect(pass.restore(name, &weight, at: setting))
                let expected = try written.location(of: name)!.file.float32Array(written.location(of: name)!.tensor)
                let w0 = try base.location(of: name)!.file.float32Array(base.location(of: name)!.tensor)
                let updateScale = zip(expected, w0).map { abs($0 - $1) }.max()!
                let worst = zip(weight.storage, expected).map { abs($0 - $1) }.max()!
                #expect(worst <= 1e-4 * updateScale + 1e-6, "\(name) α \(alpha): max |in-pass − written| = \(worst), update scale \(updateScale)")
            }
        }
        var untouched = Matrix<Float>(rows: 2, cols: 2, storage: [1, 2, 3, 4])
        #expect(!factors.pass().restore("model.embed_tokens.weight", &untouched, at: factors.setting(alpha: 10, gamma: 10)))
        #expect(untouched.storage == [1, 2, 3, 4])
    }

    @Test func gammaIsIgnoredWithoutForgetProfile_asInARestore() throws {
        let (factors, _) = try Self.factors("cand-full", forget: false)
        #expect(!factors.hasForget)
        let (withoutGamma, withGamma) = (factors.setting(alpha: 10, gamma: 0), factors.setting(alpha: 10, gamma: 100))
        try Self.restoreAll(factors, "cand-full", at: withoutGamma)
        try Self.restoreAll(factors, "cand-full", at: withGamma)
        #expect(try factors.figures(of: withoutGamma) == factors.figures(of: withGamma))
        #expect(factors.setting(alpha: 10, gamma: 100).gamma == 0)
    }
}
