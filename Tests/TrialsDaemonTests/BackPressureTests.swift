import Foundation
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

/// A peer that pipelines calls without reading a reply (issue 29, point 3): 3,000,000
/// malformed frames took trialsd from 39 to 828 MB, refused and valid appends grew it too, and
/// other clients waited seconds meanwhile. Every kind of call is now held by one back-pressure:
/// reading stops while the peer leaves what was written unread, so the daemon's memory stays
/// bounded and everyone else is served.
final class BackPressureTests: XCTestCase {
    /// Sends `frame` over and over on a non-blocking socket, without reading, until `count`
    /// frames went out or the daemon stopped reading (no room to send for `heldFor` seconds).
    /// Returns how many frames went out.
    private func flood(_ fd: Int32, frame: [UInt8], count: Int, heldFor: Int32 = 2) -> Int {
        let batch = Array([[UInt8]](repeating: frame, count: max(1, 65_536 / frame.count)).joined())
        var sentBytes = 0
        let total = frame.count * count
        while sentBytes < total {
            let n = batch.withUnsafeBytes {
                send(fd, $0.baseAddress, min(batch.count, total - sentBytes), Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                sentBytes += n
                continue
            }
            guard n < 0, errno == EAGAIN || errno == EWOULDBLOCK else { break }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&p, 1, heldFor * 1000) == 0 { break }  // held: the daemon reads no more
        }
        return sentBytes / frame.count
    }

    private func rawClient(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard unixSocket(fd, .connect, path: path) == 0 else { throw POSIXError(.ECONNREFUSED) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    func testAPeerThatNeverReadsIsHeldAndCostsABoundedBuffer() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(directory: dir)
        try daemon.start()
        defer { _ = daemon.terminate() }
        let other = try daemon.connect()
        try other.register("HARMONi-2")
        _ = try other.trials("Stats")
        let baseline = daemon.residentKiB
        let kinds: [(name: String, frame: String, count: Int)] = [
            ("malformed frames", "x", 3_000_000),
            (
                "refused appends",
                #"{"method":"org.trialtrack.Trials.Append","parameters":{"event":{"trial":"HARMONi-2","type":"status-changed","occurred":"2024","payload":{"status":"paused"}}}}"#,
                500_000
            ),
            (
                "valid appends",
                #"{"method":"org.trialtrack.Trials.Append","parameters":{"event":{"trial":"HARMONi-2","type":"presented","occurred":"2024","payload":{"venue":"ASCO"}}}}"#,
                50_000
            ),
            ("status calls", #"{"method":"org.trialtrack.Trials.Status","parameters":{"trial":"HARMONi-2"}}"#, 500_000),
        ]
        for kind in kinds {
            let fd = try rawClient(daemon.socketPath)
            let sent = flood(fd, frame: Array(kind.frame.utf8) + [0], count: kind.count)
            let held = daemon.residentKiB
            // Everyone else is served while the flood is held.
            let started = Date()
            XCTAssertNotNil(try other.trials("Stats")["events"], kind.name)
            let waited = Date().timeIntervalSince(started)
            XCTAssertLessThan(
                held - baseline, 64 * 1024,
                "\(kind.name): \(sent) frames sent unread took trialsd from \(baseline) to \(held) KiB")
            XCTAssertLessThan(
                sent, kind.count, "\(kind.name): trialsd read all \(kind.count) frames without their replies being read"
            )
            XCTAssertLessThan(waited, 5, "\(kind.name): another client waited \(waited) s")
            close(fd)
        }
        // Gone: the daemon serves on, and its log is whole.
        XCTAssertEqual(try other.trials("Verify")["ok"], true)
        XCTAssertLessThan(daemon.residentKiB - baseline, 64 * 1024, "memory after the peers went")
    }
}
