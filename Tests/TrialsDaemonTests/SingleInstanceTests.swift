import Foundation
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

/// One trialsd per database and per socket (issue 26 point 4, issue 29 point 7): a second one
/// is refused at start, naming what is taken and by which process, and the first is unharmed.
final class SingleInstanceTests: XCTestCase {
    /// The refused daemon's exit status and standard error.
    private func refused(_ daemon: DaemonProcess, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        var err = ""
        XCTAssertThrowsError(try daemon.start(), "a second trialsd started", file: file, line: line) { error in
            err = (error as? DaemonProcess.StartFailure)?.standardError ?? "\(error)"
        }
        XCTAssertNotEqual(daemon.process.terminationStatus, 0, file: file, line: line)
        return err
    }

    func testASecondDaemonOnTheSameDatabaseIsRefusedAndTheFirstServesOn() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = try DaemonProcess(directory: dir)
        try first.start()
        defer { _ = first.terminate() }
        try first.connect().trials(
            "Append", ["event": event("NCT00973089", "registered", "2009", ["title": "A trial"])])

        // The same database through another socket: both would have served one log.
        let second = try DaemonProcess(directory: dir, socket: "other")
        let err = try refused(second)
        XCTAssertEqual(
            err,
            "trialsd: already running on \(first.database) (pid \(first.process.processIdentifier)); stop it first, or give another --database\n"
        )
        XCTAssertFalse(FileManager.default.fileExists(atPath: second.socketPath), "the refused daemon bound its socket")

        let c = try first.connect()
        try c.trials("Append", ["event": event("NCT00973089", "presented", "2010", ["venue": "ASCO"])])
        XCTAssertEqual(try c.trials("Stats")["events"], 2, "the first daemon still appends")
        XCTAssertEqual(try c.trials("Verify")["ok"], true)
    }

    func testASecondDaemonOnTheSameSocketDoesNotTakeItOver() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = try DaemonProcess(directory: dir)
        try first.start()
        defer { _ = first.terminate() }
        var before = stat()
        XCTAssertEqual(stat(first.socketPath, &before), 0)

        // Another database, the same socket path: it used to unlink the socket and bind its own.
        let second = try DaemonProcess(directory: dir, database: "other.db")
        let err = try refused(second)
        XCTAssertEqual(
            err,
            "trialsd: already running on \(first.socketPath) (pid \(first.process.processIdentifier)): another daemon answers there; stop it first, or give another --socket\n"
        )
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: second.database), "the refused daemon touched its database")
        var after = stat()
        XCTAssertEqual(stat(first.socketPath, &after), 0)
        XCTAssertEqual(after.st_ino, before.st_ino, "the socket file was replaced")
        XCTAssertEqual(try first.connect().trials("Stats")["events"], 0, "the first daemon is still reachable")
        XCTAssertEqual(first.terminate(), 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: first.socketPath), "a clean stop removes its socket")
    }

    /// A daemon killed with -9 leaves its socket file; nobody answers there, so the next start
    /// takes the path (and the database lock died with the process).
    func testAStaleSocketAndLockAfterKill9DoNotStopTheNextStart() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = try DaemonProcess(directory: dir)
        try first.start()
        first.kill9()
        XCTAssertTrue(FileManager.default.fileExists(atPath: first.socketPath), "kill -9 leaves the socket file")
        let next = try DaemonProcess(directory: dir)
        try next.start()
        XCTAssertEqual(try next.connect().trials("Stats")["events"], 0)
        XCTAssertEqual(next.terminate(), 0)
    }

    /// A path that is not a socket is not removed; a socket path under a file, or a database
    /// whose directory cannot be made, is one line naming the path (issue 29 point 11).
    func testPathsThatCannotBeUsedAreOneLineErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = FileManager.default.createFile(atPath: dir.path("plain"), contents: Data("keep".utf8))
        let cases: [(database: String, socket: String, error: String)] = [
            (
                "a.db", "plain",
                "trialsd: \(dir.path("plain")) exists and is not a socket; remove it or give another --socket\n"
            ),
            (
                "a.db", "plain/control",
                "trialsd: cannot use \(dir.path("plain")) for the socket: it is not a directory; give another --socket PATH\n"
            ),
            (
                "plain/trials.db", "control",
                "trialsd: cannot use \(dir.path("plain")) for the database: it is not a directory; give another --database PATH\n"
            ),
            (
                "a.db", "plain/sub/control",
                "trialsd: cannot create \(dir.path("plain/sub")) for the socket: \(dir.path("plain")) is a file, not a directory; give another --socket PATH\n"
            ),
        ]
        for c in cases {
            let daemon = try DaemonProcess(directory: dir, database: c.database, socket: c.socket)
            XCTAssertEqual(try refused(daemon), c.error, "\(c)")
        }
        XCTAssertEqual(try String(contentsOfFile: dir.path("plain"), encoding: .utf8), "keep")
    }
}
