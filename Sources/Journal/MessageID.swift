/// The fixed journal `MESSAGE_ID` of each kind of entry retaind writes.
///
/// Operators alert on these (`journalctl MESSAGE_ID=…`), and `systemd/retaind.catalog`
/// explains each one under `journalctl -x`; they never change between versions.
public enum MessageID: String, Sendable, CaseIterable {
    /// A checkpoint's drift is at or under its watch's threshold.
    case passed = "717891c8273f4ff18e33677fa7021471"
    /// A checkpoint's drift is over the threshold and a restored checkpoint was written.
    case restored = "15566e7415ab4e43ad3972e3cd21270c"
    /// A checkpoint's drift is over the threshold; its watch does not restore.
    case flagged = "5d0f3c1e9b7a4c2d8e6f1a3b5c7d9e0f"
    /// The run changed no profiled weight (a zero adapter, a copy of the base).
    case unchanged = "4d15f73c1ce34a079dee5935caf9b2d3"
    /// A checkpoint could not be used (corrupt, wrong shapes, NaN/Inf, …).
    case rejected = "36edc47f69114067a6aaa42e4abddc01"
    /// A checkpoint disappeared before its outcome was known (trainer rotation).
    case vanished = "a9a5407961a045529de4772e45ecd842"
    /// The daemon could not do its job: a watch disabled, a database or output failure.
    case daemonError = "a9f6ed3750744e598f83df8bd73247ec"
    /// The daemon is ready: profiles loaded, first scan done.
    case started = "c9c0a2ed410c47abb3159f3d2124f9e8"
    /// The configuration was reloaded (SIGHUP), or the reload was refused.
    case reloaded = "349d31b6097048a9834722cf7a888cf0"
    /// The daemon is stopping (SIGTERM).
    case stopping = "4604cfd7f83f405581384dec6c515388"
    /// A watch runs with a setting that works but is likely not what was meant.
    case configurationWarning = "0469c33aa8ef4ee0894960bc34d12e13"
    /// Delivery to the central history stopped (with the reason) or resumed (with the
    /// backlog); outcomes are kept locally meanwhile.
    case centralDelivery = "b9c6dd33e6484914a722760d63e8d2c1"
}
