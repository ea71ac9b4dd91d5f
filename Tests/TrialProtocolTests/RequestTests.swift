import TrialDomain
import TrialProtocol
import XCTest

/// The contract's requests read strictly, and its replies read back what they write.
final class RequestTests: XCTestCase {
    func refusal<R: TrialsRequest>(_ type: R.Type, _ p: JSONValue) -> TrialsError? {
        do { _ = try read(R.self, p); return nil } catch { return error }
    }

    func read<R: TrialsRequest>(_ type: R.Type, _ p: JSONValue) throws(TrialsError) -> R {
        try R(parameters: p.objectValue ?? JSONObject())
    }

    func o(_ v: JSONValue) -> JSONObject { v.objectValue ?? JSONObject() }

    func testUnknownMissingAndMistypedParametersAreNamed() {
        XCTAssertEqual(refusal(StatusRequest.self, ["trail": "X"]), .invalidParameter(parameter: "trail"))
        XCTAssertEqual(refusal(StatusRequest.self, ["trial": 7]), .invalidParameter(parameter: "trial"))
        XCTAssertEqual(
            refusal(LogRequest.self, ["types": ["registered", "nonsense"]]), .invalidParameter(parameter: "types"))
        XCTAssertEqual(refusal(AppendRequest.self, [:]), .invalidParameter(parameter: "event"))
        XCTAssertEqual(refusal(AppendManyRequest.self, ["events": []]), .invalidParameter(parameter: "events"))
        XCTAssertEqual(
            refusal(RetractRequest.self, ["seq": 3, "reason": "x", "payload": [:]]),
            .invalidParameter(parameter: "payload"))
        XCTAssertEqual(
            refusal(CorrectRequest.self, ["seq": 3, "reason": "x"]), .invalidParameter(parameter: "payload"))
        XCTAssertEqual(
            refusal(CorrectRequest.self, ["seq": 3, "reason": "", "payload": [:]]),
            .invalidParameter(parameter: "reason"))
        XCTAssertEqual(
            refusal(ImportRequest.self, ["document": [], "file": "a.json"]), .invalidParameter(parameter: "document"))
        XCTAssertEqual(refusal(VerifyRequest.self, ["all": true]), .invalidParameter(parameter: "all"))
        XCTAssertEqual(refusal(UpcomingRequest.self, ["all": "yes"]), .invalidParameter(parameter: "all"))
        // A null is a parameter left out.
        XCTAssertNil(refusal(StatusRequest.self, ["trial": .null]))
    }

    func testIntegersAreRangeChecked() throws {
        XCTAssertEqual(refusal(LogRequest.self, ["limit": 0]), .invalidParameter(parameter: "limit"))
        XCTAssertEqual(
            refusal(LogRequest.self, ["limit": .int(Int64(LogRequest.maximumLimit) + 1)]),
            .invalidParameter(parameter: "limit"))
        XCTAssertEqual(
            try read(LogRequest.self, ["limit": .int(Int64(LogRequest.maximumLimit))]).limit, LogRequest.maximumLimit)
        XCTAssertEqual(refusal(LogRequest.self, ["since": -1]), .invalidParameter(parameter: "since"))
        XCTAssertEqual(refusal(LogRequest.self, ["limit": 1.5]), .invalidParameter(parameter: "limit"))
        XCTAssertEqual(
            refusal(UpcomingRequest.self, ["within": .int(UpcomingRequest.withinDays.upperBound + 1)]),
            .invalidParameter(parameter: "within"))
        XCTAssertEqual(refusal(SubscribeRequest.self, ["since": -1]), .invalidParameter(parameter: "since"))
        XCTAssertEqual(refusal(RetractRequest.self, ["seq": 0, "reason": "x"]), .invalidParameter(parameter: "seq"))
        XCTAssertEqual(
            refusal(CorrectRequest.self, ["seq": 1, "reason": "x", "payload": [:], "expectedVersion": -1]),
            .invalidParameter(parameter: "expectedVersion"))
        XCTAssertEqual(try read(RetractRequest.self, ["seq": .int(.max), "reason": "x"]).amendment.seq, .max)
    }

