import Foundation
import GRDB
import TrialDomain
@testable import TrialStore
import TrialTestSupport
import XCTest

/// Appends that sort before a trial's latest facts (a backfill before a forecast made today,
/// a fact among the last few) are merged among the fold's recent facts, without the trial's
/// history (once a first such append replayed it); the projections they leave are those a
/// replay (and a rebuild) makes.
final class RecentFactsTests: StoreTestCase {
    /// The projections now, then after a rebuild from the log: they must be equal, and each
    /// trial's status must equal a fold of its events.
    func assertProjectionsEqualARebuild(file: StaticString = #filePath, line: UInt = #line) throws {
        let incremental = try snapshot(projectionsOnly: true)
        for summary in try store.trials() {
            let events = try store.events(LogQuery(trial: summary.key, limit: 1_000_000))
            let fold = try TrialFold.fold(key: summary.key, events: events, lenient: true)
            XCTAssertEqual(try store.status(summary.key), fold.view, "trial \(summary.key)", file: file, line: line)
        }
        try store.rebuild()
        XCTAssertEqual(
            try snapshot(projectionsOnly: true), incremental, "rebuild differs from incremental projections",
            file: file, line: line)
    }

    /// Event `k` of a long history, dated `occurred`.
    func historyEvent(_ trial: String, _ k: Int, _ occurred: String) throws -> NewEvent {
        switch k % 5 {
        case 1: return try event(trial, .statusChanged, occurred, ["status": "recruiting"])
        case 2:
            return try event(trial, .enrollmentUpdated, occurred, ["count": .int(Int64(100 + k)), "type": "estimated"])
        case 3: return try event(trial, .presented, occurred, ["venue": .string("ASCO \(k)")])
        case 4:
            return try event(
                trial, .readout, occurred, ["kind": "topline", "outcome": "positive", "endpoints": ["PFS"]])
        default:
            return try event(trial, .datesUpdated, occurred, ["start": ["date": .string(occurred), "type": "actual"]])
        }
    }

    func day(_ n: Int, from start: String = "2020-01-01") -> String { Day(start)!.adding(days: n).description }

    /// A trial of `n` events one a day from 2020, then forecasts made on 2026-11-20.
    func makeLongTrial(_ trial: String, events n: Int) throws {
        try append(
            trial, .registered, "2020-01-01",
            ["title": "A trial", "identifiers": [["registry": "nct", "id": "NCT05499390"]]])
        let history = try (1..<n).map { try historyEvent(trial, $0, day($0)) }
        for r in try store.append(groups: history.map { [$0] }, recordedBy: "t") {
            if case .failure(let e) = r { throw e }
        }
        try append(trial, .milestoneExpected, "2026-11-20", ["milestone": "readout:OS", "window": "2027"])
        try append(trial, .milestoneExpected, "2026-11-20", ["milestone": "presented:ESMO", "window": "2027-H2"])
        try append(trial, .milestoneExpected, "2026-11-20", ["milestone": "regulatory-submission", "window": "2027"])
    }

    func testABackfillBeforeForecastsMergesWithoutReplayAndEqualsARebuild() throws {
        try makeLongTrial("HARMONi-6", events: 300)
        let before = store.writer.paths
        // One group of 200 events dated before the forecasts: each sorts before their facts.
        let backfill = try (0..<200).map { try historyEvent("HARMONi-6", $0, day($0 / 2, from: "2023-01-01")) }
        guard case .success = try store.append(groups: [backfill], recordedBy: "t")[0] else {
            return XCTFail("refused")
        }
        // Facts among the last few, at the same date as one and between two.
        try append(
            "HARMONi-6", .readout, "2023-04-08", ["kind": "primary", "outcome": "positive", "endpoints": ["OS"]])
        try append("HARMONi-6", .statusChanged, "2023-04-10", ["status": "active-not-recruiting"])
        // And after the forecasts: an OS readout meets its forecast, in world order.
        try append("HARMONi-6", .readout, "2026-11-21", ["kind": "final", "outcome": "positive", "endpoints": ["OS"]])
        let after = store.writer.paths
        // The first replays (a fold kept for in-order appends has no recent facts), the others merge.
        XCTAssertEqual(after.replayed - before.replayed, 1)
        XCTAssertEqual(after.historiesRead - before.historiesRead, 1)
        XCTAssertEqual(after.merged - before.merged, 201)
        let status = try XCTUnwrap(try store.status("HARMONi-6"))
        XCTAssertEqual(status.expectations.map(\.state), [.met, .pending, .pending])
        XCTAssertEqual(status.summary.status, .activeNotRecruiting)
        try assertProjectionsEqualARebuild()
    }

    func testFactsOlderThanTheRecentOnesReplayAndReadTheHistoryOncePerTransaction() throws {
        try makeLongTrial("HARMONi-6", events: 200)
        let before = store.writer.paths
        // Older than every recent fact: each replays, from the history read once.
        let old = try (0..<10).map { try historyEvent("HARMONi-6", $0 + 1, day($0, from: "2019-06-01")) }
        guard case .success = try store.append(groups: [old], recordedBy: "t")[0] else { return XCTFail("refused") }
        var after = store.writer.paths
        XCTAssertEqual(after.replayed - before.replayed, 10)
        XCTAssertEqual(after.historiesRead - before.historiesRead, 1)
        // The replay leaves recent facts to merge among: the next backfill does not replay.
        try append("HARMONi-6", .presented, "2026-01-05", ["venue": "ESMO 2026"])
        after = store.writer.paths
        XCTAssertEqual(after.replayed - before.replayed, 10)
        try assertProjectionsEqualARebuild()
    }

    /// A merged fact is checked, and so are the recent facts after it: a withdrawal before an
    /// actual enrollment is refused as a replay refuses it, and its group leaves nothing.
    func testAMergedFactIsCheckedAgainstTheRecentFactsAfterIt() throws {
        try makeLongTrial("HARMONi-6", events: 100)
        try append("HARMONi-6", .enrollmentUpdated, "2026-11-20", ["count": 400, "type": "actual"])
        let group = [
            try historyEvent("HARMONi-6", 2, "2026-01-01"),
            try event("HARMONi-6", .statusChanged, "2026-02-01", ["status": "withdrawn"]),
        ]
        let snapshotBefore = try snapshot()
        guard case .failure(let e) = try store.append(groups: [group], recordedBy: "t")[0] else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(e.index, 1)
        guard case .contradiction = e.error else { return XCTFail("\(e.error)") }
        XCTAssertEqual(try snapshot(), snapshotBefore)
        // Merged into a transaction whose earlier group was refused: the cache was put back.
        let results = try store.append(
            groups: [group, [try historyEvent("HARMONi-6", 3, "2026-03-01")]], recordedBy: "t")
        guard case .failure = results[0], case .success = results[1] else { return XCTFail("\(results)") }
        try assertProjectionsEqualARebuild()
    }
}
