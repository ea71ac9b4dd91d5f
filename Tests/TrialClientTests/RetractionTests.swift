@testable import TrialClient
import TrialDomain
import TrialProtocol
import XCTest

/// A retracted milestone stays on `status TRIAL`'s timeline, marked, as a corrected one does.
/// trialsd's Status leaves it out; trialctl finds it in the log.
final class RetractionTests: XCTestCase {
    var h = Harness()

    /// HARMONi-6 with seq 8 (presented at ASCO 2026) retracted by seq 17, as Status replies:
    /// seq 8 is not on the timeline.
    override func setUp() {
        h = Harness()
        var trial = Trials.trialJSON(Trials.harmoni6, detailed: true).objectValue!
        let timeline = trial["timeline"]!.arrayValue!
        XCTAssertTrue(timeline.contains { $0["seq"] == 8 })
        trial["timeline"] = .array(timeline.filter { $0["seq"] != 8 })
        h.trialsd.reply("Status", JSONObject([("trials", .array([.object(trial)]))]))
        var retraction = Trials.events[7].json.objectValue!
        retraction["seq"] = 17
        retraction["type"] = "retracted"
        retraction["payload"] = ["target": 8, "reason": "it was ASCO 2025"]
        retraction["recorded"] = "2026-11-22T10:00:00.000000Z"
        h.trialsd.reply("Log") { p in
            if p["types"] == ["retracted"] { return params(["events": [.object(retraction)]]) }
            XCTAssertEqual(p["since"], 7)
            return Trials.logReply(8...8, next: 8)
        }
    }

    func testARetractedMilestoneIsMarkedInTheTimeline() {
        let r = h.run("status", "HARMONi-6")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(
            r.stdout.contains("\n  2026-06-02 presented        ASCO 2026 [retracted by seq 17: it was ASCO 2025]\n"),
            r.stdout)
        XCTAssertEqual(
            JSONValue.object(h.trialsd.calls[1].parameters).canonicalText,
            #"{"limit":10000,"since":0,"trial":"HARMONi-6","types":["retracted"]}"#)
    }

    func testStruckThroughOnATerminal() throws {
        let retracted = RetractedEntry(
            entry: TimelineEntry(
                seq: 8, occurred: try PartialDate(parsing: "2026-06-02"),
                payload: try XCTUnwrap(Trials.event(8).typedPayload), source: nil, correctedBy: nil),
            by: 17, reason: "it was ASCO 2025")
        let lines = Render.timelineLines([], retracted: [retracted], style: .terminal(width: 200, color: true))
        XCTAssertEqual(
            lines,
            [
                "  2026-06-02 presented \u{1B}[0;9;38;5;245mASCO 2026\u{1B}[0m\u{1B}[0;38;5;245m [retracted by seq 17: it was ASCO 2025]\u{1B}[0m"
            ])
    }

    func testARetractionRecordedAfterKnownAtIsNotShown() {
        let r = h.run("status", "HARMONi-6", "--known-at", "2026-11-22T09:00Z")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("retracted"), r.stdout)
    }
}
