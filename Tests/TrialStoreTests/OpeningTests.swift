import Foundation
import GRDB
import GRDBSQLite
import TrialDomain
import TrialMigrations
import TrialStore
import TrialTestSupport
import XCTest

/// Opening a database writes nothing to it before it has been found to be trialtrack's, of
/// a schema this build knows: a refused file keeps every byte.
final class OpeningTests: StoreTestCase {
    func sqlite3(_ sql: String, on file: String? = nil) throws -> ProgramResult {
        try runProgram("/usr/bin/sqlite3", [file ?? path, sql], timeout: 60)
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"),
            "needs the sqlite3 shell (apt-get install sqlite3; .ci/run installs it)")
        try append("HARMONi-2", .statusChanged, "2022-10", ["status": "recruiting"])
        try append(
            "HARMONi-6", .interimAnalysis, "2025-04",
            ["analysis": "first interim", "endpoints": ["PFS"], "outcome": "met"])
        try store.close()
        store = nil
    }

    /// The file's bytes, and its header's file change counter (offset 24) and schema cookie
    /// (offset 40), which any write moves.
    func fingerprint(_ file: String? = nil) throws -> (bytes: Data, changeCounter: UInt32, schemaCookie: UInt32) {
        let data = try Data(contentsOf: URL(fileURLWithPath: file ?? path))
        func word(_ at: Int) -> UInt32 { data[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        return (data, word(24), word(40))
    }

    func assertRefusedUnchanged(_ file: String? = nil, line: UInt = #line, _ check: (Error) -> Void) throws {
        let before = try fingerprint(file)
        var c = StoreConfiguration()
        c.clock = { [clock] in clock.next() }
        XCTAssertThrowsError(try EventStore(path: file ?? path, configuration: c), line: line) { error in
            check(error)
            XCTAssertFalse("\(error)".contains("\n"), line: line)
        }
        let after = try fingerprint(file)
        XCTAssertEqual(after.changeCounter, before.changeCounter, "file change counter", line: line)
        XCTAssertEqual(after.schemaCookie, before.schemaCookie, "schema cookie", line: line)
        XCTAssertTrue(after.bytes == before.bytes, "the refused file was written to", line: line)
        // Nothing waits in a write-ahead log to be copied into it later either.
        let wal = (try? FileManager.default.attributesOfItem(atPath: (file ?? path) + "-wal")[.size] as? Int) ?? 0
        XCTAssertEqual(wal, 0, "the refused file's write-ahead log holds frames", line: line)
    }

    func testADatabaseOfANewerTrialtrackIsRefusedUnchanged() throws {
        let r = try sqlite3(
            "INSERT INTO schema_migrations VALUES ('0099_future_feature', 'x', '2027-01-01T00:00:00Z');")
        XCTAssertEqual(r.status, 0, "\(r)")
        try assertRefusedUnchanged {
            XCTAssertEqual($0 as? StoreError, .newerDatabase(identifier: "0099_future_feature"))
        }
    }

    func testADatabaseWithAnEditedMigrationIsRefusedUnchanged() throws {
        let r = try sqlite3("UPDATE schema_migrations SET checksum = 'edited' WHERE identifier = '0002_timeline_rows';")
        XCTAssertEqual(r.status, 0, "\(r)")
        try assertRefusedUnchanged {
            XCTAssertEqual($0 as? StoreError, .migrationChanged(identifier: "0002_timeline_rows"))
        }
    }

    /// Another application's database is not migrated into a trialtrack one: refused, with
    /// every byte as it was.
    func testAnotherApplicationsDatabaseIsRefusedUnchanged() throws {
        let other = directory.appendingPathComponent("billing.db").path
        let made = try sqlite3(
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 99.5);",
            on: other)
        XCTAssertEqual(made.status, 0, "\(made)")
        try assertRefusedUnchanged(other) {
            XCTAssertEqual(
                "\($0)",
                "\(other) is not a trialtrack database (application_id 0x00000000, tables: invoices); give another --database"
            )
        }
        XCTAssertEqual(try sqlite3("SELECT name FROM sqlite_master ORDER BY 1;", on: other).out, "invoices\n")

        // Its own mark, or trialtrack's tables under another application's mark: refused too.
        XCTAssertEqual(try sqlite3("PRAGMA application_id = 1179403647;", on: other).status, 0)
        try assertRefusedUnchanged(other) {
            XCTAssertTrue(
                "\($0)".hasSuffix(
                    "is not a trialtrack database (application_id 0x464C457F, tables: invoices); give another --database"
                ), "\($0)")
        }
        XCTAssertEqual(try sqlite3("PRAGMA application_id = 1179403647;").status, 0)
        try assertRefusedUnchanged {
            XCTAssertTrue(
                "\($0)".contains(
                    "is not a trialtrack database (application_id 0x464C457F, tables: event_counts, events, expectations, follow_sync, follows, projection_backfill and"
                ), "\($0)")
        }
    }

    /// trialtrack's databases carry its mark, `PRAGMA application_id` 0x5452544B ("TRTK"):
    /// a new one from its first migration, an older one once migration 0005 has run.
    func testTrialtrackDatabasesAreMarked() throws {
        func applicationID(_ file: String) throws -> String {
            try sqlite3("PRAGMA application_id;", on: file).out.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        XCTAssertEqual(try applicationID(path), "\(0x5452_544B)")
        XCTAssertEqual(EventStore.applicationID, 0x5452_544B)

        let old = directory.appendingPathComponent("old.db").path
        try FileManager.default.copyItem(
            atPath: Repository.path("Tests/TrialStoreTests/Fixtures/schema-0001.db"), toPath: old)
        XCTAssertEqual(try applicationID(old), "0")
        try EventStore(path: old).close()
        XCTAssertEqual(try applicationID(old), "\(0x5452_544B)")
        XCTAssertEqual(
            try sqlite3("SELECT COUNT(*) FROM schema_migrations;", on: old).out, "\(embeddedMigrations.count)\n")

        // An empty file, or a database without tables, is trialtrack's to make.
        let empty = directory.appendingPathComponent("empty.db").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        try EventStore(path: empty).close()
        XCTAssertEqual(try applicationID(empty), "\(0x5452_544B)")
        let tableless = directory.appendingPathComponent("tableless.db").path
        XCTAssertEqual(try sqlite3("PRAGMA user_version = 1; VACUUM;", on: tableless).status, 0)
        try EventStore(path: tableless).close()
        XCTAssertEqual(try applicationID(tableless), "\(0x5452_544B)")
    }

    /// A damaged page of the log is found once the pool is open (the writer reads the log's
    /// head): by then nothing has been written either.
    func testADatabaseWithADamagedPageIsRefusedUnchanged() throws {
        let root = try sqlite3("SELECT rootpage FROM sqlite_master WHERE name = 'events';")
        let page = try XCTUnwrap(Int(root.out.trimmingCharacters(in: .whitespacesAndNewlines)), root.out)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64((page - 1) * 4096))
        try handle.write(contentsOf: Data([0x00]))  // the page's type: none
        try handle.close()
        try assertRefusedUnchanged {
            XCTAssertTrue("\($0)".contains("malformed"), "\($0)")
        }
    }

    /// An intact database opens and reopens without a write: no probe of GRDB's
    /// (`grdb_issue_102`), no migration, nothing in the write-ahead log.
    func testOpeningAnUpToDateDatabaseWritesNothing() throws {
        let before = try fingerprint()
        store = try open()
        XCTAssertEqual(try store.events(LogQuery()).count, 2)
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        XCTAssertLessThanOrEqual(wal, 32, "frames in the write-ahead log after an open")
        try store.close()
        store = nil
        let after = try fingerprint()
        XCTAssertEqual(after.schemaCookie, before.schemaCookie)
        XCTAssertTrue(after.bytes == before.bytes)
    }
}

