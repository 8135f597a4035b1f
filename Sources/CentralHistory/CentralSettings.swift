import Foundation

/// Where the central history is and how to reach it: `[store.central]`.
///
/// The password is never in the configuration: it is read from `passwordFile` (for
/// systemd's `LoadCredential=`) each time a connection is made.
public struct CentralSettings: Sendable, Equatable {
    /// How the server's certificate is checked.
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// TLS, the certificate signed by `caFile` (or the system's roots) and naming the host.
        case verifyFull = "verify-full"
        /// TLS, the certificate not checked (encryption against eavesdroppers only).
        case require
        /// No TLS (a trusted loopback or private network only).
        case disable
    }

    /// The server's host name or address.
    public var server: String
    public var port: Int
    public var user: String
    public var database: String
    public var passwordFile: String?
    public var tls: TLSMode
    /// PEM bundle of the CA that signed the server's certificate (nil: the system's roots).
    public var caFile: String?
    /// Names this machine in every central row (default: its hostname).
    public var host: String
    /// A connection or delivery taking longer is abandoned and retried: a server gone
    /// without closing its connections (a pulled cable, a frozen host) must not stall
    /// delivery for ever.
    public var timeoutSeconds: Double = 30

    /// Settings from a `postgresql://user@server:port/database` URL and the other keys.
    ///
    /// Throws a message naming what is wrong; a password in the URL is refused.
    public init(url: String, passwordFile: String?, tls: TLSMode, caFile: String?, host: String?) throws(CentralError) {
        guard let components = URLComponents(string: url), ["postgresql", "postgres"].contains(components.scheme ?? ""),
              let server = components.host, !server.isEmpty
        else {
            throw CentralError(.configuration, "url must look like postgresql://user@server:5432/database, not “\(url)”")
        }
        guard components.password == nil else {
            throw CentralError(.configuration, "url must not hold a password: put it in a file named by password_file (systemd LoadCredential=)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw CentralError(.configuration, "url must name the user: postgresql://user@\(server)/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        self.server = server
        self.port = components.port ?? 5432
        self.user = user
        self.database = database.isEmpty ? user : database
        self.passwordFile = passwordFile
        self.tls = tls
        self.caFile = caFile
        self.host = host ?? Self.machineName
    }

    /// This machine's hostname.
    public static var machineName: String { ProcessInfo.processInfo.hostName }

    /// `user@server:port/database`, for messages (never a password).
    public var destination: String { "\(user)@\(server):\(port)/\(database)" }
}
