/// A JSON value as the strict parser reads it.
///
/// It keeps what validating untrusted headers needs and what Foundation's
/// `JSONSerialization` drops: object members in file order (so duplicates can be
/// rejected and `rank_pattern` keeps its precedence), and numbers as their literal
/// text (so 64-bit offsets never pass through `Double`).
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, already checked against the JSON grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The value as an unsigned integer, when it is an integer literal that fits.
    public var uint64: UInt64? {
        guard case .number(let text) = self else { return nil }
        return UInt64(text)
    }

    /// The value as a signed integer, when it is an integer literal that fits.
    public var int: Int? {
        guard case .number(let text) = self else { return nil }
        return Int(text)
    }

    /// The value as a floating-point number (integers included).
    public var double: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    public var string: String? {
        guard case .string(let s) = self else { return nil }
        return s
    }

    public var bool: Bool? {
        guard case .bool(let b) = self else { return nil }
        return b
    }

    public var array: [JSONValue]? {
        guard case .array(let a) = self else { return nil }
        return a
    }

    public var object: JSONObject? {
        guard case .object(let o) = self else { return nil }
        return o
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON object's members in the order they appear in the file; keys are unique.
public struct JSONObject: Sendable {
    /// Members in file order.
    public let members: [(key: String, value: JSONValue)]
    private let index: [String: Int]

    init(members: [(key: String, value: JSONValue)], index: [String: Int]) {
        self.members = members
        self.index = index
    }

    public subscript(key: String) -> JSONValue? {
        index[key].map { members[$0].value }
    }

    public var keys: [String] { members.map(\.key) }
    public var count: Int { members.count }
}
