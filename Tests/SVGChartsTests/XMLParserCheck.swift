import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Whether data is well-formed XML (SVG embedded in HTML must still be).
enum XMLParserCheck {
    static func parses(_ data: Data) -> Bool {
        XMLParser(data: data).parse()
    }
}
