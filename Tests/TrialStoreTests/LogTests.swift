import Foundation
import GRDB
import TrialDomain
import TrialTestSupport
import TrialStore
import XCTest

final class LogTests: StoreTestCase {
    let illumine: JSONValue = [
        "title": "Ivonescimab or ivonescimab + ligufalimab vs pembrolizumab in first-line R/M PD-L1-positive HNSCC",
        "acronym": "ILLUMINE",
        "identifiers": [
            ["registry": "nct", "id": "NCT07264075"], ["registry": "ctis", "id": "2025-522996-27-00"],
            ["registry": "sponsor", "id": "GORTEC 2024-04"],
        ],
        "sponsor": "Akeso Biopharma Co., Ltd.",
        "collaborators": ["Summit Therapeutics", "Groupe Oncologie Radiotherapie Tete et Cou"],
        "phases": ["phase-3"], "conditions": ["HNSCC"], "primaryEndpoints": ["OS"],
        "enrollment": ["count": 780, "type": "estimated"], "design": ["allocation": "randomized", "masking": "none"],
    ]

    /// The appended event and the one read back carry the payload text the log stores, which
    /// replies copy: the canonical text of the payload.
    func testEventsCarryTheirStoredPayloadText() throws {
        let c = try append("HARMONi-2", .interimAnalysis, "2024", Fixture.harmoni2Interim)
        let stored = try store.pool.read { try String.fetchOne($0, sql: "SELECT payload FROM events WHERE seq = 1") }
        XCTAssertEqual(c.event.payloadText, stored)
        XCTAssertEqual(stored, c.event.payload.json.canonicalText)
        XCTAssertEqual(try store.event(seq: 1)?.payloadText, stored)
        XCTAssertEqual(try store.events(LogQuery()).first?.payloadText, stored)
    }

    func testAppendsAreGaplessVersionedAndReadBackAtOnce() throws {
        let a = try append("HARMONi-2", .statusChanged, "2022-10", ["status": "recruiting"])
        let b = try append("HARMONi-6", .statusChanged, "2023-01", ["status": "recruiting"])
        let c = try append("HARMONi-2", .interimAnalysis, "2024", Fixture.harmoni2Interim)
        XCTAssertEqual([a, b, c].map(\.event.seq), [1, 2, 3])
        XCTAssertEqual([a, b, c].map(\.event.version), [1, 1, 2])
        XCTAssertEqual(c.event.recordedBy, "tester (uid 1000)")
        XCTAssertLessThan(a.event.recorded, c.event.recorded)
        XCTAssertEqual(c.event.hash.count, 32)
        // A status right after the append sees it (projections are in the append's transaction).
        let view = try XCTUnwrap(try store.status("harmoni-2"))
        XCTAssertEqual(view.summary.status, .recruiting)
        XCTAssertEqual(view.timeline.map(\.seq), [1, 3])
        guard case .interimAnalysis(let i) = view.timeline[1].payload else { return XCTFail() }
        XCTAssertEqual(i.results.first?.hazardRatio?.value, 0.51)
        XCTAssertEqual(try store.events(LogQuery()).map(\.seq), [1, 2, 3])
        XCTAssertEqual(try store.events(LogQuery(trial: "HARMONi-2")).map(\.seq), [1, 3])
        XCTAssertEqual(try store.events(LogQuery(afterSeq: 1, types: [.interimAnalysis])).map(\.seq), [3])
        XCTAssertEqual(try store.events(LogQuery(limit: 2)).map(\.seq), [1, 2])
        // The same after reopening the file.
        try reopen()
        XCTAssertEqual(try store.status("HARMONi-2")?.summary.version, 2)
        XCTAssertEqual(
            try append("HARMONi-2", .readout, "2025", ["kind": "final", "outcome": "positive"]).event.seq, 4)
    }

    /// Replays and rebuilds read results only down to their endpoints' names
    /// (`PayloadDetail.lifecycle`); what a reader is shown still has all of them: after a
    /// rebuild, and after an out-of-order append that replayed the trial from the log. The
    /// corrected interim analysis is the one payload of a fold that is written into a table
    /// (its timeline row's `corrected_payload`): a correction is read in full.
    func testResultsSurviveARebuildAndAReplay() throws {
        try append("HARMONi-2", .statusChanged, "2022-05", ["status": "not-yet-recruiting"])
        try append("HARMONi-2", .milestoneExpected, "2023-01", ["milestone": "interim-analysis:PFS", "window": "2024"])
        try append("HARMONi-2", .interimAnalysis, "2024-05", Fixture.harmoni2Interim)
        var corrected = try XCTUnwrap(Fixture.harmoni2Interim.objectValue)
        corrected["venue"] = "ESMO 2024"
        try append(nil, .corrected, "2024-09", ["target": 3, "reason": "venue added", "payload": .object(corrected)])
        let before = try XCTUnwrap(try store.status("HARMONi-2"))
        func hazardRatio(_ view: TrialView) -> Double? {
            for e in view.timeline {
                if case .interimAnalysis(let i) = e.payload { return i.results.first?.hazardRatio?.value }
            }
            return nil
        }
        XCTAssertEqual(hazardRatio(before), 0.51)
        XCTAssertEqual(before.expectations.first?.state, .met)
        try store.rebuild()
        XCTAssertEqual(try store.status("HARMONi-2"), before)
        // Out of order: dated before the interim analysis, so the trial is folded again.
        try append("HARMONi-2", .statusChanged, "2023-06", ["status": "recruiting"])
        let after = try XCTUnwrap(try store.status("HARMONi-2"))
        XCTAssertEqual(hazardRatio(after), 0.51)
        XCTAssertEqual(after.summary.lastMilestone?.seq, 3)
        XCTAssertEqual(after.expectations.first?.state, .met)
        try store.rebuild()
        XCTAssertEqual(try store.status("HARMONi-2"), after)
    }

