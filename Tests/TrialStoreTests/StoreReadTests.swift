import Foundation
import GRDB
import Synchronization
import TrialDomain
@testable import TrialStore
import TrialTestSupport
import XCTest

/// `StoreRead`: each read written once, run blocking (the tools, most tests) or as a GRDB async
/// read (trialsd's services), with the same answer; an async read suspends its task instead of
/// holding a thread, waits its turn for a reader connection, and stops when its task is cancelled.
final class StoreReadTests: StoreTestCase {
    /// Every read trialsd makes gives, as an async read, exactly what its blocking form gives
    /// (so the suite's many blocking reads speak for the daemon's async ones).
    func testEveryReadAnswersTheSameBlockingOrAsync() async throws {
        try fill(seed: 21, events: 1_200)
        let trials = try store.trialKeys()
        XCTAssertGreaterThan(trials.count, 10)
        let past = PointInTime(asOf: try XCTUnwrap(Day("2021-06-30")))
        let today = try XCTUnwrap(Day("2026-11-21"))
        let filter = TrialFilter(statuses: [.recruiting])

        func same<V: Equatable & Sendable>(_ read: StoreRead<V>, _ what: String, line: UInt = #line) async throws {
            // A closure that is not async: the blocking form.
            let blocking = try { try self.store.read(read) }()
            let async = try await store.read(read)
            XCTAssertEqual(blocking, async, what, line: line)
        }
        try await same(.resolve("trial-3"), "resolve")
        try await same(.closestTrialName(to: "TRIAL-3x"), "closestTrialName")
        for t in trials.prefix(5) {
            try await same(.status(t), "status \(t)")
            try await same(.status(t, at: past), "status \(t) as of \(past)")
        }
        try await same(.statuses(trials, at: past), "statuses")
        try await same(.trials(), "trials")
        try await same(.trials(filter: filter), "trials, recruiting")
        try await same(.trials(at: past), "trials as of")
        try await same(.trialKeys(filter: filter), "trialKeys, recruiting")
        try await same(.matching(Set(trials), filter: filter), "matching, recruiting")
        try await same(.trials(keys: trials.prefix(7), at: past), "trials(keys:)")
        try await same(.events(LogQuery(trial: trials[1], limit: 50)), "events of a trial")
        try await same(.events(LogQuery(afterSeq: 100, limit: 1_000)), "events")
        try await same(.events(LogQuery(trial: "NO-SUCH-TRIAL")), "events of no trial")
        try await same(.event(seq: 17), "event")
        try await same(.lastSeq, "lastSeq")
        try await same(.trialCount, "trialCount")
        try await same(.knownTrialCount, "knownTrialCount")
        try await same(.upcoming(within: nil, all: true, today: today), "upcoming")
        try await same(.upcomingSeqs(within: 90, all: false, today: today), "upcomingSeqs")
        try await same(.upcoming(seqs: try store.upcomingSeqs(within: nil, all: true, today: today)), "upcoming(seqs:)")
        try await same(.follows(includeRemoved: true), "follows")
        try await same(.verify, "verify")
        try await same(.stats, "stats")
        try await same(.exportPage(after: 10, through: 400, limit: 100), "exportPage")

        // Not vacuous: the reads found something.
        let none = try await store.read(.events(LogQuery(trial: "NO-SUCH-TRIAL")))
        XCTAssertNil(none)
        let upcoming = try await store.read(.upcoming(within: nil, all: true, today: today))
        XCTAssertFalse(upcoming.isEmpty)
        let page = try await store.read(.exportPage(after: 10, through: 400, limit: 100))
        XCTAssertEqual(page.lines.count, 100)
        let verify = try await store.read(.verify)
        XCTAssertTrue(verify.ok)
        // A subscription's filter picks the same trials as the listing's.
        let recruiting = try await store.read(.trialKeys(filter: filter))
        XCTAssertFalse(recruiting.isEmpty)
        let matching = try await store.read(.matching(Set(trials), filter: filter))
        XCTAssertEqual(matching, Set(recruiting))
    }

    /// A cancelled task's read is interrupted mid-statement, by GRDB's statements and by the
    /// store's own (`RawStatement`): it throws CancellationError at once, and the one reader
    /// connection is free, and not left cancelled, for the next read.
    func testCancellingTheTaskInterruptsAStatementItRuns() async throws {
        try store.close()
        store = try open(readers: 1)
        try fill(seed: 4, events: 200)
        // Counts to a number no machine reaches: it ends only when SQLite is interrupted.
        // `running()` says, from its first row on, that the statement runs (an interrupt
        // before it starts is another case: the fold's test).
        let endless = """
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c WHERE running(x)
            """
        let reads: [(String, @Sendable (Database) throws -> Void)] = [
            ("GRDB", { db in _ = try Int.fetchOne(db, sql: endless) }),
            ("RawStatement", { db in try RawStatement(try db.cachedStatement(sql: endless)).forEachRow { _ in } }),
        ]
        for (name, body) in reads {
            let error = try await cancelWhileRunning(name) { store, db, started in
                let once = Count()
                db.add(
                    function: DatabaseFunction("running", argumentCount: 1, pure: false) { _ in
                        if once.value == 0 { started() }
                        once.add()
                        return 1
                    })
                try body(db)
            }
            XCTAssertTrue(error is CancellationError, "\(name): \(error)")
            let last = try await store.read(.lastSeq)
            XCTAssertEqual(last, try store.lastSeq(), name)
            XCTAssertGreaterThan(last, 0)
        }
    }

