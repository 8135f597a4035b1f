@testable import Daemon
import Foundation
import History
import InMemoryLogging
import Logging
import TestSupport

/// A temporary directory with a watch on the tiny-Llama fixtures, a processor over an
/// in-memory history, a recording notifier and an in-memory log: the daemon's logic
/// without a process.
final class DaemonFixture {
    static let fixtures = PythonScript.repositoryRoot + "/Tests/Fixtures/tiny-llama/"

    let directory: String
    let history: InMemoryHistory
    let notifier = RecordingNotifier()
    let log = InMemoryLogHandler()
    let logger: Logger
    var runs: String { directory + "/runs" }
    var outputRoot: String { directory + "/restored" }

    private let owner: Bool

    init() throws {
        directory = NSTemporaryDirectory() + "retaind-daemon-tests-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory + "/runs", withIntermediateDirectories: true)
        history = InMemoryHistory()
        owner = true
        let handler = log
        logger = Logger(label: "retaind-test") { _ in handler }
    }

    private init(directory: String, history: InMemoryHistory) {
        self.directory = directory
        self.history = history
        owner = false
        let handler = log
        logger = Logger(label: "retaind-test") { _ in handler }
    }

    /// The same directory with another history (what a second daemon, or one that lost
    /// its database, would see); `fixture` keeps ownership of the files.
    static func withHistory(of fixture: DaemonFixture, _ history: InMemoryHistory) -> DaemonFixture {
        DaemonFixture(directory: fixture.directory, history: history)
    }

    deinit { if owner { try? FileManager.default.removeItem(atPath: directory) } }

    /// The configuration text of one watch `w` over `runs/`, with `extra` lines in it and
    /// `gate` lines in `[watch.gate]`.
    func configurationText(threshold: Double = 0.001, extra: String = "", gate: String = "", tables: String = "") -> String {
        """
        [store]
        database = "\(directory)/history.sqlite"
        output_root = "\(outputRoot)"

        [[watch]]
        name = "w"
        dirs = ["\(runs)"]
        base = "\(Self.fixtures)base"
        retain_profile = "\(Self.fixtures)retain.profile.safetensors"
        forget_profile = "\(Self.fixtures)forget.profile.safetensors"
        settle_seconds = 0
        \(extra)
        [watch.gate]
        threshold = \(threshold)
        \(gate)
        \(tables)
        """
    }

    /// Activates the watch of ``configurationText(threshold:extra:gate:tables:)`` in a new processor.
    func processor(threshold: Double = 0.001, extra: String = "", gate: String = "", tables: String = "",
                   outputRoot: String? = nil, deadline: ProgressDeadline = ProgressDeadline()) throws -> Processor {
        let configuration = try Configuration.parse(configurationText(threshold: threshold, extra: extra, gate: gate, tables: tables),
                                                    path: directory + "/retaind.toml")
        let active = WatchActivation(contexts: ContextCache(), logger: logger).activate(configuration.watches)
        let processor = Processor(history: history, outputRoot: outputRoot ?? self.outputRoot, logger: logger,
                                  status: StatusBoard(notifier: notifier), deadline: deadline)
        processor.configure(active, outputRoot: outputRoot ?? self.outputRoot)
        return processor
    }

    /// A copy of fixture `name` as run checkpoint `checkpoint`, and its candidate.
    func candidate(copying name: String, as checkpoint: String = "checkpoint-1") throws -> Candidate {
        let path = runs + "/" + checkpoint
        try FileManager.default.copyItem(atPath: Self.fixtures + name, toPath: path)
        return candidate(at: path)
    }

    /// The candidate for the directory at `path` as its files are now.
    func candidate(at path: String) -> Candidate {
        Candidate(path: path, watch: "w", root: runs, signature: DirectorySnapshot(directory: path)?.signature ?? "gone", detectedAt: Date())
    }

    /// Journal-bound entries that carry a `MESSAGE_ID`.
    var outcomeEntries: [InMemoryLogHandler.Entry] {
        log.entries.filter { $0.metadata["retaind.status"] != nil }
    }
}
