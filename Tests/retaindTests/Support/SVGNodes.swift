import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The elements of one `<svg>` cut out of a page, flattened: enough to read back where a
/// chart put its points and what its tooltips say.
struct SVGNodes {
    struct Node {
        let name: String
        let attributes: [String: String]
        /// The text of a direct `<title>` child, or of the element itself (`<text>`).
        var title: String?
        var text: String = ""
        /// The `class` of the enclosing `<g>`s and `<a>`, innermost last.
        let ancestors: [String]
        /// An enclosing `<a>`'s href.
        let link: String?

        var classes: [String] { (attributes["class"] ?? "").split(separator: " ").map(String.init) }

        /// The shape's centre (circle, rect, or the mean of a symmetric polygon's corners).
        var centre: (x: Double, y: Double)? {
            func n(_ key: String) -> Double? { attributes[key].flatMap(Double.init) }
            switch name {
            case "circle": return n("cx").flatMap { x in n("cy").map { (x, $0) } }
            case "rect":
                guard let x = n("x"), let y = n("y"), let w = n("width"), let h = n("height") else { return nil }
                return (x + w / 2, y + h / 2)
            case "polygon":
                let points = (attributes["points"] ?? "").split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } }
                guard !points.isEmpty else { return nil }
                return (points.map { $0[0] }.reduce(0, +) / Double(points.count), points.map { $0[1] }.reduce(0, +) / Double(points.count))
            default: return nil
            }
        }
    }

    let nodes: [Node]

    /// Every `<svg>…</svg>` in `html`, in order, each parsed as XML (which also checks it is well formed).
    static func all(in html: String) throws -> [SVGNodes] {
        var result: [SVGNodes] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            result.append(try SVGNodes(String(rest[start.lowerBound..<end.upperBound])))
            rest = rest[end.upperBound...]
        }
        return result
    }

    init(_ xml: String) throws {
        let delegate = Collector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = delegate
        guard parser.parse() else { throw ParseFailure(reason: parser.parserError.map { "\($0)" } ?? "?", xml: String(xml.prefix(300))) }
        nodes = delegate.nodes
    }

    struct ParseFailure: Error, CustomStringConvertible {
        let reason: String, xml: String
        var description: String { "SVG is not well-formed XML (\(reason)): \(xml)…" }
    }

    /// Marks (`class="mark <role>"`) with role `role`.
    func marks(_ role: String) -> [Node] { nodes.filter { $0.classes.first == "mark" && $0.classes.contains(role) } }

    /// The linear map from pixels back to values, from the first and last tick labels of `axis` (`x-tick`, `y-tick`).
    func inverse(_ axis: String) -> ((Double) -> Double)? {
        let ticks = nodes.filter { $0.classes.contains(axis) }.compactMap { node -> (Double, Double)? in
            guard let value = Double(node.text), let position = Double(node.attributes[axis == "x-tick" ? "x" : "y"] ?? "") else { return nil }
            return (axis == "x-tick" ? position : position - 4, value)
        }
        guard let first = ticks.first, let last = ticks.last, first.0 != last.0 else { return nil }
        return { first.1 + ($0 - first.0) / (last.0 - first.0) * (last.1 - first.1) }
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var nodes: [Node] = []
        /// Open elements: index into `nodes` (nil for `<title>`), name, class.
        var stack: [(index: Int?, name: String, classValue: String?, href: String?)] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if name == "title" {
                stack.append((nil, name, nil, nil))
                return
            }
            let ancestors = stack.compactMap(\.classValue)
            let link = stack.last { $0.href != nil }?.href
            nodes.append(Node(name: name, attributes: attributes, title: nil, ancestors: ancestors, link: link))
            stack.append((nodes.count - 1, name, attributes["class"], attributes["href"]))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard let top = stack.last else { return }
            if top.name == "title" {
                // The title belongs to the element that holds it.
                if let owner = stack.dropLast().last?.index { nodes[owner].title = (nodes[owner].title ?? "") + string }
            } else if let index = top.index {
                nodes[index].text += string
            }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
    }
}
