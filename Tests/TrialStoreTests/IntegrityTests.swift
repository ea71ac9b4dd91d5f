import Foundation
import GRDB
import TrialDomain
import TrialMigrations
import TrialStore
import TrialTestSupport
import XCTest

/// The database itself refuses changes to the log, and verify finds what gets past it.
final class TamperTests: StoreTestCase {
    /// Runs plain SQL on the file with the sqlite3 shell, as someone with file access would.
    /// Standard output and error together in `out`.
    func sqlite3(_ sql: String) throws -> ProgramResult {
        try runProgram("/usr/bin/sqlite3", [path, sql], timeout: 60)
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"),
            "needs the sqlite3 shell (apt-get install sqlite3; .ci/run installs it)")
        try append("HARMONi-2", .statusChanged, "2022-10", ["status": "recruiting"])
        try append("HARMONi-2", .interimAnalysis, "2024", Fixture.harmoni2Interim)
        try append(
            "HARMONi-6", .interimAnalysis, "2025-04",
            ["analysis": "first interim", "endpoints": ["PFS"], "outcome": "met"])
    }

    func testPlainUpdateAndDeleteAreRefusedByTheDatabase() throws {
        let before = try snapshot()
        let update = try sqlite3("UPDATE events SET payload = '{\"status\":\"completed\"}' WHERE seq = 1;")
        XCTAssertNotEqual(update.status, 0, "\(update)")
        XCTAssertTrue(update.out.contains("events are append-only: UPDATE is not allowed"), update.out)
        let delete = try sqlite3("DELETE FROM events WHERE seq = 3;")
        XCTAssertNotEqual(delete.status, 0, "\(delete)")
        XCTAssertTrue(delete.out.contains("events are append-only: DELETE is not allowed"), delete.out)
        let gap = try sqlite3(
            "INSERT INTO events SELECT seq + 10, event_id || 'x', trial, version + 10, type, occurred, recorded, recorded_by, source, payload, hash FROM events WHERE seq = 3;"
        )
        XCTAssertNotEqual(gap.status, 0, "\(gap)")
        XCTAssertTrue(gap.out.contains("gapless"), gap.out)
        XCTAssertEqual(try snapshot(), before)
        XCTAssertTrue(try store.verify().ok)
    }

    /// No conflict clause turns a uniqueness conflict on `events` into a delete: REPLACE's
    /// implicit delete fires no DELETE trigger (without `recursive_triggers`), so before
    /// migration 0006 an `INSERT OR REPLACE` of the next seq with the event id of seq 1
    /// deleted seq 1. Every clause, and every upsert, is refused or changes nothing, while
    /// the store is open; the log verifies.
    func testNoConflictClauseReplacesOrChangesAnEvent() throws {
        let before = try snapshot()
        // The next seq (4), HARMONi-2's next version (3), seq 1's event id (HARMONi-2's too)
        // or seq 3's (HARMONi-6's).
        func next(idOf seq: Int) -> String {
            "SELECT 4, event_id, 'HARMONi-2', 3, type, occurred, recorded, recorded_by, source, payload, hash FROM events WHERE seq = \(seq)"
        }
        let attacks = [
            "INSERT OR REPLACE INTO events \(next(idOf: 1));",
            "INSERT OR REPLACE INTO events \(next(idOf: 3));",
            "REPLACE INTO events \(next(idOf: 1));",
            "INSERT OR IGNORE INTO events \(next(idOf: 1));",
            "INSERT OR FAIL INTO events \(next(idOf: 1));",
            "INSERT OR ABORT INTO events \(next(idOf: 1));",
            "INSERT OR ROLLBACK INTO events \(next(idOf: 1));",
            "INSERT INTO events \(next(idOf: 1));",
            "INSERT INTO events \(next(idOf: 1)) ON CONFLICT (event_id) DO UPDATE SET payload = excluded.payload;",
            "INSERT INTO events \(next(idOf: 1)) ON CONFLICT (event_id) DO NOTHING;",
            "INSERT INTO events \(next(idOf: 1)) ON CONFLICT DO NOTHING;",
            // seq 2 again: a conflict on seq (and on HARMONi-2's version 2).
            "INSERT OR REPLACE INTO events SELECT seq, event_id || 'x', trial, version, type, occurred, recorded, recorded_by, source, '{}', hash FROM events WHERE seq = 2;",
            "INSERT INTO events SELECT seq, event_id || 'x', trial, version, type, occurred, recorded, recorded_by, source, '{}', hash FROM events WHERE seq = 2 ON CONFLICT (seq) DO UPDATE SET payload = excluded.payload;",
            "INSERT INTO events SELECT seq, event_id || 'x', trial, version, type, occurred, recorded, recorded_by, source, '{}', hash FROM events WHERE seq = 2 ON CONFLICT (seq) DO NOTHING;",
            "UPDATE OR REPLACE events SET event_id = (SELECT event_id FROM events WHERE seq = 1) WHERE seq = 3;",
            "UPDATE OR REPLACE events SET seq = 1 WHERE seq = 3;",
            "UPDATE OR IGNORE events SET payload = '{}' WHERE seq = 1;",
        ]
        for sql in attacks {
            let r = try sqlite3(sql)
            let ignoring = sql.contains("IGNORE") || sql.contains("DO NOTHING")
            if !ignoring {
                XCTAssertNotEqual(r.status, 0, "not refused: \(sql)")
                XCTAssertTrue(r.out.contains("events are"), "\(sql): \(r.out)")
            }
            // One change spoils the attacks after it: stop at the first.
            guard try snapshot() == before else { return XCTFail("the log changed: \(sql)") }
            XCTAssertTrue(try store.verify().ok, sql)
        }
        // The writer appends on as before.
        XCTAssertEqual(
            try append("HARMONi-2", .statusChanged, "2025-01", ["status": "active-not-recruiting"]).event.seq, 4)
        XCTAssertTrue(try store.verify().ok)
    }

    /// The gapless trigger fails a statement at its first gap (migration 0004: FAIL, not
    /// ABORT, so that the writer's inserts need no statement journal). A statement of several
    /// rows keeps those before it, each of which passed the check: the log stays gapless, and
    /// verify finds the forged row by its hash.
    func testAStatementOfSeveralRowsStopsAtItsFirstGapAndTheLogStaysGapless() throws {
        let triggerSQL = try store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'events_gapless'")
        }
        XCTAssertTrue(triggerSQL?.contains("RAISE(FAIL") == true, triggerSQL ?? "no trigger")
        // Row 1: the next seq (4) and HARMONi-6's next version (2); row 2: a gap (seq 6).
        let forged = try sqlite3(
            """
            INSERT INTO events SELECT seq + 1, event_id || 'x', trial, version + 1, type, occurred, recorded, recorded_by, source, payload, hash
              FROM events WHERE seq = 3
            UNION ALL SELECT seq + 4, event_id || 'y', trial, version + 2, type, occurred, recorded, recorded_by, source, payload, hash
              FROM events WHERE seq = 2;
            """)
        XCTAssertNotEqual(forged.status, 0, "\(forged)")
        XCTAssertTrue(forged.out.contains("gapless"), forged.out)
        let (seqs, gaps) = try store.pool.read { db in
            (
                try Int64.fetchAll(db, sql: "SELECT seq FROM events ORDER BY seq"),
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM (SELECT trial, MAX(version) AS v, COUNT(*) AS n FROM events GROUP BY trial) WHERE v != n"
                ) ?? -1
            )
        }
        XCTAssertEqual(seqs, [1, 2, 3, 4])
        XCTAssertEqual(gaps, 0, "every trial's versions are 1...n")
        let report = try store.verify()
        XCTAssertEqual(report.firstBroken, 4)
        XCTAssertTrue(report.problem?.contains("changed after it was written") == true, "\(report)")
    }

    func testVerifyFindsTheFirstChangedEventOnceTheTriggersAreGone() throws {
        let intact = try store.verify()
        XCTAssertNil(intact.problem)
        XCTAssertEqual(intact.checked, 3)
        XCTAssertEqual(intact.lastSeq, 3)
        XCTAssertEqual(intact.headHash.count, 64)

        let t = try sqlite3(
            "DROP TRIGGER events_no_update; UPDATE events SET payload = '{\"status\":\"completed\"}' WHERE seq = 1;")
        XCTAssertEqual(t.status, 0, "\(t)")
        let report = try store.verify()
        XCTAssertEqual(report.firstBroken, 1)
        XCTAssertTrue(report.problem?.contains("changed after it was written") == true, "\(report)")
    }

    func testVerifyFindsADeletedEventAndMissingTriggers() throws {
        let drop = try sqlite3("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 2;")
        XCTAssertEqual(drop.status, 0, "\(drop)")
        let report = try store.verify()
        XCTAssertEqual(report.firstBroken, 2)
        XCTAssertEqual(report.problem, "seq 2 is missing (the next event is seq 3)")
    }

    func testVerifyReportsMissingTriggersOnAnIntactChain() throws {
        let drop = try sqlite3("DROP TRIGGER events_no_update;")
        XCTAssertEqual(drop.status, 0, "\(drop)")
        let report = try store.verify()
        XCTAssertNil(report.firstBroken)
        XCTAssertEqual(report.problem, "append-only trigger events_no_update missing: the log is not protected")
    }
}

