import Foundation
import GRDB
import TrialDomain
import TrialMigrations
import TrialStore
import TrialTestSupport
import XCTest

/// What trialctl sync follows and how far it got (issue 28, migration 0007): written by the
/// store's writer with who and when, the audit trail kept by the database.
final class FollowTests: StoreTestCase {
    let alice = "alice (uid 1000)", bob = "bob (uid 1001)", carol = "carol (uid 1002)", sync = "trialsync (uid 990)"
    let ivonescimab = FollowTarget.query("AREA[InterventionName]ivonescimab")

    func time(_ text: String) throws -> Timestamp { try Timestamp(parsing: text) }

    func rowCount(_ table: String) throws -> Int {
        try store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
    }

    /// Asserts the call is refused as `AppendError.invalid` with a one-line message containing
    /// each of `fragments`, and that neither follows table changed.
    func assertInvalid(_ fragments: String..., line: UInt = #line, _ call: () throws -> Any) throws {
        let before = try store.follows(includeRemoved: true)
        let syncRows = try rowCount("follow_sync")
        XCTAssertThrowsError(try call(), line: line) { error in
            guard case .invalid = error as? AppendError else {
                return XCTFail("not AppendError.invalid: \(error)", line: line)
            }
            for words in fragments {
                XCTAssertTrue("\(error)".contains(words), "\(words) not in: \(error)", line: line)
            }
            XCTAssertFalse("\(error)".contains("\n"), "\(error)", line: line)
        }
        XCTAssertEqual(try store.follows(includeRemoved: true), before, "follows changed", line: line)
        XCTAssertEqual(try rowCount("follow_sync"), syncRows, "follow_sync changed", line: line)
    }

    func testFollowUnfollowAndFollowAgainRecordWhoAndWhen() throws {
        let t1 = try time("2026-12-01T08:00:00Z"), t2 = try time("2026-12-02T09:30:00Z"),
            t3 = try time("2026-12-03T10:45:00.25Z")
        let made = try store.follow([.trial("nct05499390"), ivonescimab], by: alice, at: t1)
        XCTAssertEqual(made.map(\.alreadyFollowed), [false, false])
        let trial = made[0].follow, query = made[1].follow
        XCTAssertEqual(trial.target, .trial("NCT05499390"), "normalised to upper case")
        XCTAssertEqual(query.target, ivonescimab)
        for f in [trial, query] {
            XCTAssertEqual(f.addedAt, t1)
            XCTAssertEqual(f.addedBy, alice)
            XCTAssertNil(f.removedAt)
            XCTAssertNil(f.sync)
            XCTAssertTrue(f.isActive)
        }
        XCTAssertNotEqual(trial.id, query.id)
        XCTAssertEqual(try store.follows(), [trial, query])

        // Unfollow: the row stays, with who and when; a target never followed says false.
        let ended = try store.unfollow([.trial("NCT05499390"), .trial("NCT00000001")], by: bob, at: t2)
        XCTAssertEqual(ended, [.trial("NCT05499390"): true, .trial("NCT00000001"): false])
        XCTAssertEqual(try store.follows(), [query])
        var removed = trial
        removed.removedAt = t2
        removed.removedBy = bob
        XCTAssertEqual(try store.follows(includeRemoved: true), [removed, query])
        XCTAssertEqual(try store.unfollow([.trial("NCT05499390")], by: bob, at: t3), [.trial("NCT05499390"): false])

        // Following it again makes a new row; the old one keeps its history.
        let again = try store.follow([.trial("NCT05499390")], by: carol, at: t3)
        XCTAssertEqual(again.count, 1)
        XCTAssertFalse(again[0].alreadyFollowed)
        XCTAssertGreaterThan(again[0].follow.id, query.id)
        XCTAssertEqual(again[0].follow.addedBy, carol)
        XCTAssertEqual(again[0].follow.addedAt, t3)
        XCTAssertEqual(try store.follows(), [query, again[0].follow])
        XCTAssertEqual(try store.follows(includeRemoved: true), [removed, query, again[0].follow])

        // Stored as the log stores its times and writers; kept across a reopen and a rebuild.
        let stored = try store.pool.read {
            try Row.fetchOne(
                $0, sql: "SELECT kind, target, added_at, added_by, removed_at, removed_by FROM follows WHERE id = ?",
                arguments: [trial.id])
        }
        XCTAssertEqual(stored?["kind"], "trial")
        XCTAssertEqual(stored?["target"], "NCT05499390")
        XCTAssertEqual(stored?["added_at"], "2026-12-01T08:00:00.000000Z")
        XCTAssertEqual(stored?["removed_at"], "2026-12-02T09:30:00.000000Z")
        XCTAssertEqual(stored?["removed_by"], bob)
        let all = try store.follows(includeRemoved: true)
        try reopen()
        XCTAssertEqual(try store.follows(includeRemoved: true), all)
        try append("HARMONi-2", .statusChanged, "2022-10", ["status": "recruiting"])
        try store.rebuild()
        XCTAssertEqual(try store.follows(includeRemoved: true), all)
        XCTAssertTrue(try store.verify().ok)
    }