    func testDefaultsAndDates() throws {
        XCTAssertEqual(try read(LogRequest.self, [:]), LogRequest(trial: nil, since: 0, types: [], limit: 100))
        XCTAssertEqual(try read(UpcomingRequest.self, [:]), UpcomingRequest(within: 365, all: false))
        XCTAssertEqual(try read(SubscribeRequest.self, [:]), SubscribeRequest())
        XCTAssertEqual(
            refusal(StatusRequest.self, ["asOf": "2025-13-01"]),
            .invalidDate(parameter: "asOf", reason: "'2025-13-01' is not a day; use YYYY-MM-DD"))
        XCTAssertEqual(try read(StatusRequest.self, ["asOf": "2025-04-01"]).asOf, Day("2025-04-01"))
        guard case .invalidDate(let parameter, _)? = refusal(StatusRequest.self, ["knownAt": "yesterday"]) else {
            return XCTFail("knownAt is a date")
        }
        XCTAssertEqual(parameter, "knownAt")
    }

    func testAnAmendmentIsTheEventThatRecordsIt() throws {
        let retract = try read(RetractRequest.self, ["seq": 7, "reason": "wrong trial", "id": "x"])
        XCTAssertEqual(
            retract.amendment.event,
            ["type": "retracted", "payload": ["target": 7, "reason": "wrong trial"], "id": "x"])
        let correct = try read(
            CorrectRequest.self, ["seq": 7, "reason": "typo", "payload": ["venue": "ASCO"], "expectedVersion": 3])
        XCTAssertEqual(
            correct.amendment.event,
            [
                "type": "corrected", "payload": ["target": 7, "reason": "typo", "payload": ["venue": "ASCO"]],
                "expectedVersion": 3,
            ])
    }

    func testRepliesReadBackWhatTheyWrite() throws {
        let log = LogResponse(events: [["seq": 1]], next: 1)
        XCTAssertEqual(try LogResponse(parameters: log.parameters), log)
        XCTAssertEqual(try LogResponse(parameters: LogResponse(events: [], next: nil).parameters).next, nil)
        let many = AppendManyResponse(events: [["seq": 1], ["seq": 2]], replayed: [false, true])
        XCTAssertEqual(try AppendManyResponse(parameters: many.parameters), many)
        let imported = ImportResponse(trials: [.init(trial: "NCT1", events: [["seq": 3]], severities: ["critical"])])
        XCTAssertEqual(try ImportResponse(parameters: imported.parameters), imported)
        let verify = VerifyResponse(
            ok: false, checked: 16, lastSeq: 20, headHash: "ab", firstBroken: 17, problem: "changed")
        XCTAssertEqual(VerifyResponse(parameters: verify.parameters), verify)
        // A record ImportStudies refused carries the error a call importing it alone would get.
        let refusal = TrialsError.contradiction(
            trial: "NCT00973089", seq: 8, reason: "was withdrawn (seq 2) and cannot become terminated")
        let studies = ImportStudiesResponse(studies: [
            .init(nctId: "NCT00973089", trial: "NCT00973089", seqs: [], changes: [], refused: refusal),
            .init(
                nctId: "NCT06171568", trial: "NCT06171568", seqs: [9],
                changes: [.init(type: "status-changed", severity: "critical", description: "terminated")], refused: nil),
        ])
        XCTAssertEqual(try ImportStudiesResponse(parameters: studies.parameters), studies)
        let wire = studies.parameters["studies"]?.arrayValue?.first?["refused"]
        XCTAssertEqual(wire?["error"], "org.trialtrack.Trials.Contradiction")
        XCTAssertEqual(wire?["parameters"]?["seq"], 8)
        XCTAssertThrowsError(
            try ImportStudiesResponse(parameters: o(["studies": [["nctId": "NCT1", "refused": "a sentence"]]])))
        XCTAssertThrowsError(try StatusResponse(parameters: o(["trials": 1]))) { e in
            XCTAssertEqual(e as? ValidationError, ValidationError(field: "trials", reason: "expected an array"))
        }
    }
}
