import Foundation
import Systemd
import TrialTestSupport
import XCTest

/// sd_notify through ServiceNotifier, against a NOTIFY_SOCKET of the test's, and listen fds
/// without a service manager.
final class NotifyTests: XCTestCase {
    /// Runs `body` with NOTIFY_SOCKET set to a receiver of the test's, then restores it.
    private func withNotifySocket(_ body: (DatagramReceiver) throws -> Void) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let receiver = try DatagramReceiver(path: dir.path("notify"))
        let saved = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        setenv("NOTIFY_SOCKET", receiver.path, 1)
        defer { if let saved { setenv("NOTIFY_SOCKET", saved, 1) } else { unsetenv("NOTIFY_SOCKET") } }
        try body(receiver)
    }

    func testStatesGoOutAsSortedLines() throws {
        try withNotifySocket { manager in
            XCTAssertTrue(ServiceNotifier.ready(status: "serving 3 trials"))
            XCTAssertEqual(manager.receive(timeout: 5), "READY=1\nSTATUS=serving 3 trials")
            XCTAssertTrue(ServiceNotifier.watchdog(status: "ok"))
            XCTAssertEqual(manager.receive(timeout: 5), "STATUS=ok\nWATCHDOG=1")
            XCTAssertTrue(ServiceNotifier.stopping(status: "bye"))
            XCTAssertEqual(manager.receive(timeout: 5), "STATUS=bye\nSTOPPING=1")
        }
    }

    func testReloadingCarriesTheMonotonicClock() throws {
        try withNotifySocket { manager in
            XCTAssertTrue(ServiceNotifier.reloading())
            let lines = try XCTUnwrap(manager.receive(timeout: 5)).split(separator: "\n")
            XCTAssertEqual(lines.count, 2)
            XCTAssertEqual(lines.last, "RELOADING=1")
            let usec = try XCTUnwrap(
                lines.first.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? Int64($0.dropFirst(15)) : nil })
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            XCTAssertLessThanOrEqual(usec, Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)
            XCTAssertGreaterThan(usec, 0)
        }
    }

    func testWithoutAServiceManagerNothingIsSent() {
        let saved = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        unsetenv("NOTIFY_SOCKET")
        defer { if let saved { setenv("NOTIFY_SOCKET", saved, 1) } }
        XCTAssertFalse(ServiceNotifier.ready(status: "alone"))
        XCTAssertEqual(ServiceNotifier.extendingStartTimeout(status: "migrating") { 42 }, 42)
    }

    func testNoListenFDsWithoutSocketActivation() {
        guard getenv("LISTEN_FDS") == nil else { return }
        XCTAssertTrue(ListenFDs.take().isEmpty)
        XCTAssertNil(ListenFDs.socket(named: "control"))
    }
}
