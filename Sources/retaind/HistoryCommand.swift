import ArgumentParser
import CentralHistory
import Foundation
import History

/// `retaind history`: what the daemon did, newest first.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List checkpoint outcomes, newest first.",
        discussion: """
            --json prints an array of rows keyed by docs/spec.md §7 names (path, status, drift, \
            drift_max, drift_after, forget_kept, fingerprint, …), for scripts that gate on it. \
            --central lists every host's outcomes from [store.central], with a host column \
            (pending checkpoints stay on their host).
            """
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var fleet: CentralOptions

    @Option(help: "Only this watch.")
    var watch: String?

    @Option(help: "Only this status: passed, restored, flagged, unchanged, rejected, vanished, error, processing (pending checkpoints are listed without it).")
    var status: CheckpointStatus?

    @Option(help: "Only outcomes detected since then: an ISO 8601 date or time, or an age such as 30m, 12h, 7d.")
    var since: String?

    @Option(help: "At most this many rows.")
    var limit: Int = 100

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if let since, SinceParser.date(since) == nil {
            throw ValidationError("--since: “\(since)” is neither an ISO 8601 date/time nor an age like 12h or 7d")
        }
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() async throws {
        if fleet.central { return try await runCentral() }
        let history = try state.openHistory()
        let rows = try history.records(.init(watch: watch, status: status, since: since.flatMap { SinceParser.date($0) }, limit: limit))
        // Pending checkpoints (no outcome yet) come first, unless a status is asked for.
        let pending = status == nil ? try history.pending(watch: watch) : []
        if json {
            var objects = try pending.map { entry -> [String: Any] in
                var object = try Output.jsonObject(entry)
                object["status"] = "pending"
                return object
            }
            objects += try rows.map { try Output.jsonObject($0) }
            try Output.printJSON(object: objects)
            return
        }
        guard !rows.isEmpty || !pending.isEmpty else {
            print("no outcomes\(watch.map { " for watch \($0)" } ?? "")")
            return
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        func f(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "-" }
        var table = [["detected", "status", "drift", "threshold", "after", "watch", "checkpoint"]]
        for entry in pending {
            table.append([formatter.string(from: entry.firstSeen), "pending", "-", "-", "-", entry.watch, "\(entry.path)  (\(entry.reason))"])
        }
        for row in rows {
            table.append([formatter.string(from: row.detectedAt), row.status.rawValue, f(row.drift), f(row.threshold),
                          f(row.driftAfter), row.watch, row.path])
        }
        Output.printTable(table)
    }

    /// The fleet's outcomes from the central history: the same rows, plus the host.
    private func runCentral() async throws {
        let connection = try await CentralOptions.connect(try state.loadConfiguration())
        let rows: [CentralRecord]
        do {
            rows = try await connection.records(.init(host: fleet.host, watch: watch, status: status,
                                                      since: since.flatMap { SinceParser.date($0) }, limit: limit))
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
        if json {
            try Output.printJSON(object: try rows.map { row -> [String: Any] in
                var object = try Output.jsonObject(row.record)
                object["host"] = row.host
                return object
            })
            return
        }
        guard !rows.isEmpty else {
            print("no outcomes in the central history\(fleet.host.map { " for host \($0)" } ?? "")")
            return
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        func f(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "-" }
        var table = [["detected", "host", "status", "drift", "threshold", "after", "watch", "checkpoint"]]
        for row in rows {
            let r = row.record
            table.append([formatter.string(from: r.detectedAt), row.host, r.status.rawValue, f(r.drift), f(r.threshold),
                          f(r.driftAfter), r.watch, r.path])
        }
        Output.printTable(table)
    }
}

extension CheckpointStatus: ExpressibleByArgument {}

/// `--since` values: ISO 8601 (`2026-11-29`, `2026-11-29T12:00:00Z`) or an age (`90s`,
/// `30m`, `12h`, `7d`).
enum SinceParser {
    static func date(_ text: String, now: Date = Date()) -> Date? {
        if let unit = text.last, let amount = Double(text.dropLast()), amount >= 0 {
            let seconds: Double? = switch unit {
            case "s": 1
            case "m": 60
            case "h": 3600
            case "d": 86_400
            default: nil
            }
            if let seconds { return now.addingTimeInterval(-amount * seconds) }
        }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return day.date(from: text)
    }
}
