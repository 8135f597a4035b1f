import Foundation
import History
import Testing
import TestSupport

/// `[store.central]` with real daemons and a real PostgreSQL server: two hosts in one
/// history, outages of the server and of the daemon, and refusals with their reasons.
@Suite(.serialized, .enabled(if: PostgresServer.isInstalled, "PostgreSQL is not installed (scripts/setup.sh installs it)"))
struct CentralEndToEndTests {
    static let deliveryID = "b9c6dd33e6484914a722760d63e8d2c1"

    func centralConfig(_ server: PostgresServer, host: String, passwordFile: String, tls: String = "disable",
                       caFile: String? = nil, url: String? = nil) -> String {
        """

        [store.central]
        url = "\(url ?? server.url())"
        password_file = "\(passwordFile)"
        tls = "\(tls)"
        host = "\(host)"
        timeout_seconds = 5
        \(caFile.map { "ca_file = \"\($0)\"" } ?? "")

        """
    }

    /// Runs `retaind central migrate` as the owner, granting the daemons' role.
    func migrate(_ server: PostgresServer, config: String) throws {
        let ownerPassword = try server.passwordFile(server.ownerPassword, name: "owner-pw")
        let result = try RetaindProcess.run(["central", "migrate", "--config", config, "--url", server.url(user: server.owner),
                                             "--password-file", ownerPassword, "--grant", server.role])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("applied: v1"), "\(result.stdout)")
    }

    func centralCount(_ server: PostgresServer, host: String? = nil) throws -> Int {
        let filter = host.map { " WHERE host = '\($0)'" } ?? ""
        return Int(try server.psql("SELECT count(*) FROM checkpoint\(filter)").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func waitForCentral(_ server: PostgresServer, count: Int, host: String? = nil, timeout: Double = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try centralCount(server, host: host) >= count { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Issue.record("the central history has \(try centralCount(server, host: host)) rows, not \(count)")
    }

    func makeDaemon(_ name: String, _ server: PostgresServer, host: String, passwordFile: String? = nil, tls: String = "disable",
                    caFile: String? = nil, url: String? = nil) throws -> DaemonHarness {
        let daemon = try DaemonHarness(name: name)
        let password = try passwordFile ?? server.passwordFile(server.rolePassword, name: "\(name)-pw")
        try daemon.writeConfig(DaemonHarness.watch(name: "runs", dirs: [daemon.runs], settle: 0)
            + centralConfig(server, host: host, passwordFile: password, tls: tls, caFile: caFile, url: url))
        return daemon
    }

    func drop(_ daemon: DaemonHarness, _ step: Int) throws {
        try CheckpointMaker.interpolated(step % 2 == 0 ? 0.1 : 1.2, into: daemon.staging + "/checkpoint-\(step)")
        try daemon.moveIn("checkpoint-\(step)")
    }

    @Test func twoHosts_oneHistory_eachRowOnce() throws {
        let server = try PostgresServer()
        let a = try makeDaemon("central-a", server, host: "gpu-a")
        let b = try makeDaemon("central-b", server, host: "gpu-b")
        try migrate(server, config: a.configPath)
        try a.start()
        try b.start()
        for step in 1...3 {
            try drop(a, step)
            try drop(b, step)
        }
        try a.waitForOutcomes(3)
        try b.waitForOutcomes(3)
        try waitForCentral(server, count: 6)

        let history = try RetaindProcess.run(["history", "--central", "--json", "--config", a.configPath])
        #expect(history.status == 0, "\(history.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        let keys = rows.map { "\($0["host"] as? String ?? "?") \($0["path"] as? String ?? "?")" }
        #expect(keys.count == 6 && Set(keys).count == 6, "\(keys)")
        #expect(Set(rows.compactMap { $0["host"] as? String }) == ["gpu-a", "gpu-b"])
        // Same fields as locally.
        let local = try #require(try a.rows().first { $0.path == a.runs + "/checkpoint-1" })
        let central = try #require(rows.first { $0["host"] as? String == "gpu-a" && $0["path"] as? String == local.path })
        let drift = try #require(central["drift"] as? Double)
        #expect(abs(drift - local.drift!) <= 1e-12 * local.drift! && central["status"] as? String == local.status.rawValue)

        let table = try RetaindProcess.run(["history", "--central", "--host", "gpu-b", "--config", a.configPath])
        #expect(table.stdout.contains("host") && table.stdout.contains("gpu-b") && !table.stdout.contains("gpu-a"), "\(table.stdout)")
        let runs = try RetaindProcess.run(["runs", "--central", "--config", b.configPath])
        #expect(runs.stdout.contains("gpu-a") && runs.stdout.contains("gpu-b"), "\(runs.stdout)")
        let show = try RetaindProcess.run(["show", "--central", b.runs + "/checkpoint-2", "--config", a.configPath])
        #expect(show.status == 0 && show.stdout.contains("host         gpu-b"), "\(show.stdout) \(show.stderr)")
        #expect(try a.stop() == 0 && b.stop() == 0)
    }

    @Test func serverKilledDuringABurst_andDaemonKilledMidDelivery_everyOutcomeArrivesOnceInOrder() throws {
        let server = try PostgresServer()
        let daemon = try makeDaemon("central-outage", server, host: "gpu-a")
        try migrate(server, config: daemon.configPath)
        try daemon.start()
        try drop(daemon, 1)
        try drop(daemon, 2)
        try daemon.waitForOutcomes(2)
        try waitForCentral(server, count: 2)

        // The server dies; checkpoints keep coming and are recorded locally.
        try server.kill9()
        for step in 3...8 {
            try drop(daemon, step)
            try daemon.waitForOutcomes(step)
        }
        let stopped = try Journal.wait(pid: daemon.pid) { $0.contains { $0["MESSAGE_ID"] == Self.deliveryID } }
            .filter { $0["MESSAGE_ID"] == Self.deliveryID }
        #expect(stopped.count == 1 && stopped[0]["PRIORITY"] == "4", "\(stopped)")
        #expect(stopped.first?["RETAIND_ERROR"]?.contains("localhost:\(server.port)") == true, "\(stopped)")
        // The wait fails the test unless systemd hears the backlog.
        try daemon.notify.wait(for: "STATUS=idle; last: passed \(daemon.runs)/checkpoint-8; 6 outcomes to deliver to the central history")

        // Back: the backlog drains, once, in order; one notice says so.
        try server.start()
        try waitForCentral(server, count: 8)
        let entries = try Journal.wait(pid: daemon.pid) { $0.filter { $0["MESSAGE_ID"] == Self.deliveryID }.count >= 2 }
            .filter { $0["MESSAGE_ID"] == Self.deliveryID }
        #expect(entries.count == 2, "\(entries)")
        #expect(entries.last?["PRIORITY"] == "5" && entries.last?["RETAIND_BACKLOG"] == "6", "\(entries)")

        // The daemon SIGKILLed while delivering a backlog: the next one finishes it, once.
        try server.kill9()
        for step in 9...14 {
            try drop(daemon, step)
            try daemon.waitForOutcomes(step)
        }
        try server.start()
        let deadline = Date().addingTimeInterval(30)
        while try centralCount(server) == 8, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        kill(daemon.pid, SIGKILL)
        _ = try daemon.stop()
        try daemon.start()
        try waitForCentral(server, count: 14)
        Thread.sleep(forTimeInterval: 1)
        #expect(try centralCount(server) == 14)

        let local = try daemon.rows().filter { $0.status != .processing }.sorted { $0.id! < $1.id! }
        let arrivals = try server.psql("SELECT local_id FROM checkpoint WHERE host = 'gpu-a' ORDER BY arrival")
            .split(separator: "\n").compactMap { Int64($0) }
        #expect(arrivals == local.map(\.id!), "central arrival order \(arrivals), local \(local.map(\.id!))")
        #expect(try daemon.stop() == 0)
    }

    @Test(arguments: ["password", "ca", "protocol"])
    func refusals_areReportedOnce_withTheReason_andTheLocalHistoryIsComplete(_ failure: String) throws {
        let server = try PostgresServer(tls: failure == "ca")
        let daemon: DaemonHarness
        let expected: String
        var http: NotPostgresServer?
        defer { _ = http }
        switch failure {
        case "password":
            daemon = try makeDaemon("central-password", server, host: "h",
                                    passwordFile: try server.passwordFile("wrong", name: "wrong-pw"))
            expected = "password authentication failed"
        case "ca":
            daemon = try makeDaemon("central-ca", server, host: "h", tls: "verify-full", caFile: try server.otherCA())
            expected = "TLS"
        default:
            // A web server where PostgreSQL should be (a wrong port).
            http = try NotPostgresServer()
            daemon = try makeDaemon("central-protocol", server, host: "h", url: "postgresql://retaind@127.0.0.1:\(http!.port)/retaind")
            expected = "does not speak the PostgreSQL protocol"
        }
        try daemon.start()
        for step in 1...3 { try drop(daemon, step) }
        #expect(try daemon.waitForOutcomes(3).filter { $0.status != .processing }.count == 3)
        let entries = try Journal.wait(pid: daemon.pid) { $0.contains { $0["MESSAGE_ID"] == Self.deliveryID } }
        Thread.sleep(forTimeInterval: 3)  // backoff retries happen; they must not log again
        let delivery = Journal.entries(pid: daemon.pid).filter { $0["MESSAGE_ID"] == Self.deliveryID }
        #expect(delivery.count == 1, "\(delivery)")
        #expect(delivery.first?["RETAIND_ERROR"]?.contains(expected) == true, "\(entries.filter { $0["MESSAGE_ID"] == Self.deliveryID })")
        #expect(try daemon.stop() == 0)
    }
}
