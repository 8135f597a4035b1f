import ArgumentParser
import Daemon
import Foundation
import Journal
import Linalg
import Logging
import ServiceLifecycle

/// `retaind run`: the daemon, as systemd starts it.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Watch for checkpoints, gate them on drift, restore those over threshold.",
        discussion: """
            Logs to the systemd journal (stderr when there is none) and speaks systemd's \
            notify protocol: READY=1 after the first scan, WATCHDOG=1, RELOADING=1 on SIGHUP \
            (the configuration is re-read; a broken one is refused and the old one kept), \
            STOPPING=1 on SIGTERM. Exits 1 when the configuration or history cannot be used.
            """
    )

    @Option(help: "The configuration file (default $RETAIND_CONFIG or /etc/retaind/retaind.toml).")
    var config: String = Configuration.defaultPath

    func run() async throws {
        // The history, its WAL and restored checkpoints are 0640 and their directories
        // 0750 however the daemon was started, not only under the unit's UMask=.
        umask(0o027)
        LoggingSystem.bootstrap { JournalLogHandler(label: $0) }
        var logger = Logger(label: "retaind")
        logger.logLevel = ProcessInfo.processInfo.environment["RETAIND_DEBUG"] == nil ? .info : .debug
        if let warning = BLAS.slowKernelWarning {
            logger.warning("\(warning)", metadata: ["message_id": "\(MessageID.configurationWarning.rawValue)"])
        }
        BLAS.useAllCoresForPasses()
        // A full disk or file size limit must be a clean write error, not a fatal signal.
        signal(SIGXFSZ, SIG_IGN)
        var groupLogger = logger
        groupLogger.logLevel = .warning
        let service = DaemonService(configurationPath: config, logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: groupLogger))
        do {
            try await group.run()
        } catch {
            let cause = "\(error)"
            logger.critical("retaind cannot run: \(cause)", metadata: ["message_id": "\(MessageID.daemonError.rawValue)",
                                                                         "retaind.error": "\(cause)"])
            Output.error("error: \(cause)")
            throw ExitCode(1)
        }
    }
}
