/// A watch ready to process: its settings, its loaded base and profiles, and its
/// verification data.
struct ActiveWatch: Sendable {
    let settings: Configuration.Watch
    let context: BaseContext
    /// `[watch.verify]`, loaded; nil when the watch does not verify.
    let verification: Verification?
    /// `restore.tune`'s data, loaded; nil when the watch does not tune.
    var tuning: TuningData? = nil
}
