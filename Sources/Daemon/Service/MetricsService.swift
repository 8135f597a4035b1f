import Foundation
import ServiceLifecycle

/// Rewrites the metrics textfile every 30 s, so its mtime (node_exporter's
/// `node_textfile_mtime_seconds`) says the daemon is alive even when no checkpoint comes,
/// and once more on shutdown.
struct MetricsService: Service {
    let publisher: MetricsPublisher
    /// Seconds between writes; a minute at most, so a 5-minute staleness alert never fires
    /// on a live daemon.
    static let interval: Duration = .seconds(30)

    func run() async throws {
        await blocking { publisher.publish() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.interval)
                await blocking { publisher.publish() }
            }
        }
        await blocking { publisher.publish() }
    }
}
