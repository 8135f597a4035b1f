@testable import Daemon
import Foundation
import Testing

/// The watchdog pings only while the daemon makes progress (on a clock the test moves).
struct WatchdogServiceTests {
    @Test func aStuckCheckpoint_stopsThePings_andTheyResumeWhenItEnds() {
        let clock = TestClock()
        let deadline = ProgressDeadline(now: clock.reading)
        let notifier = RecordingNotifier(watchdogInterval: .seconds(60))
        let service = WatchdogService(notifier: notifier, deadline: deadline, heartbeat: { clock.now }, now: clock.reading)

        service.beat(interval: 60)
        #expect(notifier.count("WATCHDOG=1") == 1, "idle and healthy")

        deadline.begin(weightBytes: 1_000_000_000)
        clock.advance(by: 139)
        service.beat(interval: 60)
        #expect(notifier.count("WATCHDOG=1") == 2, "within 2 min + 20 s per GB")
        clock.advance(by: 2)
        service.beat(interval: 60)
        service.beat(interval: 60)
        #expect(notifier.count("WATCHDOG=1") == 2, "past the deadline: no pings, so systemd restarts the daemon")

        deadline.end()
        service.beat(interval: 60)
        #expect(notifier.count("WATCHDOG=1") == 3)
    }

    @Test func aWatcherThatStoppedLooping_isNotAlive() {
        let clock = TestClock()
        let lastLoop = clock.now
        let service = WatchdogService(notifier: RecordingNotifier(), deadline: ProgressDeadline(now: clock.reading),
                                      heartbeat: { lastLoop }, now: clock.reading)
        #expect(service.isAlive(interval: 60))
        clock.advance(by: 61)
        #expect(!service.isAlive(interval: 60))
    }

    @Test func run_pingsAtAThirdOfTheInterval_untilCancelled() async throws {
        let notifier = RecordingNotifier(watchdogInterval: .milliseconds(30))
        let service = WatchdogService(notifier: notifier, deadline: ProgressDeadline(), heartbeat: { Date() })
        let running = Task { try await service.run() }
        // Bounded wait for the first pings; no timing assertion beyond "some arrive".
        for _ in 0..<200 where notifier.count("WATCHDOG=1") < 2 { try await Task.sleep(for: .milliseconds(20)) }
        running.cancel()
        _ = try? await running.value
        #expect(notifier.count("WATCHDOG=1") >= 2)
    }
}
