import Foundation
import Synchronization

/// A clock tests move by hand: deadlines expire when the test says so, not after real
/// minutes.
final class TestClock: Sendable {
    private let time: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        time = Mutex(start)
    }

    var now: Date { time.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        time.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// The clock as the closure the daemon's types take.
    var reading: @Sendable () -> Date { { self.now } }
}
