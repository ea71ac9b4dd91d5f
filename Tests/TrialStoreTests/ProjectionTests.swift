import Foundation
import GRDB
import TrialDomain
@testable import TrialStore
import TrialTestSupport
import XCTest

/// Random histories: out-of-order occurred dates at every precision, contradictions,
/// forecasts, overdue marks, corrections and retractions.
struct HistoryGenerator {
    var rng: SeededRandom
    var trials = ["HARMONi-2", "HARMONi-6", "HARMONi-A", "ILLUMINE", "NCT05499390", "2025-522996-27-00"]
    var appended: [(seq: Int64, trial: String, type: EventType)] = []

    mutating func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }

    mutating func date() -> String {
        let y = Int.random(in: 2020...2026, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: return "\(y)"
        case 1: return "\(y)-H\(Int.random(in: 1...2, using: &rng))"
        case 2: return "\(y)-Q\(Int.random(in: 1...4, using: &rng))"
        case 3: return String(format: "%d-%02d", y, Int.random(in: 1...(y == 2026 ? 10 : 12), using: &rng))
        default:
            return String(
                format: "%d-%02d-%02d", y, Int.random(in: 1...(y == 2026 ? 10 : 12), using: &rng),
                Int.random(in: 1...28, using: &rng))
        }
    }

    mutating func payload(_ type: EventType) -> JSONValue {
        switch type {
        case .statusChanged:
            let s = pick([
                "recruiting", "recruiting", "active-not-recruiting", "enrolling-by-invitation", "completed",
                "terminated", "suspended", "withdrawn", "unknown", "not-yet-recruiting",
            ])
            return s == "terminated"
                ? ["status": "terminated", "whyStopped": "sponsor decision"] : ["status": .string(s)]
        case .enrollmentUpdated:
            return [
                "count": .int(Int64.random(in: 0...900, using: &rng)), "type": .string(pick(["estimated", "actual"])),
            ]
        case .datesUpdated:
            return [
                "start": ["date": .string(date()), "type": "actual"], "primaryCompletion": ["date": .string(date())],
            ]
        case .interimAnalysis:
            return [
                "endpoints": .array([.string(pick(["PFS", "OS"]))]),
                "outcome": .string(pick(["met", "continue", "not-met"])),
            ]
        case .readout:
            return [
                "kind": .string(pick(["topline", "primary", "final"])),
                "outcome": .string(pick(["positive", "negative"])),
                "results": [
                    [
                        "endpoint": .string(pick(["PFS", "OS"])),
                        "hazardRatio": ["value": 0.51, "ciLow": 0.38, "ciHigh": 0.69],
                    ]
                ],
            ]
        case .presented: return ["venue": .string(pick(["ASCO 2025", "ESMO 2025", "WCLC 2024"]))]
        case .registered:
            let nct = pick(["NCT05499390", "NCT05840016", "NCT05184712", "NCT07264075"])
            // Sponsors, conditions, interventions and phases that vary, so that the filter terms
            // (trial_terms) change with registrations, corrections and retractions.
            let v: JSONValue = [
                "title": "A trial", "acronym": .string(pick(["HARMONi-2", "HARMONi-6", "ILLUMINE", "X-1"])),
                "identifiers": [["registry": "nct", "id": .string(nct)]],
                "phases": .array(pick([["phase-3"], ["phase-2", "phase-3"], ["phase-1"], []]).map { .string($0) }),
            ]
            var o = v.objectValue!
            if Bool.random(using: &rng) {
                o["sponsor"] = .string(pick(["Akeso", "Akeso Inc.", "Summit Therapeutics", "GORTEC (Groupe)"]))
            }
            if Bool.random(using: &rng) {
                o["collaborators"] = .array([.string(pick(["Summit Therapeutics", "Merck Sharp & Dohme"]))])
            }
            if Bool.random(using: &rng) {
                o["conditions"] = .array([
                    .string(pick(["NSCLC", "Non-Small-Cell Lung Cancer", "Head and neck cancer"]))
                ])
            }
            if Bool.random(using: &rng) {
                o["arms"] = [
                    [
                        "label": "A",
                        "interventions": .array(
                            pick([["ivonescimab"], ["pembrolizumab", "chemotherapy"]]).map { .string($0) }),
                    ]
                ]
            }
            return .object(o)
        case .milestoneExpected:
            return [
                "milestone": .string(pick(["readout", "readout:OS", "presented:ESMO", "regulatory-submission"])),
                "window": .string(date()),
            ]
        default: return [:]
        }
    }

    /// The next event to try (it may well be refused).
    mutating func next() throws -> NewEvent {
        let today = Day(year: 2026, month: 11, day: 21)!
        let roll = Int.random(in: 0..<100, using: &rng)
        func make(_ trial: String?, _ type: EventType, _ payload: JSONValue) throws -> NewEvent {
            var o = JSONObject()
            if let trial { o["trial"] = .string(trial) }
            o["type"] = .string(type.rawValue)
            o["occurred"] = .string(date())
            o["payload"] = payload
            return try NewEvent(json: .object(o), today: today)
        }
        if roll < 8, let target = appended.filter({ !$0.type.isAmendment }).randomElement(using: &rng) {
            return try make(
                nil, .corrected,
                ["target": .int(target.seq), "reason": "source corrected", "payload": payload(target.type)])
        }
        if roll < 13, let target = appended.randomElement(using: &rng) {
            return try make(nil, .retracted, ["target": .int(target.seq), "reason": "wrong trial"])
        }
        if roll < 18, let x = appended.filter({ $0.type == .milestoneExpected }).randomElement(using: &rng) {
            return try make(x.trial, .milestoneOverdue, ["expected": .int(x.seq)])
        }
        let type = pick([
            EventType.statusChanged, .statusChanged, .enrollmentUpdated, .datesUpdated, .interimAnalysis, .readout,
            .presented, .registered, .milestoneExpected,
        ])
        return try make(pick(trials), type, payload(type))
    }
}

