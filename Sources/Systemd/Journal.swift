import CSystemd
import Foundation

/// sd_journal_sendv(3): one structured entry, fields as `KEY=value`. Without a journal (no
/// journald listening) it returns false quietly; the daemon carries on.
public enum Journal {
    /// Sends one entry. Field names are upper case letters, digits and underscores.
    @discardableResult
    public static func send(_ fields: [(String, String)]) -> Bool {
        let strings = fields.map { "\($0.0)=\($0.1)" }
        let buffers = strings.map { strdup($0)! }
        defer { buffers.forEach { free($0) } }
        var iov = zip(buffers, strings).map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: $1.utf8.count) }
        return iov.withUnsafeMutableBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) } >= 0
    }

    /// syslog priorities, as journald's PRIORITY field takes them.
    public enum Priority: Int, Sendable {
        case emergency = 0, alert, critical, error, warning, notice, info, debug
    }
}
