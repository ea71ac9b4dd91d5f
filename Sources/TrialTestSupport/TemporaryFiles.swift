import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A temporary directory under /tmp, removed on `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL
    public init() throws {
        // Short: Unix socket paths are limited to 107 bytes.
        url = URL(fileURLWithPath: "/tmp/tt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        chmod(url.path, 0o755)
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A Unix datagram socket the test binds and reads: a NOTIFY_SOCKET that collects sd_notify
/// messages, or a stand-in for journald's socket.
public final class DatagramReceiver: Sendable {
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let rc = unixSocket(fd, .bind, path: path)
        guard rc == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        chmod(path, 0o777)
    }

    deinit { close(fd) }

    /// The next message, or nil after `timeout` seconds without one.
    public func receive(timeout: Double) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buf, buf.count, 0)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n], as: UTF8.self)
    }

    /// Waits for a message containing `line` (e.g. READY=1); returns every message seen.
    public func wait(for line: String, timeout: Double = 30) -> [String]? {
        var seen: [String] = []
        return wait(for: line, timeout: timeout, seen: &seen) ? seen : nil
    }

    /// Waits for a message containing `line`, collecting every message in `seen`; false at the
    /// deadline, or once `giveUp` is true and no message is waiting (checked every 0.1 s).
    public func wait(for line: String, timeout: Double, seen: inout [String], giveUp: () -> Bool = { false }) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while case let left = deadline.timeIntervalSinceNow, left > 0 {
            if let m = receive(timeout: min(left, 0.1)) {
                seen.append(m)
                if m.split(separator: "\n").contains(Substring(line)) { return true }
            } else if giveUp() {
                return false
            }
        }
        return false
    }
}

/// bind(2) or connect(2) of a Unix socket to `path` (at most 107 bytes): the call's result.
public func unixSocket(_ fd: Int32, _ operation: UnixSocketOperation, path: String) -> Int32 {
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    precondition(bytes.count < MemoryLayout.size(ofValue: addr.sun_path), "a Unix socket path of \(bytes.count) bytes")
    withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
            let size = socklen_t(MemoryLayout<sockaddr_un>.size)
            return operation == .bind ? bind(fd, a, size) : connect(fd, a, size)
        }
    }
}

public enum UnixSocketOperation: Sendable { case bind, connect }
