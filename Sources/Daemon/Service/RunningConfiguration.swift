import Synchronization

/// The configuration in force: the last one that loaded. Services read it; a reload
/// replaces it.
final class RunningConfiguration: Sendable {
    private let value: Mutex<Configuration>

    init(_ configuration: Configuration) {
        value = Mutex(configuration)
    }

    var current: Configuration {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