    func testAnyIdentifierFindsTheTrial() throws {
        try append("ILLUMINE", .registered, "2025-12-04", illumine)
        for name in [
            "ILLUMINE", "illumine", "NCT07264075", "nct07264075", "2025-522996-27-00", "GORTEC 2024-04",
            "gortec 2024-04",
        ] {
            XCTAssertEqual(try store.resolve(name), "ILLUMINE", name)
        }
        XCTAssertNil(try store.resolve("NCT00000000"))
        // Appending under another of its names lands in the same stream.
        let e = try append("NCT07264075", .statusChanged, "2025-12-04", ["status": "not-yet-recruiting"])
        XCTAssertEqual(e.event.trial, "ILLUMINE")
        XCTAssertEqual(e.event.version, 2)
    }

    func testATrialFirstKnownByAcronymGainsItsNCTNumber() throws {
        try append(
            "HARMONi-6", .interimAnalysis, "2025-04",
            ["analysis": "first interim", "endpoints": ["PFS"], "outcome": "met"])
        XCTAssertNil(try store.resolve("NCT05840016"))
        try append(
            "HARMONi-6", .registered, "2025-05",
            [
                "title": "HARMONi-6", "acronym": "HARMONi-6",
                "identifiers": [["registry": "nct", "id": "NCT05840016"]],
            ])
        XCTAssertEqual(try store.resolve("NCT05840016"), "HARMONi-6")
        XCTAssertEqual(try store.status("NCT05840016")?.timeline.count, 2)
    }

    func testAnIdentifierOfAnotherTrialIsRefused() throws {
        try append("NCT07264075", .statusChanged, "2025-12-04", ["status": "not-yet-recruiting"])
        try assertRefused(try event("ILLUMINE", .registered, "2025-12-04", illumine)) {
            $0 == .identifierTaken(identifier: "NCT07264075", trial: "NCT07264075")
        }
    }

    func testExpectedVersion() throws {
        try append("HARMONi-A", .statusChanged, "2022", ["status": "recruiting"], expectedVersion: 0)
        try append("HARMONi-A", .statusChanged, "2023", ["status": "active-not-recruiting"], expectedVersion: 1)
        try assertRefused(
            try event("HARMONi-A", .readout, "2024", ["kind": "primary", "outcome": "positive"], expectedVersion: 1)
        ) {
            $0 == .wrongExpectedVersion(trial: "HARMONi-A", expected: 1, current: 2)
        }
        try assertRefused(
            try event("HARMONi-B", .readout, "2024", ["kind": "primary", "outcome": "positive"], expectedVersion: 3)
        ) {
            $0 == .wrongExpectedVersion(trial: "HARMONi-B", expected: 3, current: 0)
        }
        XCTAssertEqual(
            AppendError.wrongExpectedVersion(trial: "HARMONi-A", expected: 1, current: 2).description,
            "HARMONi-A is at version 2, not 1")
    }

    func testIdempotentEventIDs() throws {
        let id = "0b7c6f0e-8a4b-4c1e-9f00-5f7a1c2d3e4f"
        let first = try append("HARMONi-A", .readout, "2024", ["kind": "primary", "outcome": "positive"], id: id)
        try append("HARMONi-A", .presented, "2024", ["venue": "ASCO 2024", "abstract": "8508"])
        // The same id and content: the first result, nothing written.
        let before = try snapshot()
        let again = try append(
            "HARMONi-A", .readout, "2024", ["kind": "primary", "outcome": "positive"], id: id.uppercased())
        XCTAssertTrue(again.replayed)
        XCTAssertEqual(again.event, first.event)
        XCTAssertEqual(try snapshot(), before)
        // The same id, other content: refused, naming the first event.
        try assertRefused(try event("HARMONi-A", .readout, "2024", ["kind": "primary", "outcome": "negative"], id: id))
        {
            $0 == .idConflict(id: id, seq: 1)
        }
    }

