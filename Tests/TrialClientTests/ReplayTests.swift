@testable import TrialClient
import TrialDomain
import TrialProtocol
import XCTest

/// The same event sent again (same id, same content) is answered with the event as first
/// recorded: trialctl says it was already recorded, not that it recorded it.
final class ReplayTests: XCTestCase {
    var h = Harness()

    override func setUp() {
        h = Harness()
        // The call is made after seq 8 was recorded (09:08:00.123456Z), before seq 9 was.
        h.now = try! Timestamp(parsing: "2026-11-21T09:08:30Z")
    }

    func retraction(seq: Int64, recorded: String) -> JSONValue {
        var e = Trials.events[7].json.objectValue!
        e["seq"] = .int(seq)
        e["type"] = "retracted"
        e["payload"] = ["target": 8, "reason": "duplicate"]
        e["recorded"] = .string(recorded)
        return .object(e)
    }

    func testARetractionSentAgainIsAlreadyRecorded() {
        h.trialsd.reply("Retract", params(["event": retraction(seq: 17, recorded: "2026-11-21T09:08:10.000000Z")]))
        let again = h.run("retract", "8", "--reason", "duplicate", "--id", "8F0C1D2E-0000-4000-8000-000000000017")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout, "Already recorded as seq 17 (same id and content)\n")
        h.trialsd.reply("Retract", params(["event": retraction(seq: 17, recorded: "2026-11-21T09:08:31.000000Z")]))
        XCTAssertEqual(
            h.run("retract", "8", "--reason", "duplicate").stdout,
            "Recorded seq 17: HARMONi-6 retracted seq 8 (version 5)\n")
    }

    func testAFileSentAgainSaysWhichWereAlreadyRecorded() {
        h.files["e.jsonl"] = """
            {"trial": "HARMONi-6", "type": "presented", "occurred": "2026-06-02", "id": "8F0C1D2E-0000-4000-8000-000000000008", "payload": {"venue": "ASCO 2026"}}
            {"trial": "HARMONi-6", "type": "milestone-expected", "occurred": "2026-06-02", "payload": {"milestone": "presented:ESMO", "window": "2026"}}
            """
        h.trialsd.reply("AppendMany", params(["events": .array([Trials.events[7].json, Trials.events[8].json])]))
        let r = h.run("record", "--file", "e.jsonl")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.stdout,
            "Already recorded as seq 8 (same id and content)\nRecorded seq 9: HARMONi-6 milestone-expected 2026-06-02 (version 6)\n"
        )
    }
}
