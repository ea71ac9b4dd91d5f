import TrialDomain
import TrialTestSupport
import XCTest

final class LifecycleTests: XCTestCase {
    typealias E = (String, EventType, JSONValue)

    /// Folds events given as (occurred, type, payload), seq in the order given.
    func fold(_ events: [E], trial: String = "HARMONi-6", strictLast: Bool = true) throws -> TrialFold {
        let recorded = try events.enumerated().map { i, e in try Fixture.recorded(Int64(i + 1), trial, e.1, e.0, e.2) }
        return try TrialFold.fold(key: trial, events: recorded, strictSeq: strictLast ? Int64(events.count) : nil)
    }

    func violation(_ events: [E], file: StaticString = #filePath, line: UInt = #line) -> LifecycleViolation? {
        do {
            _ = try fold(events)
            XCTFail("no violation", file: file, line: line)
        } catch {
            return error as? LifecycleViolation
        }
        return nil
    }

    func status(_ s: String) -> JSONValue { ["status": .string(s)] }
    let positiveOS: JSONValue = ["kind": "primary", "outcome": "positive", "endpoints": ["OS"], "venue": "ASCO 2026"]

    func testHarmoni6InterimThenOSReadout() throws {
        // Page 001: PFS met at the first interim ("April 2025"); OS significant at ASCO 2026.
        let f = try fold([
            ("2025-04", .interimAnalysis, ["analysis": "first interim", "endpoints": ["PFS"], "outcome": "met"]),
            ("2026-06-02", .readout, positiveOS),
        ])
        XCTAssertEqual(f.timeline.map(\.occurred.description), ["2025-04", "2026-06-02"])
        XCTAssertEqual(f.summary.lastMilestone?.text, "OS, primary endpoint met (ASCO 2026)")
        XCTAssertEqual(f.summary.version, 2)
    }

    func testWorldOrderNotRecordingOrder() throws {
        // Learnt in reverse: completed first, recruiting a year earlier afterwards.
        let f = try fold([
            ("2025-12", .statusChanged, status("completed")),
            ("2024-03", .statusChanged, status("recruiting")),
            ("2024-09", .statusChanged, status("active-not-recruiting")),
        ])
        XCTAssertEqual(f.summary.status, .completed)
        XCTAssertEqual(f.summary.statusSince?.description, "2025-12")
        XCTAssertEqual(f.timeline.map(\.seq), [2, 3, 1])
    }

    func testReadoutOfAWithdrawnTrialIsAContradictionEitherWay() {
        let v1 = violation([("2025-01", .statusChanged, status("withdrawn")), ("2025-06", .readout, positiveOS)])
        XCTAssertEqual(v1?.seq, 2)
        XCTAssertTrue(v1?.reason.contains("withdrawn") == true)
        // Recorded later but dated earlier: the withdrawal now follows a result.
        let v2 = violation([("2025-06", .statusChanged, status("withdrawn")), ("2025-01", .readout, positiveOS)])
        XCTAssertTrue(v2?.reason.contains("cannot be withdrawn: it has results") == true, "\(String(describing: v2))")
    }

    func testRecruitingAgainAfterCompletedNeedsACorrection() throws {
        let v = violation([
            ("2024-01", .statusChanged, status("recruiting")), ("2025-01", .statusChanged, status("completed")),
            ("2025-06", .statusChanged, status("recruiting")),
        ])
        XCTAssertTrue(
            v?.reason.contains("cannot be recruiting after completed (seq 2) unless a correction of seq 2 says so")
                == true, "\(String(describing: v))")
        // With the completion corrected, recruiting again is fine.
        let f = try fold([
            ("2024-01", .statusChanged, status("recruiting")), ("2025-01", .statusChanged, status("completed")),
            (
                "2025-02", .corrected,
                ["target": 2, "reason": "registry error: still enrolling", "payload": status("active-not-recruiting")]
            ),
            ("2025-06", .statusChanged, status("recruiting")),
        ])
        XCTAssertEqual(f.summary.status, .recruiting)
        XCTAssertEqual(f.timeline.first { $0.seq == 2 }?.correctedBy, 3)
        XCTAssertEqual(
            f.timeline.first { $0.seq == 2 }?.payload, .statusChanged(StatusChanged(status: .activeNotRecruiting)))
    }

    func testUnknownKeepsTheLastKnownStatusForTheRules() {
        let v = violation([
            ("2024-01", .statusChanged, status("completed")),
            ("2025-01", .statusChanged, ["status": "unknown"]),
            ("2025-06", .statusChanged, status("recruiting")),
        ])
        XCTAssertTrue(v?.reason.contains("after completed") == true)
    }

    func testBackwardMovesRegistriesMakeAreAllowed() throws {
        let f = try fold([
            ("2024-01", .statusChanged, status("recruiting")),
            ("2024-06", .statusChanged, status("active-not-recruiting")),
            ("2024-09", .statusChanged, status("enrolling-by-invitation")),
            ("2024-10", .statusChanged, status("suspended")),
            ("2024-12", .statusChanged, status("recruiting")),
            ("2025-01", .statusChanged, status("not-yet-recruiting")),
            ("2025-06", .statusChanged, status("terminated")), ("2025-07", .statusChanged, status("completed")),
        ])
        XCTAssertEqual(f.summary.status, .completed)
    }