    func testContradictionsAreRefusedAndTheLogIsUnchanged() throws {
        try append(
            "NCT00973089", .statusChanged, "2009-09", ["status": "withdrawn", "whyStopped": "Study was not initiated"])
        try assertRefused(try event("NCT00973089", .readout, "2010", ["kind": "primary", "outcome": "positive"])) {
            if case .contradiction(let v) = $0 { return v.reason.contains("withdrawn") }
            return false
        }
        // Dated before the withdrawal (out of order): still a contradiction.
        try assertRefused(try event("NCT00973089", .interimAnalysis, "2008", ["outcome": "continue"])) {
            if case .contradiction = $0 { return true }
            return false
        }
        try append("NCT02552212", .statusChanged, "2018-06", ["status": "completed"])
        try assertRefused(try event("NCT02552212", .statusChanged, "2019-01", ["status": "recruiting"])) {
            if case .contradiction(let v) = $0 { return v.reason.contains("unless a correction of seq 2 says so") }
            return false
        }
    }

    func testCorrectionsAndRetractionsKeepTheOriginal() throws {
        try append("NCT02552212", .statusChanged, "2018-06", ["status": "completed"])
        let fix = try append(
            nil, .corrected, "2018-07",
            ["target": 1, "reason": "registry error", "payload": ["status": "active-not-recruiting"]])
        XCTAssertEqual(fix.event.trial, "NCT02552212")
        XCTAssertEqual(fix.trial.status, .activeNotRecruiting)
        try append("NCT02552212", .statusChanged, "2019-01", ["status": "recruiting"])  // allowed now
        // The original is still in the log, unchanged.
        XCTAssertEqual(try store.event(seq: 1)?.payload, .statusChanged(StatusChanged(status: .completed)))
        let timeline = try XCTUnwrap(try store.status("NCT02552212")).timeline
        XCTAssertEqual(timeline.map(\.seq), [1, 3])
        XCTAssertEqual(timeline[0].correctedBy, 2)

        let r = try append("NCT02552212", .retracted, "2019-02", ["target": 3, "reason": "wrong trial"])
        XCTAssertEqual(r.trial.status, .activeNotRecruiting)
        XCTAssertEqual(try store.status("NCT02552212")?.timeline.map(\.seq), [1])
        XCTAssertEqual(try store.event(seq: 3)?.type, .statusChanged)

        try assertRefused(try event(nil, .retracted, "2019-02", ["target": 3, "reason": "again"])) {
            $0 == .notAmendable(seq: 3, reason: "it was retracted by seq 4")
        }
        try assertRefused(try event(nil, .retracted, "2019-02", ["target": 4, "reason": "undo"])) {
            if case .notAmendable(4, let why) = $0 { return why.contains("retracted event") }
            return false
        }
        try assertRefused(try event(nil, .retracted, "2019-02", ["target": 99, "reason": "x"])) {
            $0 == .noSuchEvent(seq: 99)
        }
        try assertRefused(
            try event(nil, .corrected, "2019-02", ["target": 1, "reason": "x", "payload": ["status": "paused"]])
        ) {
            if case .invalid(let v) = $0 { return v.field == "payload.payload.status" }
            return false
        }
        try append("HARMONi-2", .statusChanged, "2022", ["status": "recruiting"])
        try assertRefused(try event("HARMONi-2", .retracted, "2019-02", ["target": 1, "reason": "x"])) {
            $0 == .wrongTrial(seq: 1, trial: "NCT02552212", given: "HARMONi-2")
        }
    }

    func testGroupsAreAllOrNothingAndIndependent() throws {
        let good = try event("HARMONi-2", .statusChanged, "2022", ["status": "recruiting"])
        let bad = try event("HARMONi-2", .statusChanged, "2023", ["status": "completed"])
        let worse = try event("HARMONi-2", .statusChanged, "2024", ["status": "recruiting"])
        let other = try event("HARMONi-6", .statusChanged, "2023", ["status": "recruiting"])
        let results = try store.append(groups: [[good, bad, worse], [other]], recordedBy: "tester")
        guard case .failure(let e) = results[0] else { return XCTFail("group 1 should fail") }
        XCTAssertEqual(e.index, 2)
        guard case .success(let ok) = results[1] else { return XCTFail("group 2 should succeed") }
        XCTAssertEqual(ok.map(\.event.seq), [1])  // gapless: the refused group took no numbers
        XCTAssertNil(try store.status("HARMONi-2"))
        XCTAssertEqual(try store.verify().ok, true)
        // The writer's memory was restored with the rollback: the trial appends as new.
        XCTAssertEqual(try append("HARMONi-2", .statusChanged, "2022", ["status": "recruiting"]).event.version, 1)
    }

    func testOverdueIsWrittenOnce() throws {
        let x = try append(
            "HARMONi-6", .milestoneExpected, "2026-06-02", ["milestone": "presented:ESMO", "window": "2026-10"])
        try append("HARMONi-6", .milestoneOverdue, "2026-11-01", ["expected": .int(x.event.seq)])
        try assertRefused(try event("HARMONi-6", .milestoneOverdue, "2026-11-02", ["expected": .int(x.event.seq)])) {
            if case .contradiction(let v) = $0 { return v.reason.contains("already overdue") }
            return false
        }
        XCTAssertEqual(try store.status("HARMONi-6")?.expectations.first?.state, .overdue)
    }
}
