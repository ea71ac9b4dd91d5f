import Foundation
import GRDB
import TrialDomain
import TrialStore
import XCTest

/// A writer that finds another process has appended to the log: nothing of its transaction
/// is written, and it goes on from the log as it is.
final class OtherWriterTests: StoreTestCase {
    /// Groups of events with fixed ids: registrations
    /// with identifiers, status changes, an out-of-order readout, a replayed id, an identifier
    /// of another trial (refused), a group whose second event is refused (its savepoint taken
    /// back), a correction and a retraction.
    func workload() throws -> [[NewEvent]] {
        var n = 0
        func id() -> String {
            n += 1
            return String(format: "00000000-0000-4000-8000-%012d", n)
        }
        var groups: [[NewEvent]] = []
        for t in 0..<12 {
            let nct = String(format: "NCT%08d", 9_000_000 + t)
            groups.append([try event("T-\(t)", .registered, "2024-01", ["title": .string("Trial \(t)"), "acronym": .string("T-\(t)"),
                                                                       "identifiers": [["registry": "nct", "id": .string(nct)]]], id: id())])
            groups.append([try event(nct, .statusChanged, "2024-03", ["status": "recruiting"], id: id())])
            groups.append([try event("T-\(t)", .readout, "2025", ["kind": "primary", "outcome": "positive"], id: id())])
            // Out of order: before the readout in world time.
            groups.append([try event("T-\(t)", .interimAnalysis, "2024-09", ["analysis": "first interim", "endpoints": ["PFS"], "outcome": "continue"], id: id())])
        }
        let replayed = groups[1][0]
        groups.append([replayed])
        // T-1 claims T-0's NCT number: refused.
        groups.append([try event("T-1", .registered, "2024-01", ["title": "Trial 1", "identifiers": [["registry": "nct", "id": "NCT09000000"]]], id: id())])
        // A group of two whose second event expects a version T-2 is not at: refused whole.
        groups.append([try event("T-2", .statusChanged, "2025-02", ["status": "completed"], id: id()),
                       try event("T-2", .statusChanged, "2025-02", ["status": "completed"], id: id(), expectedVersion: 1)])
        groups.append([try event("T-3", .statusChanged, "2025-02", ["status": "completed"], id: id()),
                       try event("T-4", .statusChanged, "2025-02", ["status": "completed"], id: id())])
        groups.append([try event(nil, .corrected, "2025-03", ["target": 2, "reason": "source corrected", "payload": ["status": "not-yet-recruiting"]], id: id())])
        groups.append([try event(nil, .retracted, "2025-03", ["target": 3, "reason": "wrong trial"], id: id())])
        groups.append([try event("T-5", .statusChanged, "2025-04", ["status": "active-not-recruiting"], id: id())])
        return groups
    }

    /// Another process appends between two transactions: the writer's next insert fails (the
    /// gapless trigger), the transaction is rolled back whole with a one-line error, and the
    /// writer reads the log's head again and goes on.
    func testAnotherProcessesAppendRollsTheWritersTransactionBack() throws {
        do {
            let groups = try workload()
            _ = try store.append(groups: Array(groups.prefix(20)), recordedBy: "t")
            let head = try store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM events")! }
            let other = try DatabaseQueue(path: path)
            try other.write { db in
                try db.execute(sql: """
                    INSERT INTO events (seq, event_id, trial, version, type, occurred, recorded, recorded_by, source, payload, hash)
                    VALUES (?, 'ffffffff-0000-4000-8000-000000000000', 'OTHER', 1, 'presented', '2025', '2026-11-21T09:00:00.000000Z', 'other', NULL, '{}', x'00')
                    """, arguments: [head + 1])
            }
            try other.close()
            let before = try snapshot()
            XCTAssertThrowsError(try store.append(groups: Array(groups[20..<40]), recordedBy: "t")) { error in
                guard case StoreError.database(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains("another process appended to the log"), message)
                XCTAssertFalse("\(error)".contains("\n"))
            }
            XCTAssertEqual(try snapshot(), before, "the refused transaction left nothing")
            let results = try store.append(groups: Array(groups[20..<40]), recordedBy: "t")
            guard case .success(let first) = results[0] else { return XCTFail("\(results[0])") }
            XCTAssertEqual(first[0].event.seq, head + 2)
            XCTAssertEqual(try store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM events") }, head + 1 + Int64(results.count))
        }
    }
}
