import CSystemd
import Foundation

/// sd_journal_sendv(3): one structured entry, fields as `KEY=value`. Without a journal (no
/// journald listening) it returns false quietly; the daemon carries on.
public enum Journal {
    /// Sends one entry. Field names are upper case letters, digits and underscores.
    @discardableResult
    public static func send(_ fields: [(String, String)]) -> Bool {
        // One buffer for every `KEY=value`, and an iovec into it for each: no string or
        // allocation per field (the daemon sends an entry per appended event).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 1 })
        var ends: [Int] = []
        ends.reserveCapacity(fields.count)
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
