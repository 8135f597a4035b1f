/// Why a model could not be loaded or run, naming the file and key at fault.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The model directory or data file.
    public let path: String
    public let message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
