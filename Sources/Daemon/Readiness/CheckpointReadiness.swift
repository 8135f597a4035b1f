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
/// instead of waited on forever.
enum CheckpointReadiness {
    /// What to do with a checkpoint directory now.
    enum Decision: Equatable {
        /// A restored output: never a candidate.
        case ignored
        /// No weights here (yet): look again when its files change.
        case noWeights
        /// Not ready: look again at `recheck` (nil: when its files change).
        case waiting(recheck: Date?)
        /// Process it.
        case ready
    }

    /// The decision for the directory `path`, whose files are `snapshot` and have been
    /// unchanged since `quietSince`.
    static func decide(path: String, snapshot: DirectorySnapshot, quietSince: Date, now: Date, watch: Configuration.Watch,
                       pattern: CheckpointPattern) -> Decision {
        if snapshot.contains(Provenance.fileName) { return .ignored }
        let quiet = now.timeIntervalSince(quietSince)
        switch CheckpointCompleteness.of(directory: path) {
        case .noWeights:
            return .noWeights
        case .missing, .short:
            guard quiet >= watch.stalledSeconds else { return .waiting(recheck: quietSince.addingTimeInterval(watch.stalledSeconds)) }
            return .ready
        case .complete:
            guard watch.completionMarker.isPresent(in: path, snapshot: snapshot, pattern: pattern) else { return .waiting(recheck: nil) }
            guard quiet >= watch.settleSeconds else { return .waiting(recheck: quietSince.addingTimeInterval(watch.settleSeconds)) }
            return .ready
        }
    }
}

extension Configuration.CompletionMarker {
    /// Trainer state files: a directory holding one is written by a Trainer, which writes
    /// `trainer_state.json` last.
    static let trainerStateFiles: Set<String> = ["optimizer.pt", "scheduler.pt", "training_args.bin"]

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
                name != me && pattern.matches(name, level: pattern.depth - 1) && access(parent + "/" + name + "/trainer_state.json", F_OK) == 0
            }
        }
    }
}
