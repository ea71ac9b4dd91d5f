import CSystemd
import Foundation
import Synchronization

/// Structured journald entries, sent over journald's native protocol on a socket connected
/// once (systemd's own services do the same): sd_journal_sendv(3) addresses every datagram to
/// the socket's path, so each entry costs a path lookup in the kernel, and the daemon sends an
/// entry per appended event. Without a journal (no journald listening) `send` returns false
/// quietly and the daemon carries on (`JournalConnection` says when it tries again).
public enum Journal {
    /// The connection every entry of the process goes through.
    public static let connection = JournalConnection(path: "/run/systemd/journal/socket")

    /// Sends one entry. Field names are upper case letters, digits and underscores.
    @discardableResult
    public static func send(_ fields: [(String, String)]) -> Bool {
        let datagram = nativeDatagram(fields)
        switch connection.send(datagram) {
        case .sent: return true
        case .failed: return false
        case .tooLarge: return sendThroughLibrary(fields)  // sd_journal_sendv passes large entries in a memfd
        }
    }

    /// The native protocol's datagram: `KEY=value\n` per field, or, for a value with a line
    /// break, `KEY\n`, its length as 64-bit little-endian, the value and `\n`.
    public static func nativeDatagram(_ fields: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 10 })
        for (key, value) in fields {
            var key = key, value = value
            key.withUTF8 { bytes.append(contentsOf: $0) }
            value.withUTF8 { v in
                if v.contains(UInt8(ascii: "\n")) {
                    bytes.append(UInt8(ascii: "\n"))
                    withUnsafeBytes(of: UInt64(v.count).littleEndian) { bytes.append(contentsOf: $0) }
                } else {
                    bytes.append(UInt8(ascii: "="))
                }
                bytes.append(contentsOf: v)
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// sd_journal_sendv(3), for an entry too large for one datagram.
    private static func sendThroughLibrary(_ fields: [(String, String)]) -> Bool {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for (key, value) in fields {
            bytes.append(contentsOf: key.utf8)
            bytes.append(UInt8(ascii: "="))
            bytes.append(contentsOf: value.utf8)
            ends.append(bytes.count)
        }
        return bytes.withUnsafeMutableBufferPointer { buffer in
            var start = 0
            var iov = ends.map { end in
                defer { start = end }
                return iovec(iov_base: UnsafeMutableRawPointer(buffer.baseAddress! + start), iov_len: end - start)
            }
            return iov.withUnsafeMutableBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) } >= 0
        }
    }

    /// syslog priorities, as journald's PRIORITY field takes them; the more urgent is the lesser.
    public enum Priority: Int, Sendable, Comparable {
        case emergency = 0, alert, critical, error, warning, notice, info, debug

        public static func < (a: Priority, b: Priority) -> Bool { a.rawValue < b.rawValue }
    }
}

/// A datagram socket connected to journald's socket at `path`, made on first use and made
/// again when journald goes away: at once when a send finds the connection broken (a restarted
/// journald listens on a new socket at the same path), else at most every `reconnectInterval`
/// while nothing listens, so that a daemon without a journal spends no system call per entry.
public final class JournalConnection: Sendable {
    public enum Outcome: Sendable { case sent, failed, tooLarge }

    public let path: String
    public let reconnectInterval: Duration
    private struct State {
        var fd: Int32 = -1
        /// No connection is tried before this (set when one failed).
        var nextAttempt = ContinuousClock.now
    }
    private let state = Mutex(State())

    public init(path: String, reconnectInterval: Duration = .milliseconds(250)) {
        self.path = path
        self.reconnectInterval = reconnectInterval
    }

    deinit { state.withLock { if $0.fd >= 0 { close($0.fd) } } }

    /// Sends one datagram (`Journal.nativeDatagram`). `tooLarge`: it needs another way in.
    public func send(_ datagram: [UInt8]) -> Outcome {
        state.withLock { state in
            // A second try only after the connection broke (journald restarted): connect again now.
            for attempt in 0..<2 {
                if state.fd < 0 {
                    guard attempt > 0 || ContinuousClock.now >= state.nextAttempt, connect(&state) else {
                        return .failed
                    }
                }
                let fd = state.fd
                let n = datagram.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n >= 0 { return .sent }
                switch errno {
                case EMSGSIZE, ENOBUFS: return .tooLarge
                // The socket blocks, as sd_journal_sendv's does, while journald's queue is full
                // (an entry is not dropped for a busy journald); a signal or a timeout ends the
                // wait and drops the entry, as sd_journal_sendv would.
                case EAGAIN, EINTR: return .failed
                default:  // ECONNREFUSED, ENOTCONN, ENOENT …: the journald we knew is gone
                    close(fd)
                    state.fd = -1
                }
            }
            return .failed
        }
    }

    /// Connects a new socket; on failure, waits `reconnectInterval` before the next try.
    private func connect(_ state: inout State) -> Bool {
        let s = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { return failed(&state) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(self.path.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(s)
            return failed(&state)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(s)
            return failed(&state)
        }
        // Room for bursts, as sd-journal asks (the kernel caps it at wmem_max).
        var size: Int32 = 8 * 1024 * 1024
        setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        state.fd = s
        return true
    }

    private func failed(_ state: inout State) -> Bool {
        state.nextAttempt = .now + reconnectInterval
        return false
    }
}
