@testable import Daemon
import Foundation
import Journal
import Testing

/// Startup and reload in-process: what systemd is told, what the journal says, and
/// which configuration is in force.
@Suite(.serialized) struct DaemonServicesTests {
    /// Starts the daemon of `fixture`'s configuration; returns its reload service.
    func start(_ fixture: DaemonFixture, config: String) async throws -> ReloadService {
        try config.write(toFile: fixture.directory + "/retaind.toml", atomically: true, encoding: .utf8)
        let daemon = try await DaemonServices.start(configurationPath: fixture.directory + "/retaind.toml", logger: fixture.logger,
                                                    notifier: fixture.notifier)
        #expect(daemon.services.count == 9)
        return try #require(daemon.services.compactMap { $0 as? ReloadService }.first)
    }

    @Test func startup_saysReady_withTheWatchesItRuns() async throws {
        let fixture = try DaemonFixture()
        let reload = try await start(fixture, config: fixture.configurationText())
        defer { reload.watcher.stop() }
        #expect(fixture.notifier.messages.last == "READY=1\nSTATUS=watching 1 of 1 watch (w)")
        #expect(fixture.log.entries.contains { $0.metadata["message_id"] == "\(MessageID.started.rawValue)" })
    }

    @Test func reload_appliesAValidFile_andRefusesABrokenOne() async throws {
        let fixture = try DaemonFixture()
        let reload = try await start(fixture, config: fixture.configurationText())
        defer { reload.watcher.stop() }

        try fixture.configurationText(threshold: 0.5).write(toFile: reload.configurationPath, atomically: true, encoding: .utf8)
        await reload.reload()
        #expect(reload.configuration.current.watches.first?.gate.threshold == 0.5)
        let sent = fixture.notifier.messages
        #expect(sent.suffix(2).first?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
        #expect(sent.last == "READY=1\nSTATUS=watching 1 of 1 watch (w)")

        try (fixture.configurationText() + "\ntreshold = 1\n").write(toFile: reload.configurationPath, atomically: true, encoding: .utf8)
        await reload.reload()
        #expect(reload.configuration.current.watches.first?.gate.threshold == 0.5, "the running configuration stays")
        #expect(fixture.notifier.messages.last?.hasPrefix("READY=1\nSTATUS=reload refused (") == true)
        let refusal = try #require(fixture.log.entries.last { $0.metadata["message_id"] == "\(MessageID.reloaded.rawValue)" })
        #expect(refusal.level == .error)
        #expect("\(refusal.message)".contains("treshold: unknown key"))
    }

    @Test func reload_keepsTheDatabaseUntilRestart() async throws {
        let fixture = try DaemonFixture()
        let reload = try await start(fixture, config: fixture.configurationText())
        defer { reload.watcher.stop() }
        let moved = fixture.configurationText().replacingOccurrences(of: "history.sqlite", with: "other.sqlite")
        try moved.write(toFile: reload.configurationPath, atomically: true, encoding: .utf8)
        await reload.reload()
        #expect(reload.configuration.current.store.database == fixture.directory + "/history.sqlite")
        #expect(fixture.log.entries.contains { "\($0.message)".contains("store.database changes take effect on restart") })
    }
}