    /// A read of many statements cancelled between two of them (where SQLite's interrupt has
    /// nothing to stop): the fold of every trial as it stood on a day stops at the next trial.
    func testACancelledFoldOfEveryTrialStopsAtTheNextTrial() async throws {
        try fill(seed: 8, events: 1_000, trials: 100)
        let past = PointInTime(asOf: try XCTUnwrap(Day("2030-01-01")))
        let keys = try store.trialKeys()
        let whole = try await store.read(.trials(keys: keys, at: past))
        XCTAssertGreaterThan(whole.count, 50)
        let folded = Count()
        let error = try await cancelWhileRunning("the fold") { store, db, started in
            started()  // returns once the task is cancelled; no statement runs
            _ = try StoreRead<[TrialSummary]>.trials(keys: keys, at: past).body(store, db)
            folded.add()
        }
        XCTAssertTrue(error is CancellationError, "\(error)")
        XCTAssertEqual(folded.value, 0)
    }

    /// Runs `body` as an async read and cancels its task when `body` calls the function it is
    /// given (which returns once the task is cancelled); returns what the read threw. Fails
    /// the test if the read has not ended within 30 s of the cancellation (a read that was not
    /// stopped would otherwise hold the suite: it is then interrupted).
    private func cancelWhileRunning(
        _ name: String,
        _ body: @escaping @Sendable (EventStore, Database, _ started: @escaping @Sendable () -> Void) throws -> Void
    ) async throws -> Error {
        let store = self.store!
        let started = AsyncStream.makeStream(of: Void.self)
        let cancelled = DispatchSemaphore(value: 0)
        let reading = Task {
            try await store.read(
                StoreRead<Void> { store, db in
                    try body(store, db) {
                        started.continuation.yield()
                        cancelled.wait()
                    }
                })
        }
        var signals = started.stream.makeAsyncIterator()
        _ = await signals.next()
        reading.cancel()
        cancelled.signal()
        // The first of the read's end and the deadline (a task group would wait for both).
        let outcome: Result<Void, Error>? = await withCheckedContinuation { c in
            let first = First(c)
            Task { first.resume(await reading.result) }
            Task {
                try? await Task.sleep(for: .seconds(30))
                first.resume(nil)
            }
        }
        if outcome == nil { store.pool.interrupt() }  // not to leave it running
        switch outcome {
        case .failure(let error): return error
        case .success: XCTFail("\(name): the read ended as if it had not been cancelled")
        case nil: XCTFail("\(name): the read did not end within 30 s of its cancellation")
        }
        throw CancellationError()
    }

    /// More async reads than reader connections wait their turn without holding threads: with
    /// one connection held by a read that waits, 64 more reads are queued, and other work on
    /// the cooperative pool (2 threads here) still runs; when it is released every read answers.
    func testReadsBeyondTheReadersWaitWithoutHoldingThreads() async throws {
        try store.close()
        store = try open(readers: 1)
        try fill(seed: 9, events: 200)
        let store = self.store!
        let release = DispatchSemaphore(value: 0)
        let started = AsyncStream.makeStream(of: Void.self)
        let holding = Task {
            try await store.read(
                StoreRead<Int> { _ in
                    started.continuation.yield()
                    release.wait()
                    return 1
                })
        }
        var signals = started.stream.makeAsyncIterator()
        _ = await signals.next()
        let answered = Count()
        let waiting = (0..<64).map { _ in
            Task {
                let seq = try await store.read(.lastSeq)
                answered.add()
                return seq
            }
        }
        // Work that needs a cooperative thread runs while the 64 reads wait for the reader.
        let other = await Task { (1...1000).reduce(0, +) }.value
        XCTAssertEqual(other, 500_500)
        XCTAssertEqual(answered.value, 0, "a read ran while the one reader was held")
        release.signal()
        let held = try await holding.value
        XCTAssertEqual(held, 1)
        let last = try store.lastSeq()
        for t in waiting {
            let seq = try await t.value
            XCTAssertEqual(seq, last)
        }
        XCTAssertEqual(answered.value, 64)
    }

    /// A continuation resumed by the first of several.
    private final class First<T: Sendable>: Sendable {
        private let continuation: Mutex<CheckedContinuation<T, Never>?>
        init(_ c: CheckedContinuation<T, Never>) { continuation = Mutex(c) }
        func resume(_ value: T) {
            continuation.withLock { c in
                c?.resume(returning: value)
                c = nil
            }
        }
    }

    /// A count tasks add to.
    private final class Count: Sendable {
        private let n = Atomic<Int>(0)
        func add() { n.add(1, ordering: .relaxed) }
        var value: Int { n.load(ordering: .relaxed) }
    }
}
