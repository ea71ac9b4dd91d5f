@testable import TrialClient
import TrialDomain
import TrialProtocol
import XCTest

/// `status TRIAL --as-of/--known-at` for a trial that exists but had nothing to show then:
/// trialsd answers NoSuchTrial for that point in time; trialctl must not call it missing.
final class StatusPointInTimeTests: XCTestCase {
    var h = Harness()

    override func setUp() {
        h = Harness()
        // As trialsd does: NoSuchTrial at a point before the trial's first event, the trial now.
        h.trialsd.reply("Status") { p in
            if p["asOf"] != nil || p["knownAt"] != nil {
                throw ClientError.remote(TrialsInterface.error("NoSuchTrial", [("trial", "HARMONi-2")]))
            }
            return Trials.statusOne(Trials.harmoni2)
        }
        h.trialsd.reply("Log", Trials.logReply(1...1, next: 1))
    }

    func testAsOfBeforeAnythingHappenedSaysSoAndSucceeds() {
        let r = h.run("status", "HARMONi-2", "--as-of", "2025-06-01")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(
            r.stdout, "HARMONi-2: nothing recorded about it had happened by 2025-06-01 (first event: registered 2025)\n"
        )
        XCTAssertEqual(
            h.trialsd.calls.map { JSONValue.object($0.parameters).canonicalText },
            [
                #"{"asOf":"2025-06-01","trial":"HARMONi-2"}"#, #"{"trial":"HARMONi-2"}"#,
                #"{"limit":1,"trial":"NCT05499390"}"#,
            ])
    }

    func testKnownAtBeforeItWasRecordedSaysSoAndSucceeds() {
        let r = h.run("status", "HARMONi-2", "--known-at", "2025-06-01T12:00Z")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.stdout, "HARMONi-2: was not in the log yet at 2025-06-01T12:00Z (first recorded 2026-11-21T09:01:00Z)\n")
        // Both: recorded by then, but nothing had happened by the day asked.
        let both = h.run("status", "HARMONi-2", "--known-at", "2026-12-01", "--as-of", "2024-06-01")
        XCTAssertEqual(
            both.stdout,
            "HARMONi-2: nothing recorded about it had happened by 2024-06-01 (first event: registered 2025)\n")
        let json = h.run("status", "HARMONi-2", "--known-at", "2025-06-01", "--json")
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertEqual(json.stdout, "{\"trials\":[]}\n")
    }

    func testATrialThatDoesNotExistAtAllIsStillExit4() {
        h.trialsd.fail("Status", TrialsInterface.error("NoSuchTrial", [("trial", "HARMONi-9")]))
        let r = h.run("status", "HARMONi-9", "--as-of", "2025-06-01")
        XCTAssertEqual(r.status, 4)
        XCTAssertEqual(r.stderr, "trialctl: no such trial: HARMONi-9\n")
        XCTAssertEqual(r.stdout, "")
    }
}
