import Foundation

/// Which watch covers a path, answered from the configuration alone: `wait` refuses a
/// path no watch covers at once, rather than wait for an outcome that never comes.
public struct WatchCoverage: Sendable {
    let watches: [Configuration.Watch]

    /// The coverage of `configuration`'s watches.
    public init(_ configuration: Configuration) {
        watches = configuration.watches
    }

    /// Why a path is not covered.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The watch whose roots and pattern make `path` a checkpoint directory (whether it
    /// exists yet or not).
    public func watch(ofCheckpoint path: String) throws(Refusal) -> Configuration.Watch {
        try match(path, depth: { $0.depth }, what: "a checkpoint directory")
    }

    /// The watch whose roots and pattern make `path` a run directory: the parent of
    /// checkpoint directories.
    public func watch(ofRun path: String) throws(Refusal) -> Configuration.Watch {
        try match(path, depth: { $0.depth - 1 }, what: "a run directory (the parent of checkpoints)")
    }

    private func match(_ path: String, depth: (CheckpointPattern) -> Int, what: String) throws(Refusal) -> Configuration.Watch {
        let path = LexicalPath.normalized(path)
        for watch in watches {
            let pattern = CheckpointPattern(watch.pattern)
            for root in watch.dirs where path == root || path.hasPrefix(root + "/") {
                let levels = path == root ? [] : path.dropFirst(root.count + 1).split(separator: "/").map(String.init)
                guard levels.count == depth(pattern) else { continue }
                if levels.enumerated().allSatisfy({ pattern.matches($0.element, level: $0.offset) }) { return watch }
            }
        }
        let known = watches.map { "\($0.name): \($0.dirs.joined(separator: ", ")) / \($0.pattern)" }.joined(separator: "; ")
        throw Refusal(description: "\(path) is not \(what) of any watch (\(known)); retaind never checks it")
    }

    /// The newest checkpoint directory of the run at `run` under `watch`: the highest
    /// step number in its name, then the latest mtime; nil when there is none yet.
    public static func newestCheckpoint(in run: String, of watch: Configuration.Watch) -> String? {
        let pattern = CheckpointPattern(watch.pattern)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: run) else { return nil }
        let candidates = names.filter { pattern.matches($0, level: pattern.depth - 1) && !WatchTree.isStaging($0, level: pattern.depth - 1, pattern: pattern) }
        func key(_ name: String) -> (Int, Double) {
            var info = stat()
            let mtime = stat(run + "/" + name, &info) == 0 ? Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 : 0
            return (Self.step(of: name) ?? -1, mtime)
        }
        return candidates.max { key($0) < key($1) }.map { run + "/" + $0 }
    }

    /// The step number a checkpoint's name ends with (`checkpoint-1200` → 1200).
    public static func step(of name: String) -> Int? {
        let digits = name.reversed().prefix { $0.isNumber }
        return digits.isEmpty ? nil : Int(String(digits.reversed()))
    }
}