/// Every commit is synced before it is acknowledged: a power cut loses no appended event.
final class DurabilityTests: StoreTestCase {
    /// What the writer's connection runs: SQLite's own report, 2 being FULL.
    func writerSynchronous() throws -> Int? {
        try store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
    }

    /// GRDB's pool turns the writer to NORMAL (no sync at commit) when it enables WAL, after
    /// the configuration's own hook has run: the store must set FULL afterwards, and keep it
    /// across a rebuild (which runs NORMAL) and a reopen.
    func testTheWriterSyncsEveryCommit() throws {
        XCTAssertEqual(try writerSynchronous(), 2, "a fresh store commits with synchronous=FULL")
        try append("HARMONi-2", .statusChanged, "2022-10", ["status": "recruiting"])
        try store.rebuild()
        XCTAssertEqual(try writerSynchronous(), 2, "FULL again after a rebuild")
        try reopen()
        XCTAssertEqual(try writerSynchronous(), 2, "FULL on a store opened on an existing file")
        XCTAssertEqual(try store.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }, "wal")
    }

    /// Debian's SQLite shreds by default (SECURE_DELETE: freed pages zeroed and written again);
    /// the store deletes only projection rows, which the log keeps the source of, so every
    /// connection runs without it, a rebuild included.
    func testNoConnectionShredsWhatTheLogKeeps() throws {
        func writer() throws -> Int? {
            try store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA secure_delete") }
        }
        XCTAssertEqual(try writer(), 0)
        XCTAssertEqual(try store.pool.read { try Int.fetchOne($0, sql: "PRAGMA secure_delete") }, 0)
        try append("HARMONi-2", .statusChanged, "2022-10", ["status": "recruiting"])
        try store.rebuild()
        XCTAssertEqual(try writer(), 0, "still off after a rebuild")
    }
}

