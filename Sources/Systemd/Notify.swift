import CSystemd
import Foundation

/// sd_notify(3): tells the service manager about start-up, status, liveness and shutdown.
/// Without systemd (no NOTIFY_SOCKET) every call quietly does nothing.
public enum ServiceNotifier {
    /// Sends `state` lines (READY=1, STATUS=…, WATCHDOG=1, STOPPING=1 …). Returns false when
    /// there is no service manager to tell or sending failed.
    @discardableResult
    public static func notify(_ state: [String: String]) -> Bool {
        let text = state.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        return sd_notify(0, text) > 0
    }

    @discardableResult
    public static func ready(status: String) -> Bool { notify(["READY": "1", "STATUS": status]) }

    @discardableResult
    public static func status(_ line: String) -> Bool { notify(["STATUS": line]) }

    @discardableResult
    public static func stopping(status: String) -> Bool { notify(["STOPPING": "1", "STATUS": status]) }

    /// The watchdog interval systemd asked for (WATCHDOG_USEC for this very process), if any.
    public static var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}
