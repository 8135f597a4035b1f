@testable import Daemon
import Testing

/// The gate's rules (docs/spec.md §5), figure by figure.
struct GateTests {
    let plain = Configuration.Gate(threshold: 0.001, thresholdMax: nil, retainPPLRatio: nil)

    @Test func driftOverTheThreshold_isOver_andAtTheThreshold_passes() {
        #expect(Gate.verdict(drift: 0.0011, driftMax: 0.0011, plain) == .over)
        #expect(Gate.verdict(drift: 0.001, driftMax: 0.5, plain) == .pass, "drift equal to the threshold passes; drift_max has no limit")
        #expect(Gate.verdict(drift: 0.0009, driftMax: 0.0009, plain) == .pass)
    }

    @Test func driftMaxOverItsOwnLimit_isOver_evenWithDriftUnder() {
        let gate = Configuration.Gate(threshold: 0.001, thresholdMax: 0.01, retainPPLRatio: nil)
        #expect(Gate.verdict(drift: 0.0005, driftMax: 0.02, gate) == .over)
        #expect(Gate.verdict(drift: 0.0005, driftMax: 0.01, gate) == .pass)
    }

    @Test func measuredDamage_decidesInsteadOfDrift_whenMeasured() {
        let gate = Configuration.Gate(threshold: 0.001, thresholdMax: nil, retainPPLRatio: 1.1)
        #expect(Gate.verdict(drift: 0.5, driftMax: 0.5, gate, retainPPL: 10.5, baseRetainPPL: 10) == .pass, "large drift, little damage")
        #expect(Gate.verdict(drift: 0.0001, driftMax: 0.0001, gate, retainPPL: 11.5, baseRetainPPL: 10) == .over, "small drift, real damage")
    }

    @Test func unmeasuredDamage_fallsBackToTheDriftRule() {
        let gate = Configuration.Gate(threshold: 0.001, thresholdMax: nil, retainPPLRatio: 1.1)
        #expect(Gate.verdict(drift: 0.5, driftMax: 0.5, gate, retainPPL: nil, baseRetainPPL: 10) == .over)
        #expect(Gate.verdict(drift: 0.0001, driftMax: 0.0001, gate, retainPPL: nil, baseRetainPPL: 10) == .pass)
    }
}
