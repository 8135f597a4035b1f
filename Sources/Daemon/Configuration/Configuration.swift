import CentralHistory
import Retention

/// The daemon's configuration (`/etc/retaind/retaind.toml`): where history goes and what
/// to watch. Values are checked when read (``Configuration/load(path:)``); a
/// `Configuration` is always usable.
public struct Configuration: Sendable, Equatable {
    /// The file it was read from.
    public var path: String
    public var store: Store
    public var watches: [Watch]
    public var metrics = Metrics()

    /// `[metrics]`: figures for Prometheus, through node_exporter's textfile collector.
    public struct Metrics: Sendable, Equatable {
        /// The `.prom` file the daemon rewrites after every outcome and every 30 s (nil:
        /// no metrics). Its directory is the collector's `--collector.textfile.directory`.
        public var textfile: String?

        public init(textfile: String? = nil) {
            self.textfile = textfile
        }
    }

    /// `[store]`: the history database and where restored checkpoints go.
    public struct Store: Sendable, Equatable {
        /// The SQLite history (created on first start).
        public var database: String
        /// Restored checkpoints go to
        /// `<output_root>/<watch>/<watched root's name>/<checkpoint's path under the root>`.
        public var outputRoot: String
        /// Outcomes older than this many days are purged (0 keeps everything).
        public var keepDays: Double
        /// How many times a checkpoint whose processing failed on the daemon's side
        /// (`error`: output not writable, disk full, a file not readable yet) is
        /// attempted in all; 1 never retries.
        public var retryAttempts: Int = 5
        /// The wait before the first retry; each next one waits twice as long.
        public var retrySeconds: Double = 60
        /// `[store.central]`: a PostgreSQL history every outcome is copied to (nil: none).
        public var central: CentralSettings? = nil
    }

    /// One `[[watch]]` group: directories whose checkpoints share a base and a policy.
    public struct Watch: Sendable, Equatable {
        public var name: String
        /// Roots under which checkpoints appear (each must exist when the watch starts).
        public var dirs: [String]
        /// Glob of checkpoint directories relative to a root; `/` separates levels
        /// (`checkpoint-*`, `*/checkpoint-*`).
        public var pattern: String
        public var base: String
        public var retainProfile: String
        public var forgetProfile: String?
        /// A checkpoint must be unchanged this long before it is processed.
        public var settleSeconds: Double
        /// Full rescans, the safety net under inotify.
        public var rescanSeconds: Double
        /// A checkpoint with a weight file shorter than its header for this long is
        /// processed anyway (and rejected as truncated).
        public var stalledSeconds: Double
        public var completionMarker: CompletionMarker
        public var gate: Gate
        public var restore: RestoreSettings
        /// Behavioural checks of restored checkpoints (nil: none).
        public var verify: Verify?
    }

    /// `[watch.verify]`: retain and forget perplexity of candidate and restored
    /// checkpoint, measured with the native forward pass after each restore.
    public struct Verify: Sendable, Equatable {
        /// Held-out retain data (JSONL with `ids` or `text`).
        public var retainEval: String?
        /// Held-out forget data.
        public var forgetEval: String?
        /// Text rows are truncated to this many tokens.
        public var seqLength: Int
    }

    /// The file whose presence says a writer has finished a checkpoint.
    public enum CompletionMarker: Sendable, Equatable {
        /// `trainer_state.json`, required where the run writes one: when the directory
        /// holds Trainer state (`optimizer.pt`, `scheduler.pt`, `rng_state*.pth`,
        /// `training_args.bin`) or a sibling checkpoint has `trainer_state.json`.
        case auto
        /// No marker (atomic-rename writers).
        case none
        /// This file name must exist.
        case file(String)
    }

    /// `[watch.gate]`: docs/spec.md §5.
    public struct Gate: Sendable, Equatable {
        /// Restored when `drift > threshold`.
        public var threshold: Double
        /// Also restored when `drift_max > threshold_max`, where set.
        public var thresholdMax: Double?
        /// When set, gate on measured damage instead: restore only candidates whose retain
        /// perplexity (on `verify.retain_eval`) exceeds this multiple of the base's.
        public var retainPPLRatio: Double?
    }

    /// `[watch.restore]`: docs/spec.md §4 options for checkpoints over the threshold.
    public struct RestoreSettings: Sendable, Equatable {
        /// False: over-threshold checkpoints are recorded `restored`-worthy but not written
        /// (their status is still the gate's verdict, with no restored path).
        public var enabled: Bool
        public var options: RestoreOptions
        /// Closed-loop choice of `α` and `γ` (nil: use `options` as they are).
        public var tune: Tune?
        /// With `[watch.verify] forget_eval`: a restore keeping less than this share of the
        /// candidate's forget effect is withheld and the outcome `flagged` (0: never).
        public var minForgetKept: Double = 0.9
    }

    /// `restore.tune = true`: `(α, γ)` is chosen in closed loop on the tuning data (the
    /// proxies), without writing the settings tried, and only the choice is written and
    /// verified on the held-out `[watch.verify]` data. The choice keeps the most
    /// forgetting (highest forget perplexity) whose retain perplexity is within
    /// `retainPPLTolerance` × the base's (the lowest retain perplexity when none is).
    public struct Tune: Sendable, Equatable {
        /// The coarse grid, searched first.
        public var alphas: [Double]
        public var gammas: [Double]
        public var retainPPLTolerance: Double
        /// Retain and forget data that choose (JSONL); nil: the verify data choose too.
        public var retainData: String? = nil
        public var forgetData: String? = nil
        /// Settings evaluated in all, the grid's included.
        public var evaluations: Int = 15
        /// At most this many tokens of each tuning data set.
        public var tokens: Int = 4096

        /// Whether the data that choose are the data that verify (no tuning data set).
        public var choosesOnVerifyData: Bool { retainData == nil }
    }
}
