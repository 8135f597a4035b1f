import Foundation

/// A sequential colour scale whose lightness rises monotonically: it reads the same to
/// colour-blind eyes and on a greyscale printout. Viridis (matplotlib's default, designed
/// for exactly that), interpolated between eleven of its stops.
public struct ColourScale: Sendable {
    /// The colours at t = 0, 0.1, …, 1 as 0xRRGGBB.
    public let stops: [UInt32]

    /// Viridis: dark purple (low) through blue and green to yellow (high).
    public static let viridis = ColourScale(stops: [
        0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C, 0x22A884, 0x44BF70, 0x7AD151, 0xBDDF26, 0xFDE725,
    ])

    /// The stops, evenly spaced from t = 0 to t = 1.
    public init(stops: [UInt32]) {
        precondition(stops.count >= 2, "a colour scale needs two stops")
        self.stops = stops
    }

    /// The colour at `t` in 0…1 (clamped) as `#rrggbb`.
    public func colour(_ t: Double) -> String {
        let (r, g, b) = rgb(t)
        return String(format: "#%02x%02x%02x", r, g, b)
    }

    /// The colour at `t` in 0…1 (clamped) as 8-bit channels.
    public func rgb(_ t: Double) -> (Int, Int, Int) {
        let t = t.isFinite ? min(max(t, 0), 1) : 0
        let position = t * Double(stops.count - 1)
        let i = min(Int(position), stops.count - 2)
        let f = position - Double(i)
        func channel(_ shift: UInt32) -> Int {
            let a = Double((stops[i] >> shift) & 0xFF), b = Double((stops[i + 1] >> shift) & 0xFF)
            return Int((a + (b - a) * f).rounded())
        }
        return (channel(16), channel(8), channel(0))
    }

    /// Relative luminance (0 black … 1 white) at `t`, for choosing legible text on a cell.
    public func luminance(_ t: Double) -> Double {
        let (r, g, b) = rgb(t)
        return (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255
    }
}