    func testFollowingWhatIsFollowedReturnsTheExistingRow() throws {
        let first = try store.follow([.trial("NCT05499390")], by: alice, at: try time("2026-12-01T08:00:00Z"))
        // Another case, another writer, the same target twice in one call: one row.
        let again = try store.follow(
            [.trial(" nct05499390 "), ivonescimab, .query("  AREA[InterventionName]ivonescimab\t")], by: bob)
        XCTAssertEqual(again.map(\.alreadyFollowed), [true, false, true])
        XCTAssertEqual(again[0].follow, first[0].follow, "the existing row, as alice made it")
        XCTAssertEqual(again[2].follow, again[1].follow)
        XCTAssertEqual(again[1].follow.addedAt, clock.peek(), "at the store's clock when not given")
        XCTAssertEqual(try store.follows().count, 2)
        XCTAssertEqual(try rowCount("follows"), 2)
        // A query is followed as written: another case is another search.
        XCTAssertFalse(try store.follow([.query("AREA[InterventionName]IVONESCIMAB")], by: bob)[0].alreadyFollowed)
        // Unfollowing one target twice in a call: it was followed.
        XCTAssertEqual(try store.unfollow([ivonescimab, ivonescimab], by: bob), [ivonescimab: true])
    }

    func testASuccessfulSyncMovesTheWatermarkAndAFailureKeepsIt() throws {
        let made = try store.follow([.trial("NCT05499390"), ivonescimab, .trial("NCT04280705")], by: alice)
        let ids = made.map(\.follow.id)
        XCTAssertEqual(try store.stats().activeFollows, 3)
        XCTAssertNil(try store.stats().oldestFollowSuccess)
        XCTAssertEqual(try store.stats().followsNeverSynced, 3)

        let t1 = try time("2026-12-05T06:00:00Z"), t2 = try time("2026-12-06T06:00:00Z"),
            t3 = try time("2026-12-07T06:00:00Z")
        let day1 = try XCTUnwrap(Day("2026-12-04")), day3 = try XCTUnwrap(Day("2026-12-06"))
        let ok = try store.recordSyncSuccess(
            followIDs: [ids[0], ids[1]], watermark: day1, studiesChecked: 12, eventsRecorded: 3, by: sync, at: t1)
        XCTAssertEqual(ok.map(\.id), [ids[0], ids[1]])
        let afterSuccess = FollowSyncState(
            watermark: day1, lastSuccessAt: t1, lastAttemptAt: t1, lastError: nil, lastErrorAt: nil, lastSyncedBy: sync,
            studiesChecked: 12, eventsRecorded: 3)
        XCTAssertEqual(ok.map(\.sync), [afterSuccess, afterSuccess])
        XCTAssertFalse(afterSuccess.isFailing)
        XCTAssertNil(try store.follows()[2].sync)

        // A failure: the reason in one line, the watermark and the last success as they were.
        let failed = try store.recordSyncFailure(
            followIDs: [ids[0], ids[2]], error: "HTTP 503 from clinicaltrials.gov\n  retry after 120 s\u{0}", by: bob,
            at: t2)
        var afterFailure = afterSuccess
        afterFailure.lastAttemptAt = t2
        afterFailure.lastError = "HTTP 503 from clinicaltrials.gov retry after 120 s"
        afterFailure.lastErrorAt = t2
        afterFailure.lastSyncedBy = bob
        XCTAssertEqual(failed[0].sync, afterFailure)
        XCTAssertTrue(afterFailure.isFailing)
        XCTAssertEqual(
            failed[1].sync,
            FollowSyncState(
                watermark: nil, lastSuccessAt: nil, lastAttemptAt: t2, lastError: afterFailure.lastError,
                lastErrorAt: t2,
                lastSyncedBy: bob, studiesChecked: nil, eventsRecorded: nil))
        XCTAssertEqual(try store.follows()[1].sync, afterSuccess, "not in the failed sync")
        let stats = try store.stats()
        XCTAssertEqual(stats.activeFollows, 3)
        XCTAssertEqual(stats.oldestFollowSuccess, t1)
        XCTAssertEqual(stats.followsNeverSynced, 1)

        // A later success moves the watermark; the failure stays as history.
        let again = try store.recordSyncSuccess(
            followIDs: [ids[0]], watermark: day3, studiesChecked: 40, eventsRecorded: 0, by: sync, at: t3)
        let latest = try XCTUnwrap(again.first?.sync)
        XCTAssertEqual(latest.watermark, day3)
        XCTAssertEqual(latest.lastSuccessAt, t3)
        XCTAssertEqual(latest.lastAttemptAt, t3)
        XCTAssertEqual(latest.studiesChecked, 40)
        XCTAssertEqual(latest.eventsRecorded, 0)
        XCTAssertEqual(latest.lastSyncedBy, sync)
        XCTAssertEqual(latest.lastError, afterFailure.lastError)
        XCTAssertEqual(latest.lastErrorAt, t2)
        XCTAssertFalse(latest.isFailing)
        XCTAssertEqual(
            try store.pool.read {
                try String.fetchOne(
                    $0, sql: "SELECT watermark FROM follow_sync WHERE follow_id = ?", arguments: [ids[0]])
            }, "2026-12-06")
        XCTAssertEqual(try store.stats().oldestFollowSuccess, t1, "follow \(ids[1]) last succeeded at t1")

        // Unfollowed follows leave the figures; what they had stays on their rows.
        try store.unfollow([ivonescimab], by: alice)
        XCTAssertEqual(try store.stats().oldestFollowSuccess, t3)
        XCTAssertEqual(try store.stats().activeFollows, 2)
        XCTAssertEqual(try store.follows(includeRemoved: true).first { $0.id == ids[1] }?.sync, afterSuccess)

        // Refused, with nothing written: an unknown id (even beside known ones), negative figures, no reason, no writer.
        try assertInvalid("followIDs[1]: no follow has id 999") {
            try self.store.recordSyncSuccess(
                followIDs: [ids[0], 999], watermark: day3, studiesChecked: 1, eventsRecorded: 1, by: self.sync)
        }
        try assertInvalid("no follow has id 999") {
            try self.store.recordSyncFailure(followIDs: [999], error: "timeout", by: self.sync)
        }
        try assertInvalid("studiesChecked: must not be negative") {
            try self.store.recordSyncSuccess(
                followIDs: [ids[0]], watermark: day3, studiesChecked: -1, eventsRecorded: 1, by: self.sync)
        }
        try assertInvalid("error: a failed sync needs its reason") {
            try self.store.recordSyncFailure(followIDs: [ids[0]], error: " \n\t", by: self.sync)
        }
        try assertInvalid("by: who records it must be given") {
            try self.store.recordSyncFailure(followIDs: [ids[0]], error: "timeout", by: "")
        }

        // A reason past 1000 characters is cut.
        let long = try store.recordSyncFailure(
            followIDs: [ids[0]], error: String(repeating: "x", count: 5000), by: sync)
        XCTAssertEqual(long[0].sync?.lastError?.count, 1000)
        XCTAssertEqual(long[0].sync?.lastError?.last, "…")
        XCTAssertEqual(long[0].sync?.watermark, day3)
    }

