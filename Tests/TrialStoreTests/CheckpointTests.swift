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
                [
                    try event(
                        String(format: "NCT%08d", batch * 400 + i), .registered, "2024",
                        [
                            "title": .string("Trial \(batch * 400 + i) with a title long enough to fill pages"),
                            "phases": ["phase-3"],
                        ])
                ]
            }
            for r in try store.append(groups: groups, recordedBy: "tester") { if case .failure(let e) = r { throw e } }
        }
        // Only a checkpoint writes the main file while the store is open; none runs in the
        // commits (the hook replaced SQLite's automatic one), so this is the thread's work.
        XCTAssertTrue(
            try XCTUnwrap(store.checkpointer).waitForRuns(1, before: Date().addingTimeInterval(30)),
            "the checkpoint thread never ran")
        XCTAssertGreaterThan(mainFileBytes(), before + 1_000_000, "the log was not checkpointed into the database file")
        // Everything is there, and stays so across a reopen.
        XCTAssertEqual(try store.trialCount(), 4800)
        try store.close()
        store = try EventStore(path: path, configuration: c)
        XCTAssertEqual(try store.trialCount(), 4800)
        XCTAssertTrue(try store.verify().ok)
    }

    /// A checkpoint that cannot write the database file (here past a file size limit, which
    /// fails the write as a full disk would) is recorded and reported; the log keeps every
    /// event, and the next checkpoint copies it all.
    func testAFailedCheckpointIsRecordedAndReported() throws {
        try store.close()
        let reported = Reports()
        var c = StoreConfiguration()
        c.checkpointPages = 1_000_000  // the thread runs only when the test asks
        c.checkpointLimitPages = 1_000_000
        c.onCheckpointFailure = { reported.add($0) }
        store = try EventStore(path: path, configuration: c)
        for batch in 0..<12 {
            let groups = try (0..<400).map { i in
                [
                    try event(
                        String(format: "NCT%08d", batch * 400 + i), .registered, "2024",
                        [
                            "title": .string("Trial \(batch * 400 + i) with a title long enough to fill pages"),
                            "phases": ["phase-3"],
                        ])
                ]
            }
            for r in try store.append(groups: groups, recordedBy: "tester") { if case .failure(let e) = r { throw e } }
        }
        let checkpointer = try XCTUnwrap(store.checkpointer)
        let before = mainFileBytes()
        let walBytes =
            ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber)?.intValue ?? 0
        XCTAssertGreaterThan(walBytes, before + 2_000_000, "the log must hold pages the database file has not")
        XCTAssertEqual(store.checkpointStatus, CheckpointStatus(), "no checkpoint ran yet")

        // Writes past the limit fail (EFBIG; SIGXFSZ ignored, or it would end the process).
        let handler = signal(SIGXFSZ, SIG_IGN)
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        var limited = saved
        limited.rlim_cur = rlim_t(before + 64 * 1024)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        checkpointer.wake()
        let ran = checkpointer.waitForRuns(1, before: Date().addingTimeInterval(30))
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        signal(SIGXFSZ, handler)
        XCTAssertTrue(ran, "the checkpoint thread never ran")

        let failed = try XCTUnwrap(store.checkpointStatus)
        XCTAssertEqual(failed.runs, 1)
        XCTAssertEqual(failed.failures, 1)
        let problem = try XCTUnwrap(failed.lastFailure, "a failed checkpoint must say so")
        XCTAssertTrue(
            problem.hasPrefix("a checkpoint failed: ")
                && problem.hasSuffix(" (the write-ahead log grows until one succeeds)"), problem)
        XCTAssertFalse(problem.contains("\n"))
        XCTAssertTrue(problem.contains(String(cString: strerror(EFBIG))), "the system's reason is named: \(problem)")
        XCTAssertEqual(reported.all, [problem], "the store's owner is told once")
        XCTAssertEqual(try store.stats().checkpoints, failed)
        // Nothing is lost: the log still holds every event.
        XCTAssertEqual(try store.trialCount(), 4800)
        XCTAssertTrue(try store.verify().ok)

        // Once the file may grow again, the next checkpoint copies the whole log.
        checkpointer.wake()
        XCTAssertTrue(checkpointer.waitForRuns(2, before: Date().addingTimeInterval(30)))
        let recovered = try XCTUnwrap(store.checkpointStatus)
        XCTAssertEqual(recovered.failures, 1, "failures are counted since the store opened")
        XCTAssertNil(recovered.lastFailure)
        XCTAssertGreaterThan(recovered.logPages, 1000)
        XCTAssertEqual(recovered.copiedPages, recovered.logPages, "no reader holds the log back")
        XCTAssertNotNil(recovered.lastAt)
        XCTAssertGreaterThan(mainFileBytes(), before + 2_000_000)
        XCTAssertEqual(reported.all.count, 1)
    }

    /// After a clean close the database file alone holds everything: the WAL is emptied.
    func testACleanCloseLeavesAnEmptyLog() throws {
        for batch in 0..<3 {
            let groups = try (0..<300).map { i in
                [
                    try event(
                        String(format: "NCT%08d", batch * 300 + i), .registered, "2024",
                        ["title": "A trial", "phases": ["phase-2"]])
                ]
            }
            _ = try store.append(groups: groups, recordedBy: "tester")
        }
        let wal = path + "-wal"
        XCTAssertGreaterThan(
            ((try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? NSNumber)?.intValue ?? 0, 0)
        try store.close()
        store = nil
        let left = ((try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? NSNumber)?.intValue ?? 0
        XCTAssertEqual(left, 0, "the WAL still holds \(left) bytes after close")
        store = try open()
        XCTAssertEqual(try store.trialCount(), 900)
    }
}

/// Failure lines handed to `StoreConfiguration.onCheckpointFailure`, from any thread.
final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