final class ProjectionTests: StoreTestCase {
    /// Appends a random history, then checks that the incrementally kept projections equal a
    /// rebuild from the log, and a fold of each trial's events.
    func runHistory(
        seed: UInt64, events: Int, cacheCapacity: Int, rebuildSplitEvents: Int64 = 10_000,
        rebuildRowsPerStatement: Int = 32,
        trials: [String]? = nil
    ) throws
        -> (accepted: Int, refused: Int, outOfOrder: Int)
    {
        try reopen(
            cacheCapacity: cacheCapacity, rebuildSplitEvents: rebuildSplitEvents,
            rebuildRowsPerStatement: rebuildRowsPerStatement)
        var gen = HistoryGenerator(rng: SeededRandom(seed: seed))
        if let trials { gen.trials = trials }
        var accepted = 0, refused = 0, outOfOrder = 0
        var latest: [String: PartialDate] = [:]
        var i = 0
        while i < events {
            // Sometimes several groups in one transaction, as the daemon's group commit does.
            let groups = try (0..<Int.random(in: 1...4, using: &gen.rng)).map { _ in
                try (0..<Int.random(in: 1...2, using: &gen.rng)).map { _ in try gen.next() }
            }
            i += groups.joined().count
            for result in try store.append(groups: groups, recordedBy: "prop") {
                switch result {
                case .success(let outcomes):
                    for o in outcomes {
                        accepted += 1
                        gen.appended.append((o.event.seq, o.event.trial, o.event.type))
                        if let l = latest[o.event.trial], o.event.occurred < l { outOfOrder += 1 }
                        if !o.event.type.isAmendment, latest[o.event.trial].map({ $0 < o.event.occurred }) ?? true {
                            latest[o.event.trial] = o.event.occurred
                        }
                    }
                case .failure(let e):
                    refused += 1
                    XCTAssertFalse(e.description.contains("\n"))
                }
            }
        }
        let incremental = try snapshot(projectionsOnly: true)
        // The counts by type kept as the log grew (refused groups taken back) are the log's own.
        let (counted, kept) = try store.pool.read { db in
            (
                try Row.fetchAll(db, sql: "SELECT type, COUNT(*) FROM events GROUP BY type ORDER BY 1").map {
                    "\($0[0] as String) \($0[1] as Int64)"
                },
                try Row.fetchAll(db, sql: "SELECT type, count FROM event_counts ORDER BY 1").map {
                    "\($0[0] as String) \($0[1] as Int64)"
                }
            )
        }
        XCTAssertEqual(kept, counted, "seed \(seed)")
        XCTAssertEqual(
            try store.knownTrialCount(), try store.trialCount(), "seed \(seed): the trials the writer counted")
        XCTAssertEqual(
            try store.stats().trials, Int64(try store.trialCount()), "seed \(seed): the trials trial_count holds")
        // Every trial's projection equals a fold of its events from the log.
        for summary in try store.trials() {
            let events = try store.events(LogQuery(trial: summary.key, limit: 1_000_000))
            let fold = try TrialFold.fold(key: summary.key, events: events, lenient: true)
            XCTAssertEqual(try store.status(summary.key), fold.view, "seed \(seed), trial \(summary.key)")
        }
        let report = try store.rebuild()
        XCTAssertEqual(report.events, Int64(accepted))
        XCTAssertEqual(
            try snapshot(projectionsOnly: true), incremental,
            "seed \(seed): rebuild differs from incremental projections")
        XCTAssertEqual(
            try store.knownTrialCount(), try store.trialCount(), "seed \(seed): the trials counted after the rebuild")
        XCTAssertTrue(try store.verify().ok)
        return (accepted, refused, outOfOrder)
    }