final class MigrationTests: StoreTestCase {
    func testTheMigrationsAreTheFilesInMigrations() throws {
        let folder = Repository.root.appendingPathComponent("Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }
            .sorted()
        XCTAssertEqual(embeddedMigrations.map { $0.identifier + ".sql" }, files)
        for m in embeddedMigrations {
            XCTAssertEqual(
                m.sql, try String(contentsOf: folder.appendingPathComponent(m.identifier + ".sql"), encoding: .utf8))
        }
        let applied = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT identifier, checksum FROM schema_migrations")
        }
        XCTAssertEqual(applied.map { $0[0] as String }, embeddedMigrations.map(\.identifier))
        XCTAssertTrue(applied.allSatisfy { ($0[1] as String).count == 64 })
    }

    func testAChangedMigrationIsRefusedNamingIt() throws {
        try append("HARMONi-2", .statusChanged, "2022", ["status": "recruiting"])
        try store.pool.write { db in
            try db.execute(sql: "UPDATE schema_migrations SET checksum = 'edited' WHERE identifier = '0001_event_log'")
        }
        try store.close()
        XCTAssertThrowsError(try open()) { error in
            XCTAssertEqual(error as? StoreError, .migrationChanged(identifier: "0001_event_log"))
            XCTAssertTrue("\(error)".hasPrefix("migration 0001_event_log was changed after it was applied"))
            XCTAssertFalse("\(error)".contains("\n"))
        }
        store = nil
    }

