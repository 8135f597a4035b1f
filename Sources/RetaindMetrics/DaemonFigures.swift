import Foundation

/// What the daemon's gauges show at one moment, read from the history and the queue.
///
/// Gauges are a view of the history, so they are right from the first write after a
/// restart; the counters and histograms of ``MetricsRegistry`` are this process's events.
/// Label values are bounded: watches and run directories, never checkpoints or steps.
public struct DaemonFigures: Sendable, Equatable {
    /// One run directory's newest measured checkpoint (the highest step with a drift).
    public struct Run: Sendable, Equatable {
        public var watch: String
        /// The run directory: the parent of its checkpoints.
        public var run: String
        public var drift: Double
        public var driftMax: Double
        /// Drift of the restored output, when that checkpoint was restored.
        public var driftAfter: Double?
        /// Retain perplexity of the checkpoint to use (the restored one when restored)
        /// over the base's, when it was verified.
        public var retainPerplexityRatio: Double?

        public init(watch: String, run: String, drift: Double, driftMax: Double, driftAfter: Double? = nil,
                    retainPerplexityRatio: Double? = nil) {
            self.watch = watch
            self.run = run
            self.drift = drift
            self.driftMax = driftMax
            self.driftAfter = driftAfter
            self.retainPerplexityRatio = retainPerplexityRatio
        }
    }

    /// One configured watch.
    public struct Watch: Sendable, Equatable {
        public var name: String
        /// `[watch.gate] threshold` in force.
        public var threshold: Double
        /// Checkpoints seen but not ready yet.
        public var pending: Int
        /// When its newest outcome was recorded (nil before the first).
        public var lastOutcome: Date?

        public init(name: String, threshold: Double, pending: Int, lastOutcome: Date?) {
            self.name = name
            self.threshold = threshold
            self.pending = pending
            self.lastOutcome = lastOutcome
        }
    }

    public var runs: [Run]
    public var watches: [Watch]
    /// Ready checkpoints waiting for the processing thread.
    public var queueLength: Int
    /// Outcomes waiting for the central history (nil: no `[store.central]`).
    public var centralBacklog: Int?

    public init(runs: [Run] = [], watches: [Watch] = [], queueLength: Int = 0, centralBacklog: Int? = nil) {
        self.runs = runs
        self.watches = watches
        self.queueLength = queueLength
        self.centralBacklog = centralBacklog
    }
}
