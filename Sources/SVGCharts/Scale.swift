import Foundation

/// A map from data values to pixels along one axis.
public protocol Scale: Sendable {
    /// The data interval shown.
    var domain: ClosedRange<Double> { get }
    /// The pixel interval it maps to (`lowerBound` is where `domain.lowerBound` goes; it may be the larger).
    var range: (Double, Double) { get }
    /// The pixel position of `value`.
    func position(_ value: Double) -> Double
    /// The data value at pixel `position` (the inverse of ``position(_:)``).
    func value(at position: Double) -> Double
    /// Tick values inside the domain, about `count` of them, at "nice" numbers.
    func ticks(_ count: Int) -> [Double]
}

/// `value ↦ a + b·value`: drift, perplexity, steps.
public struct LinearScale: Scale {
    public let domain: ClosedRange<Double>
    public let range: (Double, Double)

    /// A scale over `domain`; a zero-width domain is widened by one unit each way so every value has a place.
    public init(domain: ClosedRange<Double>, range: (Double, Double)) {
        self.domain = domain.lowerBound == domain.upperBound ? (domain.lowerBound - 1)...(domain.upperBound + 1) : domain
        self.range = range
    }

    /// The scale over `domain` widened outwards to nice tick values.
    public static func nice(_ domain: ClosedRange<Double>, range: (Double, Double), ticks count: Int = 5) -> LinearScale {
        let widened = domain.lowerBound == domain.upperBound ? (domain.lowerBound - 1)...(domain.upperBound + 1) : domain
        let step = NiceNumbers.step(for: widened, count: count)
        let lower = (widened.lowerBound / step).rounded(.down) * step
        let upper = (widened.upperBound / step).rounded(.up) * step
        return LinearScale(domain: lower...upper, range: range)
    }

    public func position(_ value: Double) -> Double {
        range.0 + (value - domain.lowerBound) / (domain.upperBound - domain.lowerBound) * (range.1 - range.0)
    }

    public func value(at position: Double) -> Double {
        domain.lowerBound + (position - range.0) / (range.1 - range.0) * (domain.upperBound - domain.lowerBound)
    }

    public func ticks(_ count: Int) -> [Double] {
        let step = NiceNumbers.step(for: domain, count: count)
        var ticks: [Double] = []
        var i = (domain.lowerBound / step).rounded(.up)
        while i * step <= domain.upperBound + step * 1e-9 {
            // Multiplying (never adding up) keeps 0.1·3 at 0.3, not 0.30000000000000004's neighbour.
            ticks.append(NiceNumbers.clean(i * step, step: step))
            i += 1
        }
        return ticks
    }
}

/// `value ↦ a + b·log10(value)`: drift spanning decades. Values ≤ 0 have no place.
public struct LogScale: Scale {
    public let domain: ClosedRange<Double>
    public let range: (Double, Double)

    /// A scale over a positive `domain`, widened outwards to whole decades.
    public init(domain: ClosedRange<Double>, range: (Double, Double)) {
        precondition(domain.lowerBound > 0, "a log scale needs a positive domain")
        let lower = pow(10, log10(domain.lowerBound).rounded(.down))
        var upper = pow(10, log10(domain.upperBound).rounded(.up))
        if upper <= lower { upper = lower * 10 }
        self.domain = lower...upper
        self.range = range
    }

    public func position(_ value: Double) -> Double {
        let t = (log10(max(value, .leastNormalMagnitude)) - log10(domain.lowerBound)) / (log10(domain.upperBound) - log10(domain.lowerBound))
        return range.0 + t * (range.1 - range.0)
    }

    public func value(at position: Double) -> Double {
        let t = (position - range.0) / (range.1 - range.0)
        return pow(10, log10(domain.lowerBound) + t * (log10(domain.upperBound) - log10(domain.lowerBound)))
    }

    /// Powers of ten, thinned to about `count`.
    public func ticks(_ count: Int) -> [Double] {
        let low = Int(log10(domain.lowerBound).rounded()), high = Int(log10(domain.upperBound).rounded())
        let every = max(1, Int((Double(high - low) / Double(max(count, 1))).rounded(.up)))
        return stride(from: low, through: high, by: every).map { pow(10, Double($0)) }
    }
}

/// The 1-2-5 steps axes use, so tick labels are round numbers.
public enum NiceNumbers {
    /// The 1, 2 or 5 × 10ⁿ step giving about `count` intervals over `domain`.
    public static func step(for domain: ClosedRange<Double>, count: Int) -> Double {
        let raw = (domain.upperBound - domain.lowerBound) / Double(max(count, 1))
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, log10(raw).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// `value` rounded to the decimals `step` has, dropping floating-point dust.
    static func clean(_ value: Double, step: Double) -> Double {
        let decimals = max(0, -Int(log10(step).rounded(.down))) + 1
        let factor = pow(10, Double(min(decimals, 15)))
        let cleaned = (value * factor).rounded() / factor
        return cleaned == 0 ? 0 : cleaned
    }

    /// A tick label: the shortest text that tells ticks `step` apart (`0.05`, `1e-05`, `1200`).
    public static func label(_ value: Double, step: Double? = nil) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e-3 && magnitude < 1e6 {
            let decimals = step.map { max(0, -Int(log10($0).rounded(.down))) } ?? 6
            var text = String(format: "%.\(min(decimals, 6))f", value)
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            return text
        }
        return String(format: "%.0e", value).replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e-0", with: "e-")
    }
}