    func testRebuildEqualsIncrementalProjectionsOverRandomHistories() throws {
        var totals = (accepted: 0, refused: 0, outOfOrder: 0)
        for seed in UInt64(1)...12 {
            try tearDownWithError()
            try setUpWithError()
            // A tiny fold cache forces replays from the log; a large one keeps everything.
            // Seeds 1, 4, 5, 8, 9 and 12 (seed % 4 < 2, with both cache sizes) rebuild with two
            // readers (the trials split in two), the others with one. A rebuild writes its rows
            // several to a statement: 3 for seeds 1-3, 7-9 (every table then has full statements
            // and a rest written one by one), 32 for the others (the timeline has full ones).
            let r = try runHistory(
                seed: seed, events: 150, cacheCapacity: seed % 2 == 0 ? 1 : 10_000,
                rebuildSplitEvents: seed % 4 < 2 ? 1 : 1_000_000,
                rebuildRowsPerStatement: (seed - 1) % 6 < 3 ? 3 : 32)
            totals = (totals.accepted + r.accepted, totals.refused + r.refused, totals.outOfOrder + r.outOfOrder)
        }
        // The histories exercised what they claim to.
        XCTAssertGreaterThan(totals.accepted, 600)
        XCTAssertGreaterThan(totals.refused, 50)
        XCTAssertGreaterThan(totals.outOfOrder, 100)
        let byType = try store.stats().eventsByType
        XCTAssertGreaterThan(byType["corrected"] ?? 0, 0)
        XCTAssertGreaterThan(byType["retracted"] ?? 0, 0)
    }

    /// The same on two trials of a few hundred events each: the folds' recent facts move on
    /// (`TrialFold.merge`), and appends merge among them or replay the history.
    func testRebuildEqualsIncrementalProjectionsOverLongRandomHistories() throws {
        var merged = 0, replayed = 0
        for seed in UInt64(21)...24 {
            try tearDownWithError()
            try setUpWithError()
            _ = try runHistory(
                seed: seed, events: 700, cacheCapacity: seed % 2 == 0 ? 1 : 10_000, trials: ["HARMONi-2", "HARMONi-6"])
            merged += store.writer.paths.merged
            replayed += store.writer.paths.replayed
        }
        XCTAssertGreaterThan(merged, 100)
        XCTAssertGreaterThan(replayed, 50)
    }

