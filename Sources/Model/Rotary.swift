import Foundation

/// Rotary position embeddings as transformers applies them to Llama: frequencies
/// `θ^(−2i/d)` (optionally llama3-scaled), and each head vector's halves rotated
/// (`x·cos + rotate_half(x)·sin`, `rotate_half(x) = [−x₂, x₁]`).
struct Rotary {
    let headDim: Int
    /// `cos` and `sin` per position, each `headDim / 2` wide.
    private var cos: [Float] = []
    private var sin: [Float] = []
    private let inverseFrequencies: [Float]
    private var positions = 0

    init(config: LlamaConfig) {
        headDim = config.headDim
        let half = config.headDim / 2
        // In F32, as transformers computes them.
        var frequencies = (0..<half).map { 1 / pow(Float(config.ropeTheta), Float(2 * $0) / Float(config.headDim)) }
        if let s = config.ropeScaling {
            let (factor, low, high, original) = (Float(s.factor), Float(s.lowFreqFactor), Float(s.highFreqFactor),
                                                 Float(s.originalMaxPositionEmbeddings))
            let lowWavelength = original / low
            let highWavelength = original / high
            frequencies = frequencies.map { f in
                let wavelength = 2 * Float.pi / f
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return f / factor }
                let smooth = (original / wavelength - low) / (high - low)
                return (1 - smooth) * f / factor + smooth * f
            }
        }
        inverseFrequencies = frequencies
    }

    /// Makes the tables cover `count` positions.
    mutating func reserve(_ count: Int) {
        guard count > positions else { return }
        let half = headDim / 2
        cos = [Float](repeating: 0, count: count * half)
        sin = cos
        for p in 0..<count {
            for i in 0..<half {
                // transformers computes the angle in F32: position × inv_freq.
                let angle = Float(p) * inverseFrequencies[i]
                cos[p * half + i] = Foundation.cos(angle)
                sin[p * half + i] = Foundation.sin(angle)
            }
        }
        positions = count
    }

    /// Rotates every head of `rows` consecutive positions (starting at 0) in place;
    /// `x` holds `rows × (heads · headDim)`.
    func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int) {
        let half = headDim / 2
        let width = heads * headDim
        for p in 0..<rows {
            for h in 0..<heads {
                let v = x + p * width + h * headDim
                for i in 0..<half {
                    let c = cos[p * half + i], s = sin[p * half + i]
                    let a = v[i], b = v[i + half]
                    v[i] = a * c - b * s
                    v[i + half] = b * c + a * s
                }
            }
        }
    }
}
