/// Why a model could not be loaded or run, naming the file and key at fault.
///
/// ``code`` says what kind of problem it is (for a caller that reacts to it);
/// ``message`` says what is wrong and what to do, for the user.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem it is.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// A file (config, tokenizer, data, proxy) could not be read.
        case unreadableFile
        /// `config.json` is malformed or inconsistent.
        case invalidConfig
        /// `config.json` describes a model this forward pass does not implement.
        case unsupportedModel
        /// The checkpoint could not be opened or its weights read.
        case invalidCheckpoint
        /// An adapter and its base do not go together (or the base is missing).
        case adapterBase
        /// A weight is missing, or its shape or dtype is not what `config.json` implies.
        case weightMismatch
        /// `tokenizer.json` is malformed.
        case invalidTokenizer
        /// `tokenizer.json` uses a feature the byte-level BPE tokenizer does not implement.
        case unsupportedTokenizer
        /// Text needs tokenizing but there is no tokenizer to do it.
        case missingTokenizer
        /// A data or proxy file's content is malformed or empty.
        case invalidData
        /// The input to a pass is unusable: an empty sequence, a token outside the
        /// vocabulary, nothing to predict, models with different vocabularies.
        case invalidInput
        /// A site's statistics could not be turned into a profile.
        case capture
    }

    /// The model directory or data file.
    public let path: String
    public let code: Code
    /// A sentence for the user: what is wrong and what to do about it.
    public let message: String

    public init(path: String, _ code: Code, _ message: String) {
        self.path = path
        self.code = code
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