    func testInvalidTargetsAreRefused() throws {
        try store.follow([ivonescimab], by: alice)
        let refused: [(FollowTarget, String)] = [
            (
                .trial("NCT0549939"),
                "'NCT0549939' is not an NCT number; a followed trial is NCT followed by 8 digits, e.g. NCT05499390"
            ),
            (.trial("NCT054993901"), "is not an NCT number"),
            (.trial("HARMONi-2"), "'HARMONi-2' is not an NCT number"),
            (.trial("NCT 05499390"), "is not an NCT number"),
            (.trial("NCT0549939x"), "is not an NCT number"),
            (.trial("NCT05499390\nNCT00000001"), "'NCT05499390?NCT00000001' is not an NCT number"),
            (.trial(""), "is not an NCT number"),
            (.query(""), "a followed query must not be empty"),
            (.query(" \t "), "a followed query must not be empty"),
            (
                .query(String(repeating: "a", count: 1001)),
                "a followed query must be at most 1000 characters (this one has 1001)"
            ),
            (.query("AREA[Condition]cancer\nAND ivonescimab"), "must not contain control characters (it has U+000A)"),
            (.query("cancer\u{7F}"), "must not contain control characters (it has U+007F)"),
            (.query("cancer\u{0}"), "must not contain control characters (it has U+0000)"),
        ]
        for (target, words) in refused {
            try assertInvalid("invalid event: targets[1].target: ", words) {
                try self.store.follow([.trial("NCT05499390"), target], by: self.alice)
            }
            try assertInvalid("invalid event: targets[0].target: ", words) {
                try self.store.unfollow([target], by: self.alice)
            }
        }
        try assertInvalid("invalid event: by: who records it must be given") {
            try self.store.follow([.trial("NCT05499390")], by: " ")
        }
        try assertInvalid("by: who records it must be one line") {
            try self.store.follow([.trial("NCT05499390")], by: "alice\nbob")
        }
        XCTAssertEqual(try store.follows().map(\.target), [ivonescimab])

        // The limits themselves are accepted.
        let longest = FollowTarget.query(String(repeating: "é", count: 1000))
        XCTAssertEqual(try store.follow([longest], by: alice)[0].follow.target, longest)
        XCTAssertThrowsError(try FollowTarget(kind: "sponsor", target: "x")) {
            XCTAssertEqual("\($0)", "kind: 'sponsor' is not a kind of follow; use trial or query")
        }
        XCTAssertEqual(try FollowTarget(kind: "trial", target: "nct05499390"), .trial("NCT05499390"))
    }

