import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// Why the central history could not be used, in words an operator can act on.
///
/// postgres-nio hides server messages from `description` on purpose; this type picks out
/// what is safe and useful: the server's message and SQLSTATE, a refused connection, a
/// certificate that does not verify, a peer that is not PostgreSQL.
public struct CentralError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, for tests and for deciding whether to retry.
    public enum Kind: String, Sendable {
        /// `[store.central]` or the command line is wrong.
        case configuration
        /// The password file is missing or unreadable.
        case credential
        /// No connection: refused, unreachable, timed out, or closed.
        case connection
        /// TLS failed: the certificate does not verify, or the server has no TLS.
        case tls
        /// The server refused the user or password.
        case authentication
        /// The peer does not speak PostgreSQL.
        case protocolError
        /// The central schema is missing or older than this retaind.
        case schema
        /// The server refused a statement.
        case server
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// `error` of a connection attempt: a peer that closes before the handshake is done
    /// is most likely not PostgreSQL (a wrong port), or one refusing retaind's address.
    static func fromConnecting(_ error: any Error, destination: String) -> CentralError {
        guard let closed = error as? PSQLError, closed.underlying == nil,
              [.serverClosedConnection, .clientClosedConnection, .uncleanShutdown].contains(closed.code)
        else { return from(error, destination: destination) }
        return CentralError(.protocolError, """
            \(destination) closed the connection before the PostgreSQL handshake finished: it does not speak the \
            PostgreSQL protocol (is the port right?), or it drops this host
            """)
    }

    /// `error` (from postgres-nio, NIO or NIOSSL) as a CentralError about `destination`.
    public static func from(_ error: any Error, destination: String) -> CentralError {
        if let error = error as? CentralError { return error }
        if let error = error as? PostgresTransactionError {
            return from(error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError ?? error, destination: destination)
        }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let text = info[.message] ?? "error"
                let state = info[.sqlState] ?? ""
                switch state {
                case "28P01", "28000":
                    return CentralError(.authentication, "\(destination) refused the login: \(text) (check the user in url and the password in password_file)")
                case "3D000":
                    return CentralError(.configuration, "\(destination): \(text)")
                case "42P01", "42703":
                    return CentralError(.schema, "\(destination): \(text); run `retaind central migrate` as the schema's owner")
                case "42501":
                    return CentralError(.server, "\(destination): \(text); grant the role INSERT and SELECT (`retaind central migrate --grant ROLE`)")
                default:
                    return CentralError(.server, "\(destination): \(text) (SQLSTATE \(state))")
                }
            }
            switch error.code {
            case .sslUnsupported:
                return CentralError(.tls, "\(destination) does not offer TLS (set tls = \"disable\" only on a trusted network)")
            case .failedToAddSSLHandler:
                return CentralError(.tls, "\(destination): cannot set up TLS: \(underlying(error))")
            case .authMechanismRequiresPassword:
                return CentralError(.credential, "\(destination) asks for a password: set password_file")
            case .unsupportedAuthMechanism:
                return CentralError(.authentication, "\(destination) asks for an authentication method retaind does not support (use scram-sha-256 or md5)")
            case .messageDecodingFailure, .unexpectedBackendMessage, .receivedUnencryptedDataAfterSSLRequest:
                return CentralError(.protocolError, "\(destination) does not speak the PostgreSQL protocol (is the port right?)")
            case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
                if let nested = error.underlying { return from(nested, destination: destination) }
                return CentralError(.connection, "\(destination) closed the connection")
            case .connectionError:
                if let nested = error.underlying { return from(nested, destination: destination) }
                return CentralError(.connection, "cannot connect to \(destination)")
            default:
                return CentralError(.server, "\(destination): \(String(reflecting: error))")
            }
        }
        if let error = error as? NIOSSLError {
            switch error {
            case .handshakeFailed(let reason):
                return CentralError(.tls, "\(destination): TLS handshake failed (\(reason)); check ca_file and that the certificate names the server")
            default:
                return CentralError(.tls, "\(destination): TLS failed: \(error)")
            }
        }
        if let error = error as? NIOSSLExtraError {
            return CentralError(.tls, "\(destination): TLS failed: \(error)")
        }
        if let error = error as? IOError {
            return CentralError(.connection, "cannot connect to \(destination): \(String(cString: strerror(error.errnoCode)))")
        }
        if let error = error as? ChannelError {
            return CentralError(.connection, "cannot connect to \(destination): \(error)")
        }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return from(first.error, destination: destination) }
            return CentralError(.connection, "cannot connect to \(destination): the name \(error.host) does not resolve")
        }
        return CentralError(.connection, "\(destination): \(error)")
    }

    private static func underlying(_ error: PSQLError) -> String {
        error.underlying.map { "\($0)" } ?? "unknown reason"
    }
}