    func testGapsAreNeverRefused() throws {
        // A readout with no recorded interim, a decision with no submission, results with no status.
        let f = try fold([
            ("2026-06-02", .readout, positiveOS),
            ("2026-09", .regulatoryDecision, ["agency": "NMPA", "decision": "approved"]),
        ])
        XCTAssertEqual(f.timeline.count, 2)
        XCTAssertNil(f.summary.status)
    }

    func testWithdrawnTrialsEnrolledNoOne() {
        let v = violation([
            ("2024-01", .enrollmentUpdated, ["count": 12, "type": "actual"]),
            ("2024-06", .statusChanged, status("withdrawn")),
        ])
        XCTAssertTrue(v?.reason.contains("enrolled 12 participants") == true)
        XCTAssertNoThrow(
            try fold([
                ("2024-01", .enrollmentUpdated, ["count": 400, "type": "estimated"]),
                ("2024-06", .statusChanged, status("withdrawn")),
                ("2024-06", .enrollmentUpdated, ["count": 0, "type": "actual"]),
            ]))
    }

    func testRetractionRemovesTheFactButNotTheLog() throws {
        let f = try fold([
            ("2025-01", .statusChanged, status("withdrawn")),
            ("2025-02", .retracted, ["target": 1, "reason": "wrong trial"]),
            ("2025-06", .readout, positiveOS),
        ])
        XCTAssertEqual(f.timeline.map(\.seq), [3])
        XCTAssertNil(f.summary.status)
        XCTAssertEqual(f.summary.version, 3)
    }

    func testForecastsAreMetSupersededAndOverdue() throws {
        // HARMONi-6: submissions expected in 2027 (page 001); ESMO 2026 presentation expected.
        let f = try fold([
            ("2026-06-02", .milestoneExpected, ["milestone": "presented:ESMO", "window": "2026-10"]),
            ("2026-06-02", .milestoneExpected, ["milestone": "regulatory-submission", "window": "2026-H2"]),
            ("2026-07", .milestoneExpected, ["milestone": "regulatory-submission", "window": "2027"]),
            ("2026-10-19", .presented, ["venue": "ESMO 2026"]),
            ("2026-11-01", .milestoneExpected, ["milestone": "readout:OS", "window": "2026-Q3"]),
            ("2026-11-02", .milestoneOverdue, ["expected": 5]),
        ])
        XCTAssertEqual(f.expectations.map(\.state), [.met, .superseded, .pending, .overdue])
        XCTAssertEqual(f.expectations[0].resolvedBy, 4)
        XCTAssertEqual(f.expectations[1].resolvedBy, 3)
        XCTAssertEqual(f.summary.nextExpected?.seq, 5)  // the overdue one, window 2026-Q3, comes first
        // Marking it overdue twice is refused (the watcher writes it once).
        let twice = try [1, 2, 3].map { i -> RecordedEvent in
            i == 1
                ? try Fixture.recorded(
                    1, "T", .milestoneExpected, "2026-01", ["milestone": "readout", "window": "2026-Q1"])
                : try Fixture.recorded(Int64(i), "T", .milestoneOverdue, "2026-04", ["expected": 1])
        }
        XCTAssertThrowsError(try TrialFold.fold(key: "T", events: twice, strictSeq: 3)) { e in
            XCTAssertTrue("\(e)".contains("already overdue"))
        }
    }

    func testAFactLearntLateWinsOverAnOverdueMark() throws {
        let f = try fold([
            ("2026-01", .milestoneExpected, ["milestone": "readout", "window": "2026-Q1"]),
            ("2026-04-02", .milestoneOverdue, ["expected": 1]),
            ("2026-03-15", .readout, ["kind": "topline", "outcome": "positive"]),  // happened in the window
        ])
        XCTAssertEqual(f.expectations[0].state, .met)
        XCTAssertEqual(f.expectations[0].resolvedBy, 3)
    }

    func testIncrementalApplyEqualsFullFold() throws {
        let events = try [
            Fixture.recorded(
                1, "ILLUMINE", .registered, "2025-12-04",
                [
                    "title": "ILLUMINE", "acronym": "ILLUMINE",
                    "identifiers": [
                        ["registry": "nct", "id": "NCT07264075"], ["registry": "ctis", "id": "2025-522996-27-00"],
                    ],
                ]),
            Fixture.recorded(2, "ILLUMINE", .statusChanged, "2025-12-04", ["status": "not-yet-recruiting"]),
            Fixture.recorded(
                3, "ILLUMINE", .milestoneExpected, "2025-12-04",
                ["milestone": "status-changed:recruiting", "window": "2026-01-31"]),
            Fixture.recorded(4, "ILLUMINE", .statusChanged, "2026-02", ["status": "recruiting"]),
        ]
        var f = TrialFold(key: "ILLUMINE")
        for e in events {
            XCTAssertTrue(f.canApplyInOrder(e))
            try f.apply(e)
        }
        XCTAssertEqual(f, try TrialFold.fold(key: "ILLUMINE", events: events))
        XCTAssertEqual(f.expectations.first?.state, .met)
        XCTAssertEqual(Set(f.summary.aliases.map(\.id)), ["ILLUMINE", "NCT07264075", "2025-522996-27-00"])
    }
}