    /// A rebuild drops the projections' secondary indexes for its fill and makes them again:
    /// the schema afterwards is the migrations' schema, to the letter, and the indexes serve
    /// the appends and queries that follow.
    func testARebuildLeavesTheSchemaAsTheMigrationsMadeIt() throws {
        try reopen(rebuildSplitEvents: 1)
        func schema() throws -> [Row] {
            try store.pool.read {
                try Row.fetchAll($0, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
            }
        }
        let before = try schema()
        XCTAssertTrue(before.contains { ($0["name"] as String) == "expectations_window" })
        var gen = HistoryGenerator(rng: SeededRandom(seed: 7))
        for _ in 0..<40 { _ = try store.append(groups: [[try gen.next()]], recordedBy: "t") }
        try store.rebuild()
        XCTAssertEqual(try schema(), before)
        _ = try store.append(groups: [[try gen.next()], [try gen.next()]], recordedBy: "t")
        try store.pool.read { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA integrity_check"), "ok")
            let plan = try Row.fetchAll(
                db,
                sql:
                    "EXPLAIN QUERY PLAN SELECT seq FROM expectations WHERE window_end < '2030-01-01' ORDER BY window_end, seq"
            )
            XCTAssertTrue(plan.contains { ($0["detail"] as String).contains("expectations_window") }, "\(plan)")
        }
    }

    func testAsOfWorldTimeAndKnownAtRecordingTime() throws {
        try append("HARMONi-6", .statusChanged, "2023-01", ["status": "recruiting"])
        try append(
            "HARMONi-6", .interimAnalysis, "2025-04",
            ["analysis": "first interim", "endpoints": ["PFS"], "outcome": "met"])
        let afterInterim = clock.peek()
        try append(
            "HARMONi-6", .readout, "2026-06-02",
            ["kind": "primary", "outcome": "positive", "endpoints": ["OS"], "venue": "ASCO 2026"])
        try append(
            "HARMONi-6", .milestoneExpected, "2026-06-02", ["milestone": "regulatory-submission", "window": "2027"])
        // A fact learnt late: the trial stopped recruiting in 2024.
        try append("HARMONi-6", .statusChanged, "2024-06", ["status": "active-not-recruiting"])

        let june2025 = try XCTUnwrap(try store.status("HARMONi-6", at: PointInTime(asOf: Day("2025-06-01"))))
        XCTAssertEqual(june2025.timeline.map(\.occurred.description), ["2023-01", "2024-06", "2025-04"])
        XCTAssertEqual(june2025.summary.status, .activeNotRecruiting)
        XCTAssertTrue(june2025.expectations.isEmpty)
        // "April 2025" had not certainly happened by 15 April.
        let midApril = try XCTUnwrap(try store.status("HARMONi-6", at: PointInTime(asOf: Day("2025-04-15"))))
        XCTAssertEqual(midApril.timeline.count, 2)
        XCTAssertNil(try store.status("HARMONi-6", at: PointInTime(asOf: Day("2022-12-31"))))

        // As known right after the interim was recorded: no readout, and still recruiting.
        let known = try XCTUnwrap(try store.status("HARMONi-6", at: PointInTime(knownAt: afterInterim)))
        XCTAssertEqual(known.timeline.map(\.type), [.statusChanged, .interimAnalysis])
        XCTAssertEqual(known.summary.status, .recruiting)

        let now = try XCTUnwrap(try store.status("HARMONi-6"))
        XCTAssertEqual(now.summary.nextExpected?.window.description, "2027")
        XCTAssertEqual(try store.trials(at: PointInTime(asOf: Day("2025-06-01"))).map(\.key), ["HARMONi-6"])
        XCTAssertEqual(try store.trials(at: PointInTime(asOf: Day("2020-01-01"))).count, 0)
    }
}
