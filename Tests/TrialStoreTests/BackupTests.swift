import Foundation
import GRDB
import TrialDomain
@testable import TrialStore
import TrialTestSupport
import XCTest

/// `EventStore.backup(to:)`: SQLite's online backup on a reader connection, verified, then
/// renamed into place.
final class BackupTests: StoreTestCase {
    func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    /// The log's rows, every column, the hash in hexadecimal, up to `seq`.
    func eventRows(_ store: EventStore, upTo seq: Int64 = .max) throws -> [String] {
        try store.pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT \(EventRows.columns.replacingOccurrences(of: "hash", with: "hex(hash)")) FROM events WHERE seq <= ? ORDER BY seq",
                arguments: [seq]
            )
            .map(\.description)
        }
    }

    /// The copy is taken while another thread keeps appending, one event (one commit, one
    /// fsync) after another. What it shows:
    /// - the copy verifies, and its head is one the log really had: its last seq lies between
    ///   the log's before and after the backup, and its events are the log's, byte for byte;
    /// - the writer is not held up: appends commit during the backup (each step of which
    ///   sleeps, to stand for a large database, while the backup's read transaction stays
    ///   open), and the longest append during it stays under 200 ms. In WAL mode a reader never
    ///   blocks the writer, so what an append waits for here is its own fsync and its share of
    ///   a loaded machine: 200 ms is eight times the longest append measured during a backup of
    ///   a 40 MB log on the shared 2-core build machine (24 ms; 7 ms here), and would still
    ///   catch a writer that waited for the backup, which holds its snapshot for the whole
    ///   copy (every step sleeps 5 ms: over 70 ms in all).
    func testABackupWhileAppendsGoOnIsConsistentAndNeverStallsTheWriter() throws {
        try fill(seed: 11, events: 3_000)
        try append(
            "BK-1", .registered, "2024-01-10",
            [
                "title": "A trial appended to during a backup",
                "identifiers": [["registry": "nct", "id": "NCT09999991"]], "phases": ["phase-3"],
            ])

        final class Appender: @unchecked Sendable {  // every field behind `lock`
            let lock = NSLock()
            var stop = false
            var appends: [(start: UInt64, end: UInt64)] = []
            var failure: String?
            /// Signalled at the 20th append (or a failure), and when the thread ends.
            let twenty = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        }
        let shared = Appender()
        let store = self.store!
        let events = try (1...5_000).map { i in
            try event("BK-1", .enrollmentUpdated, "2024-02-01", ["count": .int(Int64(i)), "type": "estimated"])
        }
        let thread = Thread {
            defer { shared.finished.signal() }
            for e in events {
                if shared.lock.withLock({ shared.stop }) { return }
                let start = DispatchTime.now().uptimeNanoseconds
                do {
                    try store.append(e, recordedBy: "appender")
                } catch {
                    shared.lock.withLock { shared.failure = "\(error)" }
                    shared.twenty.signal()
                    return
                }
                let end = DispatchTime.now().uptimeNanoseconds
                if shared.lock.withLock({
                    shared.appends.append((start, end)); return shared.appends.count == 20
                }) {
                    shared.twenty.signal()
                }
            }
            shared.twenty.signal()  // fewer than 20 in all: the assertions below say so
        }
        thread.start()
        shared.twenty.wait()

        let destination = directory.appendingPathComponent("copy.db").path
        let before = try store.lastSeq()
        let backupStart = DispatchTime.now().uptimeNanoseconds
        var stepsSeen = 0
        let report = try store.backup(to: destination, pagesPerStep: 16) { _ in
            stepsSeen += 1
            usleep(5_000)  // a slow step, the read transaction open all the while
        }
        let backupEnd = DispatchTime.now().uptimeNanoseconds
        let after = try store.lastSeq()
        shared.lock.withLock { shared.stop = true }
        shared.finished.wait()
        XCTAssertNil(shared.lock.withLock { shared.failure })

        // Appends that ran, wholly or in part, while the backup did.
        let during = shared.lock.withLock { shared.appends.filter { $0.end >= backupStart && $0.start <= backupEnd } }
        let longest = during.map { Double($0.end - $0.start) / 1e6 }.max() ?? 0
        let committedInside = during.filter { $0.start >= backupStart && $0.end <= backupEnd }.count
        let figures =
            "\(report.pages) pages in \(report.steps) steps, \(String(format: "%.3f", report.seconds)) s; \(during.count) appends during it, \(committedInside) wholly inside, the longest \(String(format: "%.1f", longest)) ms"
        XCTAssertGreaterThan(stepsSeen, 10, "the copy took many steps: \(figures)")
        XCTAssertGreaterThan(committedInside, 10, "appends committed while the backup held its snapshot: \(figures)")
        XCTAssertLessThan(longest, 200, "the writer waited on the backup: \(figures)")

        XCTAssertGreaterThanOrEqual(report.lastSeq, before)
        XCTAssertLessThanOrEqual(report.lastSeq, after)
        XCTAssertEqual(SafeFile.mode(destination), SafeFile.mode(path), "the copy is as private as the database")
        XCTAssertEqual(
            report.bytes, Int64(try FileManager.default.attributesOfItem(atPath: destination)[.size] as! Int))
        XCTAssertEqual(
            try files(), ["copy.db", "trials.db", "trials.db-shm", "trials.db-wal"],
            "no temporary file left, no -wal beside the copy")

        // The copy: the log's first events byte for byte, its chain intact, its projections
        // those of its log.
        let original = try eventRows(store, upTo: report.lastSeq)
        let copy = try EventStore(path: destination)
        defer { try? copy.close() }
        XCTAssertEqual(try eventRows(copy), original)
        let verified = try copy.verify()
        XCTAssertTrue(verified.ok, verified.problem ?? "")
        XCTAssertEqual(verified.lastSeq, report.lastSeq)
        XCTAssertEqual(verified.headHash, report.headHash)
        let kept = try snapshot(of: copy, projectionsOnly: true)
        try copy.rebuild()
        XCTAssertEqual(
            try snapshot(of: copy, projectionsOnly: true), kept, "the copy's projections equal a rebuild of its log")
    }

    func testABackupOfAQuietLogEqualsIt() throws {
        let last = try fill(seed: 3, events: 400)
        let destination = directory.appendingPathComponent("quiet.db").path
        let report = try store.backup(to: destination)
        XCTAssertEqual(report.lastSeq, last)
        XCTAssertEqual(report.headHash, try store.verify().headHash)
        XCTAssertEqual(report.steps, 1, "1024 pages a step: a small database in one")
        let copy = try EventStore(path: destination)
        defer { try? copy.close() }
        XCTAssertEqual(try eventRows(copy), try eventRows(store))
        XCTAssertEqual(try snapshot(of: copy, projectionsOnly: true), try snapshot(of: store, projectionsOnly: true))
    }

    func assertRefused(
        _ destination: String, overwrite: Bool = false, file: StaticString = #filePath, line: UInt = #line,
        _ check: (BackupError) -> Bool
    ) throws {
        let before = try files()
        XCTAssertThrowsError(try store.backup(to: destination, overwrite: overwrite), file: file, line: line) { error in
            guard let e = error as? BackupError else {
                return XCTFail("not a BackupError: \(error)", file: file, line: line)
            }
            XCTAssertTrue(check(e), "unexpected: \(e)", file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
            XCTAssertTrue(
                e.description.contains(SafeFile.absolute(destination)), "names the path: \(e)", file: file, line: line)
        }
        XCTAssertEqual(try files(), before, "nothing written", file: file, line: line)
    }

    func testRefusals() throws {
        try fill(seed: 5, events: 200)
        // An existing destination, unless asked to overwrite it.
        let existing = directory.appendingPathComponent("old.db").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: existing))
        try assertRefused(existing) {
            if case .destinationExists = $0 { return true }; return false
        }
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "keep me")
        let e = BackupError.destinationExists(path: existing).description
        XCTAssertTrue(e.contains("remove it") && e.contains("overwrite"), e)
        let report = try store.backup(to: existing, overwrite: true)
        XCTAssertEqual(report.lastSeq, try store.lastSeq())
        XCTAssertEqual(try files(), ["old.db", "trials.db", "trials.db-shm", "trials.db-wal"])

        // A directory that does not exist; a directory; the live database, however spelt.
        try assertRefused(directory.appendingPathComponent("no/such/dir/copy.db").path) {
            if case .noDirectory(_, let d) = $0 { return d.hasSuffix("no/such/dir") }; return false
        }
        try assertRefused(directory.path) {
            if case .destinationIsDirectory = $0 { return true }; return false
        }
        for live in [
            path, directory.path + "/./trials.db", directory.path + "/../" + directory.lastPathComponent + "/trials.db",
        ] {
            try assertRefused(live, overwrite: true) {
                if case .liveDatabase = $0 { return true }; return false
            }
        }
        try assertRefused(path + "-wal", overwrite: true) {
            if case .liveDatabase = $0 { return true }; return false
        }
        // Relative to the working directory.
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        try assertRefused("trials.db", overwrite: true) {
            if case .liveDatabase = $0 { return true }; return false
        }
    }

    /// A backup that fails halfway (here its progress callback throws at the third step)
    /// leaves nothing: no file at the destination, no temporary beside it, and an existing
    /// destination it was to replace as it was.
    func testAFailedBackupLeavesNothing() throws {
        try fill(seed: 6, events: 1_500)
        struct Stop: Error {}
        let before = try files()
        let destination = directory.appendingPathComponent("copy.db").path
        var steps = 0
        XCTAssertThrowsError(
            try store.backup(to: destination, pagesPerStep: 4) { _ in
                steps += 1
                if steps == 3 { throw Stop() }
            }
        ) { error in
            XCTAssertTrue(error is BackupError, "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
        XCTAssertEqual(steps, 3)
        XCTAssertEqual(try files(), before)

        try Data("the old copy".utf8).write(to: URL(fileURLWithPath: destination))
        steps = 0
        XCTAssertThrowsError(
            try store.backup(to: destination, overwrite: true, pagesPerStep: 4) { _ in
                steps += 1
                if steps == 3 { throw Stop() }
            })
        XCTAssertEqual(try String(contentsOfFile: destination, encoding: .utf8), "the old copy")
        XCTAssertEqual(try files(), (before + ["copy.db"]).sorted())
        // The store is unharmed and serves on.
        XCTAssertTrue(try store.verify().ok)
        try append(
            "BK-2", .registered, "2024-01-10",
            [
                "title": "After a failed backup", "identifiers": [["registry": "nct", "id": "NCT09999992"]],
                "phases": ["phase-2"],
            ])
    }
}
