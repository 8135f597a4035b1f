import Journal
import Logging
import ServiceLifecycle

/// Says that shutdown has begun (`STOPPING=1` and a journal entry) the moment SIGTERM
/// arrives. The last service of the group, so it is the first told to shut down.
struct StoppingNotice: Service {
    let notifier: any ServiceNotifier
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        notifier.stopping()
        logger.notice("retaind stopping", metadata: ["message_id": "\(MessageID.stopping.rawValue)"])
    }
}
