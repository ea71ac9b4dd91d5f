import TrialDomain
import TrialTestSupport
import XCTest

final class EventValidationTests: XCTestCase {
    func refused(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> ValidationError? {
        do {
            _ = try NewEvent(json: .parsed(json), today: Fixture.today)
            XCTFail("accepted: \(json)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testTheContractExampleIsAccepted() throws {
        let e = try NewEvent(
            json: .parsed(
                """
                {"trial": "NCT07264075", "type": "status-changed", "occurred": "2026-02",
                 "source": "ClinicalTrials.gov NCT07264075, last update 2026-02-10",
                 "id": "8F0C2D4E-1A2B-4C3D-9E8F-0123456789AB", "expectedVersion": 3,
                 "payload": {"status": "recruiting"}}
                """), today: Fixture.today)
        XCTAssertEqual(e.trial?.text, "NCT07264075")
        XCTAssertEqual(e.payload, .statusChanged(StatusChanged(status: .recruiting)))
        XCTAssertEqual(e.occurred.description, "2026-02")
        XCTAssertEqual(e.id, "8f0c2d4e-1a2b-4c3d-9e8f-0123456789ab")
        XCTAssertEqual(e.expectedVersion, 3)
        // The contract form round-trips.
        XCTAssertEqual(try NewEvent(json: e.json, today: Fixture.today), e)
    }

    func testEachBadInputNamesTheFieldAndReason() {
        let base = #""trial": "HARMONi-2", "occurred": "2025""#
        let cases: [(String, String, String)] = [
            (#"{\#(base), "type": "readout-ish", "payload": {}}"#, "type", "unknown event type 'readout-ish'"),
            (#"{\#(base), "type": "status-changed", "payload": {}}"#, "payload.status", "missing (required)"),
            (
                #"{\#(base), "type": "status-changed", "payload": {"status": 3}}"#, "payload.status",
                "expected a string, got a number"
            ),
            (
                #"{\#(base), "type": "status-changed", "payload": {"status": "paused"}}"#, "payload.status",
                "'paused' is not one of"
            ),
            (
                #"{\#(base), "type": "status-changed", "payload": {"status": "recruiting", "note": "x"}}"#,
                "payload.note", "unknown field"
            ),
            (
                #"{\#(base), "type": "status-changed", "payload": {"status": "recruiting"}, "extra": 1}"#, "extra",
                "unknown field"
            ),
            (
                #"{"trial": "NCT123", "occurred": "2025", "type": "readout", "payload": {}}"#, "trial",
                "NCT followed by 8 digits"
            ),
            (#"{"occurred": "2025", "type": "readout", "payload": {}}"#, "trial", "missing"),
            (#"{\#(base), "type": "status-changed"}"#, "payload", "missing"),
            (
                #"{"trial": "X", "occurred": "April 2025", "type": "status-changed", "payload": {"status": "recruiting"}}"#,
                "occurred", "is not a date"
            ),
            (
                #"{\#(base), "type": "status-changed", "id": "123", "payload": {"status": "recruiting"}}"#, "id",
                "not a UUID"
            ),
            (
                #"{\#(base), "type": "status-changed", "expectedVersion": -1, "payload": {"status": "recruiting"}}"#,
                "expectedVersion", "out of range"
            ),
            (
                #"{\#(base), "type": "enrollment-updated", "payload": {"count": 12.5, "type": "actual"}}"#,
                "payload.count", "whole number"
            ),
            (
                #"{\#(base), "type": "readout", "payload": {"kind": "primary", "outcome": "positive", "results": [{"endpoint": "OS", "hazardRatio": {"value": 0.5, "ciLow": 0.7, "ciHigh": 0.9}}]}}"#,
                "payload.results[0].hazardRatio.ciLow", "above the value"
            ),
            (
                #"{\#(base), "type": "readout", "payload": {"kind": "primary", "outcome": "positive", "results": [{"endpoint": "OS", "pValue": {"value": 1.5}}]}}"#,
                "payload.results[0].pValue.value", "between 0 and 1"
            ),
            (
                #"{\#(base), "type": "registered", "payload": {"title": "T", "identifiers": [{"registry": "nct", "id": "NCT1"}]}}"#,
                "payload.identifiers[0].id", "NCT followed by 8 digits"
            ),
            (
                #"{\#(base), "type": "registered", "payload": {"title": "T", "phases": ["phase-5"]}}"#,
                "payload.phases[0]", "'phase-5' is not one of"
            ),
            (
                #"{\#(base), "type": "published", "payload": {"citation": "Lancet", "doi": "lancet-2025"}}"#,
                "payload.doi", "not a DOI"
            ),
            (
                #"{\#(base), "type": "milestone-expected", "payload": {"milestone": "party", "window": "2027"}}"#,
                "payload.milestone", "not a milestone"
            ),
            (#"{\#(base), "type": "dates-updated", "payload": {}}"#, "payload", "at least one"),
            (
                #"{"trial": "HARMONi-6", "occurred": "2027", "type": "readout", "payload": {"kind": "final", "outcome": "positive"}}"#,
                "occurred", "in the future"
            ),
            (#"[1, 2]"#, "", "expected an object"),
        ]
        for (json, field, reason) in cases {
            guard let e = refused(json) else { continue }
            XCTAssertEqual(e.field, field, json)
            XCTAssertTrue(e.reason.contains(reason), "\(json): \(e.reason)")
            XCTAssertFalse(e.description.contains("\n"))
        }
    }

    func testForecastsMayLieAheadAndClockSkewIsForgiven() throws {
        XCTAssertNoThrow(
            try Fixture.new(
                "HARMONi-6", .milestoneExpected, "2026-06", ["milestone": "regulatory-submission", "window": "2027"]))
        // Tomorrow: within the clock skew allowed.
        XCTAssertNoThrow(try Fixture.new("HARMONi-6", .presented, "2026-11-22", ["venue": "ESMO 2026"]))
        XCTAssertThrowsError(try Fixture.new("HARMONi-6", .presented, "2026-11-23", ["venue": "ESMO 2026"]))
    }

    func testHarmoni2InterimResultsAreStructured() throws {
        guard case .interimAnalysis(let i) = try Payload(type: .interimAnalysis, json: Fixture.harmoni2Interim) else {
            return XCTFail()
        }
        let r = try XCTUnwrap(i.results.first)
        XCTAssertEqual(r.hazardRatio, .init(value: 0.51, ciLow: 0.38, ciHigh: 0.69, ciLevel: 95))
        XCTAssertEqual(r.pValue, .init(value: 0.0001, comparator: .less, sided: 1))
        XCTAssertEqual(r.values.map(\.value), [11.1, 5.8])
        XCTAssertEqual(r.summary, "PFS 11.1 vs 5.8 months, HR 0.51 (95% CI 0.38–0.69), 1-sided P < .0001, n = 398")
        XCTAssertEqual(
            EventText.describe(.interimAnalysis(i)), "preplanned interim analysis: PFS, primary endpoint met")
        // Canonical JSON round-trips to the same payload.
        XCTAssertEqual(
            try Payload(type: .interimAnalysis, json: .parsed(Payload.interimAnalysis(i).json.canonicalText)),
            .interimAnalysis(i))
    }

    /// Replays and rebuilds read results down to their endpoints' names: the lifecycle, the
    /// milestone's text and the expectations it meets are the same as from the whole payload.
    func testALifecycleReadKeepsWhatTheFoldReads() throws {
        guard case .interimAnalysis(let full) = try Payload(type: .interimAnalysis, json: Fixture.harmoni2Interim),
            case .interimAnalysis(let lean) = try Payload(
                type: .interimAnalysis, json: Fixture.harmoni2Interim, detail: .lifecycle)
        else { return XCTFail() }
        XCTAssertEqual(lean.results.map(\.endpoint), ["PFS"])
        XCTAssertEqual(lean.results.first?.hazardRatio, nil)
        XCTAssertEqual(lean.results.first?.values, [])
        XCTAssertEqual(full.results.first?.hazardRatio?.value, 0.51)  // the default reads it all
        XCTAssertEqual(EventText.describe(.interimAnalysis(lean)), EventText.describe(.interimAnalysis(full)))
        XCTAssertEqual([lean.analysis, lean.outcome.rawValue] as [String?], [full.analysis, full.outcome.rawValue])
        // A forecast of a PFS readout is met by the lean readout as by the whole one.
        let readout: JSONValue = [
            "kind": "primary", "outcome": "positive",
            "results": [["endpoint": "PFS", "hazardRatio": ["value": 0.51, "ciLow": 0.38, "ciHigh": 0.69]]],
        ]
        let spec = try MilestoneSpec(parsing: "readout:PFS")
        XCTAssertTrue(spec.matches(try Payload(type: .readout, json: readout, detail: .lifecycle)))
        XCTAssertTrue(spec.matches(try Payload(type: .readout, json: readout)))
        XCTAssertFalse(
            try MilestoneSpec(parsing: "readout:OS").matches(
                try Payload(type: .readout, json: readout, detail: .lifecycle)))
        // A result still needs its endpoint.
        XCTAssertThrowsError(
            try Payload(
                type: .readout, json: ["kind": "primary", "outcome": "positive", "results": [["n": 3]]],
                detail: .lifecycle))
    }

    func testMilestoneSpecsParse() throws {
        XCTAssertEqual(try MilestoneSpec(parsing: "readout:OS").description, "readout:OS")
        XCTAssertEqual(try MilestoneSpec(parsing: " readout : final OS ").description, "readout:final OS")
        XCTAssertEqual(try MilestoneSpec(parsing: "readout:").description, "readout")
        XCTAssertEqual(try MilestoneSpec(parsing: "regulatory-decision").qualifier, nil)
        XCTAssertEqual(try MilestoneSpec(parsing: "readout:a:b").qualifier, "a:b")
        for bad in ["", ":OS", "corrected", "readouts:OS", "withdrawn"] {
            XCTAssertThrowsError(try MilestoneSpec(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".contains("is not a milestone"), "\(error)")
            }
        }
    }

    func testRegistrySpellingsAreAccepted() throws {
        let p = try Payload(type: .statusChanged, json: ["status": "ACTIVE_NOT_RECRUITING"])
        XCTAssertEqual(p, .statusChanged(StatusChanged(status: .activeNotRecruiting)))
        XCTAssertEqual(TrialStatus.allCases.count, 14)
    }

    func testJournaldStyleLines() throws {
        let readout = try Payload(
            type: .readout, json: ["kind": "primary", "outcome": "positive", "endpoints": ["OS"], "venue": "ASCO 2026"])
        XCTAssertEqual(EventText.describe(readout), "OS, primary endpoint met (ASCO 2026)")
        let sub = try Payload(
            type: .regulatorySubmission,
            json: ["agency": "FDA", "application": "BLA", "state": "planned", "targetActionDate": "2027"])
        XCTAssertEqual(EventText.describe(sub), "FDA BLA planned (target action 2027)")
    }
}
