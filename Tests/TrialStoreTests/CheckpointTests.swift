import Foundation
import TrialDomain
@testable import TrialStore
import XCTest

/// The write-ahead log is copied into the database file by the store's checkpoint thread,
/// not in the writer's commits.
final class CheckpointTests: StoreTestCase {
    func mainFileBytes() -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    func testTheCheckpointThreadCopiesTheLogIntoTheDatabaseFile() throws {
        // A 1000-page threshold (4 MiB) instead of the default 32 MiB, for a small test.
        try store.close()
        var c = StoreConfiguration()
        c.checkpointPages = 1000
        store = try EventStore(path: path, configuration: c)
        let before = mainFileBytes()
        // Enough commits to take the log well past the threshold.
        for batch in 0..<12 {
            let groups = try (0..<400).map { i in
                [try event(String(format: "NCT%08d", batch * 400 + i), .registered, "2024",
                           ["title": .string("Trial \(batch * 400 + i) with a title long enough to fill pages"), "phases": ["phase-3"]])]
            }
            for r in try store.append(groups: groups, recordedBy: "tester") { if case .failure(let e) = r { throw e } }
        }
        // Only a checkpoint writes the main file while the store is open; none runs in the
        // commits (the hook replaced SQLite's automatic one), so this is the thread's work.
        XCTAssertTrue(try XCTUnwrap(store.checkpointer).waitForRuns(1, before: Date().addingTimeInterval(30)), "the checkpoint thread never ran")
        XCTAssertGreaterThan(mainFileBytes(), before + 1_000_000, "the log was not checkpointed into the database file")
        // Everything is there, and stays so across a reopen.
        XCTAssertEqual(try store.trialCount(), 4800)
        try store.close()
        store = try EventStore(path: path, configuration: c)
        XCTAssertEqual(try store.trialCount(), 4800)
        XCTAssertTrue(try store.verify().ok)
    }

    /// After a clean close the database file alone holds everything: the WAL is emptied.
    func testACleanCloseLeavesAnEmptyLog() throws {
        for batch in 0..<3 {
            let groups = try (0..<300).map { i in
                [try event(String(format: "NCT%08d", batch * 300 + i), .registered, "2024", ["title": "A trial", "phases": ["phase-2"]])]
            }
            _ = try store.append(groups: groups, recordedBy: "tester")
        }
        let wal = path + "-wal"
        XCTAssertGreaterThan(((try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? NSNumber)?.intValue ?? 0, 0)
        try store.close()
        store = nil
        let left = ((try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? NSNumber)?.intValue ?? 0
        XCTAssertEqual(left, 0, "the WAL still holds \(left) bytes after close")
        store = try open()
        XCTAssertEqual(try store.trialCount(), 900)
    }
}
