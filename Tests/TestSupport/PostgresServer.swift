import Foundation

/// A throwaway PostgreSQL cluster from Debian's `postgresql` package: `initdb` into a
/// temporary directory, `pg_ctl` on a free loopback port, password authentication
/// (scram-sha-256) on, optionally TLS with a certificate signed by a CA of its own.
///
/// As root it runs as the `postgres` user (the server refuses root). Nothing is mocked:
/// the tests talk to a real server, kill it, and start it again.
public final class PostgresServer: @unchecked Sendable {
    /// Whether the server binaries are installed (scripts/setup.sh installs them).
    public static var isInstalled: Bool { binDirectory != nil }

    public let directory: String
    public let port: Int
    /// The superuser (owns the `retaind` database) and its password.
    public let owner = "owner"
    public let ownerPassword = "owner-secret"
    /// The daemons' role: INSERT and SELECT only, once `retaind central migrate --grant` ran.
    public let role = "retaind"
    public let rolePassword = "retaind-secret"
    public let database = "retaind"
    /// With TLS: the CA that signed the server's certificate (`CN=localhost`).
    public let caFile: String?
    private var data: String { directory + "/data" }

    /// Creates and starts a cluster with the `retaind` database and role.
    public init(tls: Bool = false) throws {
        guard let bin = Self.binDirectory else { throw Failure("PostgreSQL is not installed (apt-get install postgresql)") }
        directory = NSTemporaryDirectory() + "retaind-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = Int.random(in: 20_000..<60_000)
        let passwordFile = directory + "/owner.pw"
        try ownerPassword.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        if tls {
            try Self.makeCertificates(in: directory)
            caFile = directory + "/ca.crt"
        } else {
            caFile = nil
        }
        try Self.handToServerUser(directory)
        try Self.run(bin + "/initdb", ["-D", data, "-U", owner, "--auth=scram-sha-256", "--pwfile=\(passwordFile)", "--locale=C", "-E", "UTF8",
                                       "--no-sync"], asServerUser: true)
        var settings = """

            port = \(port)
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '\(directory)'
            fsync = off  # a process kill keeps what reached the kernel; commits stay synchronous
            full_page_writes = off

            """
        if tls {
            settings += "ssl = on\nssl_cert_file = '\(directory)/server.crt'\nssl_key_file = '\(directory)/server.key'\n"
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data + "/postgresql.conf"))
        handle.seekToEndOfFile()
        handle.write(Data(settings.utf8))
        try handle.close()
        try start()
        try psql("CREATE ROLE \(role) LOGIN PASSWORD '\(rolePassword)'", database: "postgres")
        try psql("CREATE DATABASE \(database) OWNER \(owner)", database: "postgres")
    }

    deinit {
        if let bin = Self.binDirectory {
            try? Self.run(bin + "/pg_ctl", ["-D", data, "-m", "immediate", "stop"], asServerUser: true)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `postgresql://user@localhost:port/retaind`.
    public func url(user: String? = nil) -> String { "postgresql://\(user ?? role)@localhost:\(port)/\(database)" }

    /// Writes `password` to a file the tests hand to `password_file`.
    public func passwordFile(_ password: String, name: String) throws -> String {
        let path = directory + "/" + name
        try password.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts the server (again) and waits until it accepts connections.
    public func start() throws {
        // Not captured: the server it starts would hold the pipe open.
        try Self.run(Self.binDirectory! + "/pg_ctl", ["-D", data, "-l", directory + "/server.log", "-w", "-t", "30", "start"],
                     asServerUser: true, capture: false)
    }

    /// SIGKILLs the server, the postmaster and every backend at once, as a crash of its
    /// host would end it.
    public func kill9() throws {
        let pidText = try String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8)
        guard let pid = pid_t(pidText.split(separator: "\n").first ?? "") else { throw Failure("no postmaster pid") }
        kill(pid, SIGSTOP)  // no new backends while they are killed
        _ = try? Self.run("/usr/bin/pkill", ["-9", "-P", "\(pid)"], asServerUser: false)
        kill(pid, SIGKILL)
        for _ in 0..<100 where kill(pid, 0) == 0 { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 0.3)
        try? FileManager.default.removeItem(atPath: data + "/postmaster.pid")
    }

    /// Runs SQL as the owner over the server's Unix socket; returns psql's unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String? = nil) throws -> String {
        let bin = Self.binDirectory!
        let psql = FileManager.default.isExecutableFile(atPath: bin + "/psql") ? bin + "/psql" : "/usr/bin/psql"
        return try Self.run(psql, ["-h", directory, "-p", "\(port)", "-U", owner, "-d", database ?? self.database, "-v", "ON_ERROR_STOP=1",
                                   "-At", "-c", sql], asServerUser: false, environment: ["PGPASSWORD": ownerPassword])
    }

    /// A CA, and a server certificate for `localhost` it signed.
    private static func makeCertificates(in directory: String) throws {
        let openssl = "/usr/bin/openssl"
        func ssl(_ arguments: [String]) throws { try run(openssl, arguments, asServerUser: false) }
        try ssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                 "-subj", "/CN=retaind test CA", "-keyout", directory + "/ca.key", "-out", directory + "/ca.crt"])
        try ssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost",
                 "-keyout", directory + "/server.key", "-out", directory + "/server.csr"])
        try "subjectAltName=DNS:localhost\n".write(toFile: directory + "/san.ext", atomically: true, encoding: .utf8)
        try ssl(["x509", "-req", "-in", directory + "/server.csr", "-CA", directory + "/ca.crt", "-CAkey", directory + "/ca.key",
                 "-CAcreateserial", "-days", "2", "-extfile", directory + "/san.ext", "-out", directory + "/server.crt"])
        chmod(directory + "/server.key", 0o600)
    }

    /// A second CA that signed nothing here: a client trusting it must refuse the server.
    public func otherCA() throws -> String {
        let path = directory + "/other-ca.crt"
        try Self.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                          "-days", "2", "-subj", "/CN=another CA", "-keyout", directory + "/other-ca.key", "-out", path],
                     asServerUser: false)
        return path
    }

    private static var binDirectory: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { "\(root)/\($0)/bin" }.flatMap { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") ? $0 : nil }
    }

    private static var isRoot: Bool { getuid() == 0 }

    private static func handToServerUser(_ directory: String) throws {
        guard isRoot else { return }
        try run("/bin/chown", ["-R", "postgres:postgres", directory], asServerUser: false)
        chmod(directory, 0o700)
    }

    @discardableResult
    private static func run(_ executable: String, _ arguments: [String], asServerUser: Bool,
                            environment: [String: String] = [:], capture: Bool = true) throws -> String {
        let process = Process()
        var command = [executable] + arguments
        if asServerUser, isRoot { command = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command }
        if !capture {
            // A server started here must not inherit Foundation's descriptors (it would
            // keep the child's exit from being noticed): python3 closes all but 0–2.
            command = ["/usr/bin/python3", "-c", "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:], "
                       + "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode)"] + command
        }
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        let output = Pipe()
        process.standardOutput = capture ? output : FileHandle.nullDevice
        process.standardError = capture ? output : FileHandle.nullDevice
        try process.run()
        let data = capture ? output.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure("\((executable as NSString).lastPathComponent) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(text)")
        }
        return text
    }

    /// A setup step that failed, with what it printed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}

/// A TCP server on loopback that answers like a web server wherever PostgreSQL was
/// expected: the peer a wrong port in `url` reaches.
public final class NotPostgresServer {
    public let port: Int
    private let process: Process

    /// Starts one on a free port.
    public init() throws {
        port = Int.random(in: 20_000..<60_000)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", """
            import socket, sys, time
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", int(sys.argv[1])))
            s.listen(16)
            while True:
                c, _ = s.accept()
                c.recv(4096)
                c.sendall(b"HTTP/1.0 400 Bad Request\\r\\nContent-Length: 0\\r\\n\\r\\n")
                time.sleep(0.5)
                c.close()
            """, "\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.5)
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
    }
}

