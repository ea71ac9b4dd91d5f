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

    /// RELOADING=1 with the MONOTONIC_USEC systemd requires beside it (Type=notify-reload).
    @discardableResult
    public static func reloading() -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return notify([
            "RELOADING": "1", "MONOTONIC_USEC": String(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000),
        ])
    }

    /// WATCHDOG=1, with a fresh status line.
    @discardableResult
    public static func watchdog(status: String) -> Bool { notify(["WATCHDOG": "1", "STATUS": status]) }

    @discardableResult
    public static func stopping(status: String) -> Bool { notify(["STOPPING": "1", "STATUS": status]) }

    /// Runs `body` (a start-up step that can take long, such as migrating a large database)
    /// while telling systemd every `interval` to wait `extra` more for READY=1
    /// (EXTEND_TIMEOUT_USEC, with `status`), so that TimeoutStartSec does not kill a start
    /// that is still working, and restart it into the same work again. The first extension
    /// goes out at once. Without a service manager, just runs `body`.
    public static func extendingStartTimeout<T>(
        by extra: Duration = .seconds(30), every interval: Duration = .seconds(10), status: String,
        _ body: () throws -> T
    ) rethrows -> T {
        guard ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil else { return try body() }
        let usec = extra.components.seconds * 1_000_000 + extra.components.attoseconds / 1_000_000_000_000
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let done = DispatchSemaphore(value: 0), ended = DispatchSemaphore(value: 0)
        let extender = Thread {
            repeat {
                notify(["EXTEND_TIMEOUT_USEC": String(usec), "STATUS": status])
            } while done.wait(timeout: .now() + seconds) == .timedOut
            ended.signal()
        }
        extender.name = "sd-extend-start"
        extender.start()
        defer {
            done.signal()
            ended.wait()  // no extension after `body`: READY=1 comes next
        }
        return try body()
    }

    /// The watchdog interval systemd asked for (WATCHDOG_USEC for this very process), if any.
    public static var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}
