/// A configuration that cannot be used: which file, which key, which line, and why.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    /// Dotted key (`watch[1].gate.threshold`), or nil for file-level problems.
    public let key: String?
    /// 1-based line of the key in the file, when it can be found.
    public let line: Int?
    public let message: String

    /// An error at `key` (line `line`) of `file`.
    public init(file: String, key: String? = nil, line: Int? = nil, message: String) {
        self.file = file
        self.key = key
        self.line = line
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let key { return "\(location): \(key): \(message)" }
        return "\(location): \(message)"
    }
}
