import Foundation
import History
import Logging
import NIOSSL
import PostgresNIO
import SystemCalls

/// One connection to the central history, for the daemon's delivery and the fleet views.
///
/// No pool: the daemon delivers from one task, and a command makes one query.
public struct CentralConnection: Sendable {
    let connection: PostgresConnection
    public let settings: CentralSettings
    let logger: Logger

    /// Connects with `settings`, reading the password file now (a rotated credential is
    /// picked up by the next connection).
    public static func open(_ settings: CentralSettings, logger: Logger) async throws(CentralError) -> CentralConnection {
        let password = try readPassword(settings)
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch settings.tls {
            case .disable:
                tls = .disable
            case .require:
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                tls = .require(try NIOSSLContext(configuration: configuration))
            case .verifyFull:
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .fullVerification
                if let caFile = settings.caFile {
                    guard FileManager.default.isReadableFile(atPath: caFile) else {
                        throw CentralError(.configuration, "ca_file \(caFile) cannot be read")
                    }
                    configuration.trustRoots = .file(caFile)
                }
                tls = .require(try NIOSSLContext(configuration: configuration))
            }
        } catch let error as CentralError {
            throw error
        } catch {
            throw CentralError(.tls, "cannot set up TLS for \(settings.destination): \(error) (is ca_file a PEM certificate?)")
        }
        var configuration = PostgresConnection.Configuration(host: settings.server, port: settings.port, username: settings.user,
                                                             password: password, database: settings.database, tls: tls)
        configuration.options.connectTimeout = .milliseconds(Int64(settings.timeoutSeconds * 1000))
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            return CentralConnection(connection: connection, settings: settings, logger: logger)
        } catch {
            throw CentralError.fromConnecting(error, destination: settings.destination)
        }
    }

    /// Closes the connection (errors on a connection already gone are ignored).
    public func close() async {
        try? await connection.close()
    }

    /// Runs `query`, mapping failures to CentralError.
    @discardableResult
    func run(_ query: PostgresQuery) async throws(CentralError) -> PostgresRowSequence {
        do { return try await connection.query(query, logger: logger) } catch {
            throw CentralError.from(error, destination: settings.destination)
        }
    }

    /// Runs `body` in a transaction.
    func transaction<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws(CentralError) -> T {
        do {
            return try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch {
            throw CentralError.from(error, destination: settings.destination)
        }
    }

    private static func readPassword(_ settings: CentralSettings) throws(CentralError) -> String? {
        guard let file = settings.passwordFile else { return nil }
        do {
            let bytes = try FileSystem.readRegularFile(file, limit: 4096)
            var text = String(decoding: bytes, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return text
        } catch {
            throw CentralError(.credential, "password_file \(file) cannot be read: \(error)")
        }
    }
}
