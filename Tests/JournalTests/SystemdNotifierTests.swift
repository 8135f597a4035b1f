import Foundation
import Journal
import Testing

/// sd_notify through a real datagram socket named by NOTIFY_SOCKET (set in this process,
/// so these tests run one at a time).
@Suite(.serialized) struct SystemdNotifierTests {
    @Test func messages_arriveVerbatim() throws {
        let path = NSTemporaryDirectory() + "notify-\(UUID().uuidString.prefix(8))"
        let fd = try Self.bind(path)
        defer { close(fd); unlink(path) }
        setenv("NOTIFY_SOCKET", path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let notifier = SystemdNotifier()
        notifier.ready(status: "watching 1 watch")
        #expect(Self.receive(fd) == "READY=1\nSTATUS=watching 1 watch")
        notifier.watchdog()
        #expect(Self.receive(fd) == "WATCHDOG=1")
        notifier.reloading()
        let reloading = Self.receive(fd) ?? ""
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(reloading.split(separator: "\n")[1].dropFirst("MONOTONIC_USEC=".count)) ?? 0
        let nowUsec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        #expect(usec <= nowUsec && nowUsec - usec < 5_000_000, "MONOTONIC_USEC is CLOCK_MONOTONIC")
        notifier.stopping()
        #expect(Self.receive(fd)?.hasPrefix("STOPPING=1") == true)
    }

    @Test func watchdogInterval_readsWATCHDOG_USEC() {
        setenv("WATCHDOG_USEC", "2500000", 1)
        #expect(SystemdNotifier().watchdogInterval == .microseconds(2_500_000))
        unsetenv("WATCHDOG_USEC")
        #expect(SystemdNotifier().watchdogInterval == nil)
    }

    @Test func withoutASocket_notifyingDoesNothing() {
        unsetenv("NOTIFY_SOCKET")
        #expect(SystemdNotifier().notify("READY=1"))
    }

    static func bind(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func receive(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }
}
