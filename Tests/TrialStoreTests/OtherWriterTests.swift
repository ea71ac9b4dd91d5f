import Foundation
import GRDB
import TrialDomain
import TrialStore
import XCTest

/// A writer that finds another process has appended to the log: nothing of its transaction
/// is written, and it goes on from the log as it is.
final class OtherWriterTests: StoreTestCase {
    /// Another process appends between two transactions: the writer's next insert fails (the
    /// gapless trigger), the transaction is rolled back whole with a one-line error, and the
    /// writer reads the log's head again and goes on.
    func testAnotherProcessesAppendRollsTheWritersTransactionBack() throws {
        // Ten trials, each registered, then four status changes: one event to a group.
        let registrations = try (0..<10).map { t in
            [
                try event(
                    "T-\(t)", .registered, "2024-01",
                    [
                        "title": .string("Trial \(t)"),
                        "identifiers": [["registry": "nct", "id": .string(String(format: "NCT%08d", 9_000_000 + t))]],
                    ])
            ]
        }
        let statuses = try (0..<20).map { i in
            [
                try event(
                    "T-\(i % 10)", .statusChanged, "2024-0\(3 + i / 10)",
                    ["status": i < 10 ? "recruiting" : "active-not-recruiting"])
            ]
        }
        _ = try store.append(groups: registrations + statuses.prefix(10), recordedBy: "t")
        let head = try store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM events")! }
        let other = try DatabaseQueue(path: path)
        try other.write { db in
            try db.execute(
                sql: """
                    INSERT INTO events (seq, event_id, trial, version, type, occurred, recorded, recorded_by, source, payload, hash)
                    VALUES (?, 'ffffffff-0000-4000-8000-000000000000', 'OTHER', 1, 'presented', '2025', '2026-11-21T09:00:00.000000Z', 'other', NULL, '{}', x'00')
                    """, arguments: [head + 1])
        }
        try other.close()
        let before = try snapshot()
        let rest = Array(statuses.suffix(10))
        XCTAssertThrowsError(try store.append(groups: rest, recordedBy: "t")) { error in
            guard case StoreError.database(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("another process appended to the log"), message)
            XCTAssertFalse("\(error)".contains("\n"))
        }
        XCTAssertEqual(try snapshot(), before, "the refused transaction left nothing")
        let results = try store.append(groups: rest, recordedBy: "t")
        guard case .success(let first) = results[0] else { return XCTFail("\(results[0])") }
        XCTAssertEqual(first[0].event.seq, head + 2)
        XCTAssertEqual(
            try store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM events") },
            head + 1 + Int64(results.count))
    }
}