    func testADatabaseFromANewerVersionIsRefusedNamingTheMigration() throws {
        try store.pool.write { db in
            try db.execute(
                sql: "INSERT INTO schema_migrations VALUES ('0099_future_feature', 'x', '2027-01-01T00:00:00Z')")
        }
        try store.close()
        XCTAssertThrowsError(try open()) { error in
            XCTAssertEqual(error as? StoreError, .newerDatabase(identifier: "0099_future_feature"))
            XCTAssertEqual(
                "\(error)",
                "this database was written by a newer trialtrack (it has migration 0099_future_feature, unknown to this build)"
            )
        }
        store = nil
    }

    /// `Fixtures/schema-0001.db` was written by the build before migration 0002 (the demo data,
    /// a correction, a retraction and two late-recorded status changes), and
    /// `schema-0001-views.json` holds what that build answered to `trialctl status TRIAL --json`.
    func testA0001DatabaseMigratesWithItsTimelinesIntact() throws {
        try store.close()
        store = nil
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(
            atPath: Repository.path("Tests/TrialStoreTests/Fixtures/schema-0001.db"), toPath: path)
        store = try open()
        let applied = try store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM schema_migrations ORDER BY 1")
        }
        XCTAssertEqual(applied, embeddedMigrations.map(\.identifier))
        XCTAssertTrue(applied.contains("0002_timeline_rows"))

        let expected = try JSONValue.parse(
            String(
                contentsOfFile: Repository.path("Tests/TrialStoreTests/Fixtures/schema-0001-views.json"),
                encoding: .utf8))
        let trials = try XCTUnwrap(expected.objectValue)
        XCTAssertEqual(trials.count, 8)
        var corrected = 0
        for (key, answer) in trials {
            let view = try XCTUnwrap(try store.status(key), key)
            corrected += view.timeline.filter { $0.correctedBy != nil }.count
            let old = try XCTUnwrap(answer.objectValue?["trials"]?.arrayValue?.first, key)
            XCTAssertEqual(view.json.canonicalText, old.canonicalText, key)
        }
        XCTAssertEqual(corrected, 1, "the fixture's corrected interim analysis")

        // The migrated rows are the rows a rebuild writes, and the log is untouched.
        let migrated = try snapshot()
        XCTAssertTrue(try store.verify().ok)
        try store.rebuild()
        XCTAssertEqual(try snapshot(), migrated)
    }

    func testMigrationsApplyInOrderOnceEach() throws {
        let db = try DatabaseQueue(path: directory.appendingPathComponent("m.db").path)
        let first = [EmbeddedMigration(identifier: "0001_a", sql: "CREATE TABLE a (x INTEGER);")]
        XCTAssertEqual(try Migrator(migrations: first).migrate(db), ["0001_a"])
        let more =
            first + [
                EmbeddedMigration(identifier: "0002_b", sql: "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1);")
            ]
        XCTAssertEqual(try Migrator(migrations: more).migrate(db), ["0002_b"])
        XCTAssertEqual(try Migrator(migrations: more).migrate(db), [])
        XCTAssertEqual(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM a") }, 1)
        // A failing migration leaves nothing behind (one transaction each).
        let broken =
            more + [
                EmbeddedMigration(
                    identifier: "0003_c", sql: "CREATE TABLE c (z INTEGER); INSERT INTO nowhere VALUES (1);")
            ]
        XCTAssertThrowsError(try Migrator(migrations: broken).migrate(db))
        XCTAssertEqual(
            try db.read { try Bool.fetchOne($0, sql: "SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = 'c'") }, false
        )
    }
}
