/// The shapes a point can be drawn as: status is told by shape as well as colour, so a
/// chart survives colour-blindness and greyscale printing.
public enum MarkerShape: String, Sendable, CaseIterable {
    case circle, diamond, triangle, square, cross

    /// The shape centred on `(x, y)` with half-size `r`, filled with `fill`.
    public func element(x: Double, y: Double, r: Double, fill: String, stroke: String? = nil) -> SVGElement {
        let n = SVGNumber.format
        var attributes: [(String, String)]
        switch self {
        case .circle:
            attributes = [("cx", n(x)), ("cy", n(y)), ("r", n(r))]
            return SVGElement("circle", attributes + Self.paint(fill, stroke))
        case .square:
            attributes = [("x", n(x - r)), ("y", n(y - r)), ("width", n(2 * r)), ("height", n(2 * r))]
            return SVGElement("rect", attributes + Self.paint(fill, stroke))
        case .diamond:
            return Self.polygon([(x, y - r * 1.25), (x + r * 1.25, y), (x, y + r * 1.25), (x - r * 1.25, y)], fill: fill, stroke: stroke)
        case .triangle:
            return Self.polygon([(x, y - r * 1.3), (x + r * 1.2, y + r), (x - r * 1.2, y + r)], fill: fill, stroke: stroke)
        case .cross:
            // A filled ×: twelve corners, arms a third of the size wide.
            let a = r * 1.2, w = r * 0.45
            let points: [(Double, Double)] = [
                (x - a, y - a + w), (x - a + w, y - a), (x, y - w), (x + a - w, y - a), (x + a, y - a + w), (x + w, y),
                (x + a, y + a - w), (x + a - w, y + a), (x, y + w), (x - a + w, y + a), (x - a, y + a - w), (x - w, y),
            ]
            return Self.polygon(points, fill: fill, stroke: stroke)
        }
    }

    private static func polygon(_ points: [(Double, Double)], fill: String, stroke: String?) -> SVGElement {
        let text = points.map { SVGNumber.format($0.0) + "," + SVGNumber.format($0.1) }.joined(separator: " ")
        return SVGElement("polygon", [("points", text)] + paint(fill, stroke))
    }

    private static func paint(_ fill: String, _ stroke: String?) -> [(String, String)] {
        [("fill", fill)] + (stroke.map { [("stroke", $0)] } ?? [])
    }
}