    /// The audit trail is the database's to keep, whoever writes to the file: no row deleted,
    /// nothing but one unfollow changed; one active follow per target.
    func testTheDatabaseKeepsTheAuditTrail() throws {
        let made = try store.follow([.trial("NCT05499390"), ivonescimab], by: alice)
        try store.unfollow([ivonescimab], by: bob)
        let active = made[0].follow.id, removed = made[1].follow.id
        let before = try store.follows(includeRemoved: true)
        let refusals: [(String, String)] = [
            ("DELETE FROM follows WHERE id = \(active)", "DELETE is not allowed"),
            (
                "UPDATE follows SET added_by = 'mallory' WHERE id = \(active)",
                "only an active follow's removed_at and removed_by may be set"
            ),
            ("UPDATE follows SET target = 'NCT00000001' WHERE id = \(active)", "only an active follow's"),
            (
                "UPDATE follows SET removed_at = NULL, removed_by = NULL WHERE id = \(removed)",
                "only an active follow's"
            ),
            (
                "UPDATE follows SET removed_at = '2026-12-01T00:00:00.000000Z' WHERE id = \(active)",
                "CHECK constraint failed"
            ),
            (
                "INSERT INTO follows (kind, target, added_at, added_by) VALUES ('trial', 'NCT05499390', 'x', 'y')",
                "UNIQUE constraint failed"
            ),
            (
                "INSERT INTO follows (kind, target, added_at, added_by) VALUES ('trial', 'nct05499391', 'x', 'y')",
                "CHECK constraint failed"
            ),
            (
                "INSERT INTO follows (kind, target, added_at, added_by) VALUES ('sponsor', 'x', 'x', 'y')",
                "CHECK constraint failed"
            ),
            (
                "INSERT INTO follow_sync (follow_id, last_attempt_at, last_synced_by, last_error, last_error_at) VALUES (999, 'x', 'y', 'e', 'x')",
                "FOREIGN KEY constraint failed"
            ),
            (
                "INSERT INTO follow_sync (follow_id, watermark, last_success_at, last_attempt_at, last_synced_by, studies_checked, events_recorded) VALUES (\(active), '2026-12', 'x', 'x', 'y', 0, 0)",
                "CHECK constraint failed"
            ),
        ]
        for (sql, words) in refusals {
            XCTAssertThrowsError(try store.pool.write { try $0.execute(sql: sql) }, sql) { error in
                XCTAssertTrue("\(error)".contains(words), "\(sql): \(error)")
            }
        }
        XCTAssertEqual(try store.follows(includeRemoved: true), before)
        // The active one may still be unfollowed, once.
        XCTAssertEqual(try store.unfollow([.trial("NCT05499390")], by: carol), [.trial("NCT05499390"): true])
    }

