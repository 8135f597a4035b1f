/// A small deterministic generator, so a failing test reproduces.
public struct SplitMix: Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    /// Uniform in [-1, 1).
    public mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53) * 2 - 1
    }

    public mutating func floats(_ n: Int, scale: Double = 1) -> [Float] { (0..<n).map { _ in Float(next() * scale) } }
}
