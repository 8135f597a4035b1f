import Foundation

/// A real `NOTIFY_SOCKET`: a datagram socket the test binds, collecting every message
/// the daemon sends with the time it arrived.
final class NotifySocket: @unchecked Sendable {
    struct Message {
        let text: String
        let received: Date
    }

    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var messages: [Message] = []
    private var closed = false

    init(directory: String) throws {
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path), "socket path too long")
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread.detachNewThread { [self] in receive() }
    }

    deinit {
        lock.lock(); closed = true; lock.unlock()
        close(fd)
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            lock.lock(); let stop = closed; lock.unlock()
            if stop { return }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { continue }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            lock.lock(); messages.append(Message(text: text, received: Date())); lock.unlock()
        }
    }

    var all: [Message] {
        lock.lock(); defer { lock.unlock() }
        return messages
    }

    /// Waits until a message containing `line` (a whole `KEY=value` line) has arrived
    /// after `after` messages; returns its index.
    @discardableResult
    func wait(for line: String, after start: Int = 0, timeout: Double = 60) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let current = all
            if current.count > start, let i = current[start...].firstIndex(where: { $0.text.split(separator: "\n").contains { $0 == line } }) {
                return i
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw HarnessError.timeout("no \(line) on NOTIFY_SOCKET within \(timeout) s; got \(all.map(\.text))")
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case timeout(String)
    var description: String {
        switch self { case .timeout(let s): s }
    }
}