    /// A database made before migration 0007 (here the 0001 fixture migrated to 0006, with its
    /// log) upgrades in place: the follows tables are added empty, nothing else of the schema
    /// changes, every event is as it was and the chain verifies.
    func testADatabaseOfThePreviousSchemaUpgradesInPlace() throws {
        try store.close()
        store = nil
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(
            atPath: Repository.path("Tests/TrialStoreTests/Fixtures/schema-0001.db"), toPath: path)
        let previous = embeddedMigrations.filter { $0.identifier < "0007" }
        XCTAssertEqual(previous.last?.identifier, "0006_no_conflict_replace")
        XCTAssertEqual(
            embeddedMigrations.count, previous.count + 2, "0007, and 0008 (FilterTests upgrades a 0007 database)")
        /// Every schema object by name: its type, table and SQL.
        func schema(_ db: Database) throws -> [String: String] {
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master")
                    .map {
                        ($0["name"] as String, $0.description)
                    })
        }
        func log(_ db: Database) throws -> [String] {
            try Row.fetchAll(db, sql: "SELECT * FROM events ORDER BY seq").map(\.description)
        }
        let (schemaBefore, logBefore): ([String: String], [String]) = try {
            let queue = try DatabaseQueue(path: path)
            defer { try? queue.close() }
            try Migrator(migrations: previous).migrate(queue)
            return try queue.read { db in
                XCTAssertFalse(try db.tableExists("follows"))
                return (try schema(db), try log(db))
            }
        }()
        XCTAssertGreaterThan(logBefore.count, 10)
        XCTAssertNotNil(schemaBefore["events_no_replace"])

        store = try open()
        let applied = try store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM schema_migrations ORDER BY 1")
        }
        XCTAssertEqual(applied, embeddedMigrations.map(\.identifier))
        XCTAssertTrue(applied.contains("0007_follows"))
        let (schemaAfter, logAfter) = try store.pool.read { db in (try schema(db), try log(db)) }
        XCTAssertEqual(logAfter, logBefore)
        for (name, object) in schemaBefore {
            XCTAssertEqual(schemaAfter[name], object, "\(name) of the earlier schema changed")
        }
        XCTAssertEqual(
            Set(schemaAfter.keys).subtracting(schemaBefore.keys),
            [
                "follows", "follows_active", "follows_no_delete", "follows_no_rewrite", "follow_sync",
                "trial_terms", "trial_terms_term", "trials_status", "projection_backfill",
            ])
        let report = try store.verify()
        XCTAssertTrue(report.ok, report.problem ?? "")
        XCTAssertEqual(report.checked, Int64(logBefore.count))
        XCTAssertEqual(try store.follows(includeRemoved: true), [])
        XCTAssertEqual(try store.stats().activeFollows, 0)

        // The upgraded database takes follows and appends alike.
        XCTAssertFalse(try store.follow([.trial("NCT05499390")], by: alice)[0].alreadyFollowed)
        try append("FOLLOW-TEST", .statusChanged, "2026-11", ["status": "recruiting"])
        XCTAssertTrue(try store.verify().ok)
    }
}
