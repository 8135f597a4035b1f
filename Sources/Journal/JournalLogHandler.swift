#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import Logging
import SystemCalls

/// A swift-log handler that writes each entry to journald as one structured record.
///
/// Metadata becomes journal fields: keys are upper-cased and `.`/`-` become `_`, so
/// `retaind.drift` is `RETAIND_DRIFT` and `message_id` is `MESSAGE_ID`; values are
/// written as their description. The level maps to syslog `PRIORITY` (debug 7, info 6,
/// notice 5, warning 4, error 3, critical 2). Where no journal accepts the entry (a
/// developer's shell, a container without journald) it is written to stderr instead, so
/// nothing is lost.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?

    private let identifier: String

    /// A handler writing `SYSLOG_IDENTIFIER=identifier`. `label` is the logger's, as
    /// `LoggingSystem.bootstrap` passes it; entries are told apart by their metadata.
    public init(label: String, identifier: String = "retaind", metadataProvider: Logger.MetadataProvider? = nil) {
        self.identifier = identifier
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let fields = Self.fields(message: event.message.description, level: event.level, metadata: merged, identifier: identifier,
                                 source: (event.file, event.line, event.function))
        // sd_journal_sendv drops entries silently (and returns 0) when the socket file
        // is missing, so look for it first; a stale socket makes it fail (ECONNREFUSED).
        if access(Self.socketPath, F_OK) != 0 || Self.send(fields) != 0 {
            StandardError.write(Self.fallbackLine(message: event.message.description, level: event.level, metadata: merged))
        }
    }

    /// Where journald listens for native-protocol entries.
    static let socketPath = "/run/systemd/journal/socket"

    /// The journal fields of one entry, in the order they are sent.
    static func fields(message: String, level: Logger.Level, metadata: Logger.Metadata, identifier: String,
                       source: (file: String, line: UInt, function: String)) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("MESSAGE", message),
            ("PRIORITY", String(priority(of: level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", source.file),
            ("CODE_LINE", String(source.line)),
            ("CODE_FUNC", source.function),
        ]
        for key in metadata.keys.sorted() {
            let name = fieldName(key)
            guard !name.isEmpty, !["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER"].contains(name) else { continue }
            fields.append((name, "\(metadata[key]!)"))
        }
        return fields
    }

    /// syslog priority of a swift-log level.
    public static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// A journal field name from a metadata key: `A–Z`, `0–9` and `_`, not starting with
    /// a digit or `_` (journald drops such fields).
    static func fieldName(_ key: String) -> String {
        var name = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9": name.unicodeScalars.append(scalar)
            default: name.append("_")
            }
        }
        while let first = name.first, first == "_" || first.isNumber { name.removeFirst() }
        return String(name.prefix(64))
    }

    /// Sends one entry with `sd_journal_sendv`; 0 on success, a negative errno otherwise.
    static func send(_ fields: [(String, String)]) -> Int32 {
        let buffers = fields.map { Array("\($0.0)=\($0.1)".utf8) }
        return withIOVecs(buffers) { vectors in sd_journal_sendv(vectors.baseAddress, Int32(vectors.count)) }
    }

    private static func withIOVecs<R>(_ buffers: [[UInt8]], _ body: (UnsafeBufferPointer<iovec>) -> R) -> R {
        // Copy every field into one allocation so the iovecs stay valid for the call.
        let total = buffers.reduce(0) { $0 + $1.count }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 1)
        defer { storage.deallocate() }
        var vectors: [iovec] = []
        vectors.reserveCapacity(buffers.count)
        var offset = 0
        for buffer in buffers {
            let start = storage.baseAddress! + offset
            buffer.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            vectors.append(iovec(iov_base: start, iov_len: buffer.count))
            offset += buffer.count
        }
        return vectors.withUnsafeBufferPointer(body)
    }

    /// One stderr line: `retaind[level] message key=value …`.
    static func fallbackLine(message: String, level: Logger.Level, metadata: Logger.Metadata) -> String {
        let fields = metadata.keys.sorted().map { "\($0)=\(metadata[$0]!)" }
        return (["<\(priority(of: level))>\(message)"] + fields).joined(separator: " ") + "\n"
    }
}
