@testable import Daemon
import Foundation
import Testing

/// The watchdog pings only while the daemon makes progress.
struct WatchdogServiceTests {
    @Test func aStuckCheckpoint_stopsThePings_andTheyResumeWhenItEnds() async throws {
        let clock = TestClock()
        let deadline = ProgressDeadline(now: clock.reading)
        let notifier = RecordingNotifier(watchdogInterval: .milliseconds(150))
        let service = WatchdogService(notifier: notifier, deadline: deadline, heartbeat: { clock.now }, now: clock.reading)
        let running = Task { try await service.run() }
        defer { running.cancel() }

        try await Task.sleep(for: .milliseconds(300))
        let healthy = notifier.count("WATCHDOG=1")
        #expect(healthy >= 2, "idle and healthy: pinged every interval / 3")

        deadline.begin(weightBytes: 1_000_000_000)
        clock.advance(by: 141)  // past 2 min + 20 s
        try await Task.sleep(for: .milliseconds(50))
        let atExpiry = notifier.count("WATCHDOG=1")
        try await Task.sleep(for: .milliseconds(400))
        #expect(notifier.count("WATCHDOG=1") == atExpiry, "past the deadline: no pings, so systemd restarts the daemon")

        deadline.end()
        try await Task.sleep(for: .milliseconds(300))
        #expect(notifier.count("WATCHDOG=1") > atExpiry)
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
}
