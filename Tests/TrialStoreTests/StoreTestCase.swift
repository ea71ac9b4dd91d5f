import Foundation
import GRDB
import TrialDomain
import TrialTestSupport
import TrialStore
import XCTest

/// A test case with a fresh SQLite file in a temporary directory, removed afterwards.
class StoreTestCase: XCTestCase {
    var directory: URL!
    var path: String { directory.appendingPathComponent("trials.db").path }
    var store: EventStore!
    /// A controllable clock: every read advances it by a second.
    let clock = TestClock(start: try! Timestamp(parsing: "2026-11-21T09:00:00Z"))

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("trialtrack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try open()
    }

    override func tearDownWithError() throws {
        try? store?.close()
        store = nil
        try? FileManager.default.removeItem(at: directory)
    }

    func open(
        cacheCapacity: Int = 10_000, aliasCacheCapacity: Int = 100_000, rebuildSplitEvents: Int64 = 10_000,
        rebuildRowsPerStatement: Int = 32, readers: Int = 4
    ) throws -> EventStore {
        var c = StoreConfiguration()
        c.maximumReaderCount = readers
        c.foldCacheCapacity = cacheCapacity
        c.aliasCacheCapacity = aliasCacheCapacity
        c.rebuildSplitEvents = rebuildSplitEvents
        c.rebuildRowsPerStatement = rebuildRowsPerStatement
        let clock = self.clock
        c.clock = { clock.next() }
        return try EventStore(path: path, configuration: c)
    }

    func reopen(
        cacheCapacity: Int = 10_000, aliasCacheCapacity: Int = 100_000, rebuildSplitEvents: Int64 = 10_000,
        rebuildRowsPerStatement: Int = 32
    ) throws {
        try store.close()
        store = try open(
            cacheCapacity: cacheCapacity, aliasCacheCapacity: aliasCacheCapacity,
            rebuildSplitEvents: rebuildSplitEvents,
            rebuildRowsPerStatement: rebuildRowsPerStatement)
    }

    /// Appends a random history (HistoryGenerator: corrections, retractions, refusals) of about
    /// `events` tries, in transactions of 200; returns the last seq.
    @discardableResult
    func fill(seed: UInt64, events: Int, trials: Int = 40) throws -> Int64 {
        var gen = HistoryGenerator(rng: SeededRandom(seed: seed))
        gen.trials = (1...trials).map { "TRIAL-\($0)" }
        var tried = 0
        while tried < events {
            let groups = try (0..<200).map { _ in [try gen.next()] }
            tried += groups.count
            for case .success(let outcomes) in try store.append(groups: groups, recordedBy: "fill") {
                for o in outcomes { gen.appended.append((o.event.seq, o.event.trial, o.event.type)) }
            }
        }
        return try store.lastSeq()
    }

    /// Builds and validates an event of the contract.
    func event(
        _ trial: String?, _ type: EventType, _ occurred: String, _ payload: JSONValue, id: String? = nil,
        expectedVersion: Int64? = nil, source: String? = nil
    ) throws -> NewEvent {
        var o = JSONObject()
        if let trial { o["trial"] = .string(trial) }
        o["type"] = .string(type.rawValue)
        o["occurred"] = .string(occurred)
        o["payload"] = payload
        if let id { o["id"] = .string(id) }
        if let expectedVersion { o["expectedVersion"] = .int(expectedVersion) }
        if let source { o["source"] = .string(source) }
        return try NewEvent(json: .object(o), today: Day(year: 2026, month: 11, day: 21)!)
    }

    @discardableResult
    func append(
        _ trial: String?, _ type: EventType, _ occurred: String, _ payload: JSONValue, id: String? = nil,
        expectedVersion: Int64? = nil
    ) throws -> AppendOutcome {
        try store.append(
            try event(trial, type, occurred, payload, id: id, expectedVersion: expectedVersion),
            recordedBy: "tester (uid 1000)")
    }

    /// Asserts the append is refused with an error matching `check`, and that the log and
    /// projections are exactly as before.
    func assertRefused(
        _ e: NewEvent, file: StaticString = #filePath, line: UInt = #line, _ check: (AppendError) -> Bool
    ) throws {
        let before = try snapshot()
        XCTAssertThrowsError(try store.append(e, recordedBy: "tester"), file: file, line: line) { error in
            guard let a = error as? AppendError else {
                return XCTFail("not an AppendError: \(error)", file: file, line: line)
            }
            XCTAssertTrue(check(a), "unexpected: \(a)", file: file, line: line)
            XCTAssertFalse(a.description.contains("\n"), file: file, line: line)
        }
        XCTAssertEqual(try snapshot(), before, "the database changed", file: file, line: line)
    }

    /// Every row of the log and the projections (of `store`, else the test's), as text.
    func snapshot(of other: EventStore? = nil, projectionsOnly: Bool = false) throws -> [String: [String]] {
        let tables =
            (projectionsOnly ? [] : ["events"]) + [
                "trials", "registrations", "trial_aliases", "timeline", "expectations", "event_counts", "trial_count",
                "trial_terms",
            ]
        return try (other ?? store).pool.read { db in
            var out: [String: [String]] = [:]
            for t in tables {
                out[t] = try Row.fetchAll(db, sql: "SELECT * FROM \(t) ORDER BY 1, 2").map { $0.description }
            }
            return out
        }
    }
}

final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Timestamp
    init(start: Timestamp) { now = start }
    func next() -> Timestamp {
        lock.lock()
        defer { lock.unlock() }
        now = Timestamp(microseconds: now.microseconds + 1_000_000)
        return now
    }
    func peek() -> Timestamp {
        lock.lock()
        defer { lock.unlock() }
        return now
    }
}
