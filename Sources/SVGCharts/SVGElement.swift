/// One SVG element: a tiny XML tree written with escaping, so chart code never builds
/// markup by hand and a checkpoint name cannot break the document.
public struct SVGElement: Sendable, Equatable {
    public var name: String
    /// Attributes in the order they are written.
    public var attributes: [(String, String)]
    public var children: [SVGElement]
    /// Character data (escaped when written), e.g. a `<title>`'s or `<text>`'s content.
    public var text: String?

    /// An element with attributes, children and text.
    public init(_ name: String, _ attributes: [(String, String)] = [], text: String? = nil, children: [SVGElement] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    public static func == (lhs: SVGElement, rhs: SVGElement) -> Bool {
        lhs.name == rhs.name && lhs.attributes.elementsEqual(rhs.attributes, by: ==) && lhs.children == rhs.children && lhs.text == rhs.text
    }

    /// A `<title>` child: the tooltip a browser shows on hover.
    public static func title(_ text: String) -> SVGElement { SVGElement("title", text: text) }

    /// A group of `children` with `attributes`.
    public static func group(_ attributes: [(String, String)] = [], _ children: [SVGElement]) -> SVGElement {
        SVGElement("g", attributes, children: children)
    }

    /// The element as XML text.
    public func render() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    /// Appends the element's XML to `out` (one buffer for a whole chart).
    public func write(to out: inout String) {
        out += "<" + name
        for (key, value) in attributes {
            out += " " + key + "=\""
            Self.escape(value, into: &out, quote: true)
            out += "\""
        }
        if children.isEmpty && text == nil {
            out += "/>"
            return
        }
        out += ">"
        if let text { Self.escape(text, into: &out, quote: false) }
        for child in children { child.write(to: &out) }
        out += "</" + name + ">"
    }

    /// XML escaping; characters XML 1.0 cannot hold (most C0 controls) become `\xNN`
    /// text, as the CLI shows them.
    static func escape(_ text: String, into out: inout String, quote: Bool) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where quote: out += "&quot;"
            case "\n", "\t" where !quote: out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value):
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
    }
}

/// Coordinates and numbers in SVG attributes: at most two decimals, no trailing zeros,
/// so a chart of a thousand points stays small.
public enum SVGNumber {
    /// `12.5`, `3`, `-0.25`.
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(rounded)
        if text.hasPrefix("0.") { text.removeFirst() } else if text.hasPrefix("-0.") { text = "-" + text.dropFirst(2) }
        return text
    }
}
