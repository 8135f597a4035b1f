import Prometheus

/// The names and help of retaind's families, by Prometheus's conventions: the `retaind_`
/// prefix, base units (`_seconds`), `_total` counters, `_ratio` for unitless ratios,
/// `_info` for the constant build series.
enum Families {
    static var buildInfo: MetricNameDescriptor {
        family("build", "info", "The running retaind's version; always 1.")
    }
    static var outcomes: MetricNameDescriptor {
        family("outcomes", "total", "Checkpoint outcomes recorded since the daemon started, by watch and status.")
    }
    static var processingSeconds: MetricNameDescriptor {
        family("processing", "seconds", "Seconds spent in each step of processing a checkpoint.")
    }
    static var threshold: MetricNameDescriptor {
        family("threshold", "ratio", "The drift threshold in force for each watch ([watch.gate] threshold).")
    }
    static var pending: MetricNameDescriptor {
        family("pending", "checkpoints", "Checkpoints seen but not ready to process yet (incomplete, settling, no marker).")
    }
    static var queue: MetricNameDescriptor {
        family("queue", "length", "Ready checkpoints waiting for the processing thread.")
    }
    static var centralBacklog: MetricNameDescriptor {
        family("central_backlog", "outcomes", "Outcomes recorded locally and not yet delivered to the central history ([store.central]).")
    }
    static var lastOutcome: MetricNameDescriptor {
        family("last_outcome_timestamp", "seconds", "When the watch's newest outcome was recorded, in seconds since the epoch.")
    }
    static var drift: MetricNameDescriptor {
        family("drift", "ratio", "Retention drift of each run's newest measured checkpoint (docs/spec.md §2).")
    }
    static var driftMax: MetricNameDescriptor {
        family("drift_max", "ratio", "Largest module drift of each run's newest measured checkpoint.")
    }
    static var driftAfter: MetricNameDescriptor {
        family("drift_after", "ratio", "Drift of the restored output, when each run's newest measured checkpoint was restored.")
    }
    static var retainPerplexity: MetricNameDescriptor {
        family("retain_perplexity", "ratio", "Retain perplexity of each run's checkpoint to use over the base's, when verified.")
    }

    private static func family(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "retaind", metricName: name, unitName: unit, helpText: help)
    }
}
