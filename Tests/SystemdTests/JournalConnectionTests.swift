import Foundation
import Systemd
import TrialTestSupport
import XCTest

/// The journal's connected socket, against a datagram socket of the test's standing in for
/// journald's (JournalTests checks the entries a real journald stores).
final class JournalConnectionTests: XCTestCase {
    func testEntriesGoOutInTheNativeProtocol() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journald = try DatagramReceiver(path: dir.path("journal"))
        let connection = JournalConnection(path: journald.path)
        let fields = [("MESSAGE", "HARMONi-6: readout — met"), ("SOURCE", "line one\nline two"), ("EMPTY", "")]
        XCTAssertEqual(connection.send(Journal.nativeDatagram(fields)), .sent)
        // A value with a line break goes as KEY, newline, its length (64-bit little-endian), the value.
        let length = "\u{11}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}"
        XCTAssertEqual(
            journald.receive(timeout: 5),
            "MESSAGE=HARMONi-6: readout — met\nSOURCE\n\(length)line one\nline two\nEMPTY=\n")
    }

    func testARestartedJournaldGetsTheNextEntry() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var journald: DatagramReceiver? = try DatagramReceiver(path: dir.path("journal"))
        let connection = JournalConnection(path: dir.path("journal"), reconnectInterval: .seconds(3600))
        XCTAssertEqual(connection.send(Journal.nativeDatagram([("MESSAGE", "first")])), .sent)
        XCTAssertEqual(journald?.receive(timeout: 5), "MESSAGE=first\n")
        // journald stops and starts again: a new socket at the same path.
        journald = nil
        journald = try DatagramReceiver(path: dir.path("journal"))
        XCTAssertEqual(connection.send(Journal.nativeDatagram([("MESSAGE", "second")])), .sent)
        XCTAssertEqual(journald?.receive(timeout: 5), "MESSAGE=second\n")
    }

    /// With no journald, a send fails without trying to connect again until the interval is over.
    func testWithoutJournaldItTriesAgainOnlyAfterTheInterval() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let patient = JournalConnection(path: dir.path("journal"), reconnectInterval: .seconds(3600))
        let eager = JournalConnection(path: dir.path("journal"), reconnectInterval: .zero)
        XCTAssertEqual(patient.send(Journal.nativeDatagram([("MESSAGE", "lost")])), .failed)
        XCTAssertEqual(eager.send(Journal.nativeDatagram([("MESSAGE", "lost")])), .failed)
        let journald = try DatagramReceiver(path: dir.path("journal"))
        XCTAssertEqual(patient.send(Journal.nativeDatagram([("MESSAGE", "too soon")])), .failed)
        XCTAssertEqual(eager.send(Journal.nativeDatagram([("MESSAGE", "now")])), .sent)
        // The receiver's queue keeps arrival order: had the patient connection sent first,
        // its entry would come before this one.
        XCTAssertEqual(journald.receive(timeout: 5), "MESSAGE=now\n")
    }
}
