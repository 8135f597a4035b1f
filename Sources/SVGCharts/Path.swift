/// SVG path data (`d`) for polylines: one `<path>` per series instead of an element per segment.
public struct PathData: Sendable {
    public private(set) var text = ""

    public init() {}

    /// Starts a new sub-path at `(x, y)`.
    public mutating func move(_ x: Double, _ y: Double) {
        text += (text.isEmpty ? "M" : " M") + SVGNumber.format(x) + "," + SVGNumber.format(y)
    }

    /// A straight line from the current point to `(x, y)`.
    public mutating func line(_ x: Double, _ y: Double) {
        text += " L" + SVGNumber.format(x) + "," + SVGNumber.format(y)
    }

    /// A polyline through `points`; a nil breaks it (a gap where a value is missing).
    public static func polyline(_ points: [(Double, Double)?]) -> PathData {
        var path = PathData()
        var drawing = false
        for point in points {
            guard let (x, y) = point else { drawing = false; continue }
            if drawing { path.line(x, y) } else { path.move(x, y) }
            drawing = true
        }
        return path
    }
}
