import Foundation
import Retention
import SafeTensors

/// Whether a checkpoint directory is ready to process: the one place that decides it.
///
/// Ready means: a restored output it is not (`retaind.json`); every file its layout
/// names is there at full length (SafeTensors' ``CheckpointCompleteness``); the watch's
/// completion marker is there; and no file changed for `settle_seconds`. A weight file
/// that stays missing or short for `stalled_seconds` is lost or truncated, not being
/// written: the directory is then ready too, so that it is rejected with the reason
/// instead of waited on forever. A directory whose weights are in a layout retaind
/// cannot read (``UnreadableLayout``) is ready once quiet, to be rejected with what to do.
enum CheckpointReadiness {
    /// What to do with a checkpoint directory now.
    enum Decision: Equatable {
        /// A restored output: never a candidate.
        case ignored
        /// No weights here (yet): look again when its files change.
        case noWeights
        /// Not ready, for `reason`: look again at `recheck` (nil: when its files change).
        case waiting(recheck: Date?, reason: PendingReason)
        /// Process it; with a `rejection`, reject it for that reason without reading it.
        case ready(rejection: String?)
    }

    /// Why a checkpoint is pending, as `history` and `wait` show it.
    struct PendingReason: Equatable {
        enum Kind: Equatable { case missing, short, marker, settling }
        let kind: Kind
        let text: String
    }

    /// The decision for the directory `path`, whose files are `snapshot` and have been
    /// unchanged since `quietSince`.
    static func decide(path: String, snapshot: DirectorySnapshot, quietSince: Date, now: Date, watch: Configuration.Watch,
                       pattern: CheckpointPattern) -> Decision {
        if snapshot.contains(Provenance.fileName) { return .ignored }
        let quiet = now.timeIntervalSince(quietSince)
        func settling(_ rejection: String?) -> Decision {
            guard quiet >= watch.settleSeconds else {
                let left = Int((watch.settleSeconds - quiet).rounded(.up))
                return .waiting(recheck: quietSince.addingTimeInterval(watch.settleSeconds),
                                reason: .init(kind: .settling, text: "settling: no file may change for \(left) s more"))
            }
            return .ready(rejection: rejection)
        }
        func stalling(_ reason: PendingReason) -> Decision {
            guard quiet >= watch.stalledSeconds else {
                return .waiting(recheck: quietSince.addingTimeInterval(watch.stalledSeconds), reason: reason)
            }
            return .ready(rejection: nil)
        }
        switch CheckpointCompleteness.of(directory: path) {
        case .noWeights:
            guard let layout = UnreadableLayout.detect(files: snapshot.entries.map(\.name), directories: snapshot.directories) else {
                return .noWeights
            }
            return settling(layout.reason)
        case .missing(let file):
            return stalling(.init(kind: .missing, text: "waiting for \(file)"))
        case .short(let file, let size, let expected):
            let of = expected.map { "\(size) of \($0) bytes" } ?? "\(size) bytes, shorter than its header"
            return stalling(.init(kind: .short, text: "\(file) is short: \(of)"))
        case .complete:
            guard watch.completionMarker.isPresent(in: path, snapshot: snapshot, pattern: pattern) else {
                let marker = watch.completionMarker.name ?? "trainer_state.json"
                return .waiting(recheck: nil, reason: .init(kind: .marker, text: "waiting for the completion marker \(marker)"))
            }
            return settling(nil)
        }
    }
}

extension Configuration.CompletionMarker {
    /// Trainer state files: a directory holding one is written by a Trainer, which writes
    /// `trainer_state.json` last.
    static let trainerStateFiles: Set<String> = ["optimizer.pt", "scheduler.pt", "training_args.bin"]

    /// The marker's file name (`auto` waits for `trainer_state.json`; none has none).
    var name: String? {
        switch self {
        case .none: nil
        case .auto: "trainer_state.json"
        case .file(let name): name
        }
    }

    /// Whether the marker says the writer of `path` has finished.
    ///
    /// `auto` requires `trainer_state.json` where the run writes one: when the directory
    /// holds Trainer state, or a sibling checkpoint of the same pattern has the file.
    func isPresent(in path: String, snapshot: DirectorySnapshot, pattern: CheckpointPattern) -> Bool {
        switch self {
        case .none:
            return true
        case .file(let name):
            return snapshot.contains(name)
        case .auto:
            if snapshot.contains("trainer_state.json") { return true }
            let trainerFiles = snapshot.entries.contains {
                Self.trainerStateFiles.contains($0.name) || ($0.name.hasPrefix("rng_state") && $0.name.hasSuffix(".pth"))
            }
            if trainerFiles { return false }
            let parent = (path as NSString).deletingLastPathComponent
            let me = (path as NSString).lastPathComponent
            guard let siblings = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return true }
            return !siblings.contains { name in
                name != me && pattern.matches(name, level: pattern.depth - 1) && Self.isRegularFile(parent + "/" + name + "/trainer_state.json")
            }
        }
    }

    /// Whether `path` is a regular file (a FIFO or a directory named like a marker is no marker).
    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
}