/// A full disk: the store still opens its database and serves reads.
final class FullDiskTests: StoreTestCase {
    var mountPoint: URL?

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "needs root: mounts a small tmpfs to fill")
        try super.setUpWithError()
        try store.close()
        store = nil
        let point = directory.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: point, withIntermediateDirectories: true)
        let m = try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", point.path], timeout: 30)
        try XCTSkipUnless(m.status == 0, "needs root that may mount a tmpfs (CAP_SYS_ADMIN): \(m.out)")
        mountPoint = point
    }

    override func tearDownWithError() throws {
        try? store?.close()
        store = nil
        if let mountPoint { _ = try? runProgram("/bin/umount", ["-l", mountPoint.path], timeout: 30) }
        try super.tearDownWithError()
    }

    /// Writes until the file system has no block left.
    func fill(_ dir: URL) {
        let fd = Glibc.open(dir.appendingPathComponent("filler").path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        defer { Glibc.close(fd) }
        let block = [UInt8](repeating: 0xAA, count: 4096)
        while write(fd, block, block.count) > 0 {}
        while write(fd, block, 1) > 0 {}
    }

    /// The disk filled while another connection (a backup, an administrator's sqlite3 shell)
    /// held the database open, so its shared-memory index (-shm) is there, and trialsd was
    /// stopped cleanly (the write-ahead log emptied): trialsd starts again and serves reads.
    /// GRDB's pool used to write a table into the empty log on every open (`grdb_issue_102`)
    /// and failed with SQLITE_FULL.
    ///
    /// Evidence that no program can open the file once the last connection has gone: SQLite
    /// needs the 32 KiB -shm index of a WAL database and writes a byte into each of its
    /// pages to allocate them (unixShmMap), which a full disk refuses; the sqlite3 shell
    /// fails the same way (`disk I/O error (10)`, SQLITE_IOERR_SHMSIZE), read-only or not.
    /// The end of this test shows it.
    func testAStoreOpensAndReadsOnAFullDisk() throws {
        let dir = try XCTUnwrap(mountPoint)
        let file = dir.appendingPathComponent("trials.db").path
        var c = StoreConfiguration()
        c.clock = { [clock] in clock.next() }
        var store = try EventStore(path: file, configuration: c)
        _ = try store.append(
            try event("HARMONi-2", .statusChanged, "2022-10", ["status": "recruiting"]), recordedBy: "t")
        var holder: OpaquePointer?
        XCTAssertEqual(sqlite3_open_v2(file, &holder, SQLITE_OPEN_READWRITE, nil), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(holder, "SELECT COUNT(*) FROM events", nil, nil, nil), SQLITE_OK)
        try store.close()
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file + "-wal")[.size] as? Int, 0)
        fill(dir)

        store = try EventStore(path: file, configuration: c)
        XCTAssertEqual(try store.events(LogQuery()).map(\.trial), ["HARMONi-2"])
        XCTAssertEqual(try store.status("HARMONi-2")?.summary.status, .recruiting)
        try store.close()

        // The last connection gone, the index has to be made again: nothing can.
        sqlite3_close(holder)
        XCTAssertFalse(FileManager.default.fileExists(atPath: file + "-shm"))
        fill(dir)  // what the index and the log took is free again
        XCTAssertThrowsError(try EventStore(path: file, configuration: c)) { error in
            XCTAssertTrue("\(error)".contains("disk I/O error"), "\(error)")
        }
    }
}
