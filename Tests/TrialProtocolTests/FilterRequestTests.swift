import TrialDomain
import TrialProtocol
import XCTest

/// The filters of Status, Upcoming and Log (issue 30) as the contract reads them.
final class FilterRequestTests: XCTestCase {
    func refusal<R: TrialsRequest>(_ type: R.Type, _ p: JSONValue) -> TrialsError? {
        do { _ = try R(parameters: p.objectValue ?? JSONObject()); return nil } catch { return error }
    }

    func testTheFiltersAreReadOnStatusUpcomingAndLog() throws {
        let p: JSONValue = [
            "phases": ["3", "PHASE2", "phase-2/phase-3", "Early_Phase1", "n/a"],
            "statuses": ["recruiting", "ACTIVE_NOT_RECRUITING"],
            "sponsors": ["Akeso"], "conditions": ["NSCLC", "lung cancer"], "interventions": ["ivonescimab"],
            "followed": true,
        ]
        let expected = TrialFilter(
            phases: [.phase3, .phase2, .phase2_3, .early1, .notApplicable],
            statuses: [.recruiting, .activeNotRecruiting],
            sponsors: ["Akeso"], conditions: ["NSCLC", "lung cancer"], interventions: ["ivonescimab"], followed: true)
        let status = try StatusRequest(parameters: p.objectValue!)
        XCTAssertEqual(status.filter, expected)
        XCTAssertEqual(try UpcomingRequest(parameters: p.objectValue!).filter, expected)
        var log = p.objectValue!
        log["limit"] = 5
        XCTAssertEqual(try LogRequest(parameters: log).filter, expected)
        // Written back in the vocabulary's terms, and read again the same.
        XCTAssertEqual(status.parameters["phases"], ["3", "2", "2/3", "early-1", "not-applicable"])
        XCTAssertEqual(status.parameters["statuses"], ["recruiting", "active-not-recruiting"])
        XCTAssertEqual(try StatusRequest(parameters: status.parameters), status)
        // No filter: no parameters, and nothing filtered.
        XCTAssertEqual(StatusRequest().parameters, JSONObject())
        XCTAssertTrue(try StatusRequest(parameters: JSONObject()).filter.isEmpty)
        XCTAssertTrue(try StatusRequest(parameters: JSONObject([("followed", .bool(false))])).filter.isEmpty)
    }

    func testUnknownValuesAreRefusedWithTheValidOnes() {
        XCTAssertEqual(
            refusal(StatusRequest.self, ["phases": ["3", "5"]]),
            .invalidFilter(
                parameter: "phases", value: "5", valid: ["early-1", "1", "1/2", "2", "2/3", "3", "4", "not-applicable"])
        )
        XCTAssertEqual(
            refusal(UpcomingRequest.self, ["statuses": ["recruting"]]),
            .invalidFilter(parameter: "statuses", value: "recruting", valid: TrialStatus.allCases.map(\.rawValue)))
        XCTAssertEqual(
            refusal(LogRequest.self, ["sponsors": ["--"]]),
            .invalidFilter(parameter: "sponsors", value: "--", valid: []))
        XCTAssertEqual(refusal(StatusRequest.self, ["phases": "3"]), .invalidParameter(parameter: "phases"))
        XCTAssertEqual(refusal(StatusRequest.self, ["followed": "yes"]), .invalidParameter(parameter: "followed"))
        XCTAssertEqual(
            refusal(
                StatusRequest.self, ["sponsors": .array(Array(repeating: "a", count: TrialFilter.maximumValues + 1))]),
            .invalidParameter(parameter: "sponsors"))
    }

    func testInvalidFilterGoesOverTheWireAndBack() {
        let e = TrialsError.invalidFilter(parameter: "phases", value: "5", valid: ["1", "2"])
        XCTAssertEqual(e.varlinkError.name, "org.trialtrack.Trials.InvalidFilter")
        XCTAssertEqual(TrialsError(e.varlinkError), e)
    }

    func testNamesAreMatchedAsWords() {
        XCTAssertEqual(TrialFilter.words("  Non-Small-Cell  Lung Cancer. "), "non small cell lung cancer")
        XCTAssertEqual(TrialFilter.wordSuffixes("Akeso, Inc."), ["akeso inc", "inc"])
        XCTAssertEqual(TrialFilter.words("Sjögren's Syndrome (PD-L1 ≥ 1%)"), "sjögren s syndrome pd l1 1")
        XCTAssertEqual(TrialFilter.words("Sjogren's Syndrome (PD-L1 >= 1%)"), "sjogren s syndrome pd l1 1")
        XCTAssertEqual(TrialFilter.wordSuffixes("--"), [])
        XCTAssertEqual(PhaseTerm.terms(of: [.phase2, .phase3]), [.phase2, .phase3, .phase2_3])
        XCTAssertNil(PhaseTerm(filter: "5"))
        XCTAssertEqual(PhaseTerm(filter: "Phase 1/2"), .phase1_2)
    }
}
