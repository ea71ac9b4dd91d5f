@testable import TrialClient
import TrialDomain
import TrialProtocol
import XCTest

/// `log` as journalctl: -n the newest, --since/--until by recording time, --after-seq, -r, -f;
/// footers on standard error. The stand-in's Log pages forward from a seq as trialsd's does.
final class LogCommandTests: XCTestCase {
    var h = Harness()

    override func setUp() {
        h = Harness()
        h.trialsd.reply("Log") { p in Self.log(p) }
        h.trialsd.reply("Stats", params(["events": 16, "trials": 3, "lastSeq": 16]))
    }

    /// trialsd's Log over the 16 events: after `since`, at most `limit`, by trial and types;
    /// `next` when the limit was reached.
    static func log(_ p: JSONObject) -> JSONObject {
        let since = p["since"]?.int64Value ?? 0
        let limit = Int(p["limit"]?.int64Value ?? 100)
        let types = p["types"]?.arrayValue?.compactMap(\.stringValue)
        let trial = p["trial"]?.stringValue.map { $0 == "HARMONi-2" ? Trials.harmoni2 : $0 }
        let matching = Trials.events.filter { e in
            e.seq > since && (trial.map { e.trial == $0 } ?? true)
                && (types.map { $0.contains(e.type.rawValue) } ?? true)
        }
        let page = Array(matching.prefix(limit))
        var o = JSONObject([("events", .array(page.map(\.json)))])
        if page.count == limit, let last = page.last { o["next"] = .int(last.seq) }
        return o
    }

    func seqs(_ out: String) -> [Int64] {
        out.split(separator: "\n").compactMap { Int64($0.split(separator: " ").first ?? "") }
    }

    func testLinesShowsTheNewestStillOldestFirst() {
        let r = h.run("log", "-n", "3")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(seqs(r.stdout), [14, 15, 16])
        // Without filters, the newest are the last seqs: one Log call after Stats.
        XCTAssertEqual(
            h.trialsd.calls.map { JSONValue.object($0.parameters).canonicalText }, ["{}", #"{"limit":3,"since":13}"#])
        XCTAssertEqual(
            r.stderr, "-- 3 events shown, the newest; earlier ones: --until 2026-11-21T09:14:00.123456Z --\n")
        let bare = h.run("log", "-n", "3", "--no-legend")
        XCTAssertEqual(bare.stderr, "")
        XCTAssertEqual(seqs(bare.stdout), [14, 15, 16])
        XCTAssertEqual(seqs(h.run("log", "--lines", "2", "-r").stdout), [16, 15])
    }

    func testNewestOfATrialOrTypeAreStillTheNewest() {
        // HARMONi-2's events are seq 1-3, far below the end: found in windows read backwards.
        XCTAssertEqual(seqs(h.run("log", "HARMONi-2", "-n", "2").stdout), [2, 3])
        XCTAssertEqual(seqs(h.run("log", "--type", "milestone-expected", "-n", "2", "--no-legend").stdout), [11, 15])
        XCTAssertEqual(seqs(h.run("log", "--type", "readout", "-n", "5").stdout), [7])
        XCTAssertEqual(seqs(h.run("log", "-n", "0").stdout), [])
    }

    func testSinceAndUntilAreRecordingTimes() {
        // Events are recorded a minute apart from 09:01; --since is inclusive, --until not.
        let r = h.run("log", "--since", "2026-11-21T09:05Z", "--until", "2026-11-21T09:08Z")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(seqs(r.stdout), [5, 6, 7])
        XCTAssertEqual(seqs(h.run("log", "--since", "2026-11-21T09:14:30Z").stdout), [15, 16])
        XCTAssertEqual(seqs(h.run("log", "--until", "2026-11-21T09:03:00.5Z", "-n", "1").stdout), [3])
        // A day is its start, as journalctl takes it.
        XCTAssertEqual(seqs(h.run("log", "--until", "2026-11-21").stdout), [])
        XCTAssertEqual(h.run("log", "--until", "2026-11-21").stderr, "-- No events --\n")
        XCTAssertEqual(seqs(h.run("log", "--since", "2026-11-21", "HARMONi-2").stdout), [1, 2, 3])
        let bad = h.run("log", "--since", "yesterday")
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.hasPrefix("trialctl: --since: 'yesterday' is not a time; use YYYY-MM-DD"), bad.stderr)
    }

    func testAfterSeqIsTheCursor() {
        XCTAssertEqual(seqs(h.run("log", "--after-seq", "13").stdout), [14, 15, 16])
        XCTAssertEqual(seqs(h.run("log", "--after-seq", "4", "HARMONi-6", "-n", "2").stdout), [10, 11])
        XCTAssertEqual(seqs(h.run("log", "--after-seq", "9", "HARMONi-6", "-n", "5").stdout), [10, 11])
    }

    func testJSONIsTheEventsShown() throws {
        let r = h.run("log", "-n", "2", "--json")
        XCTAssertEqual(r.stdout, JSONValue.object(Trials.logReply(15...16)).canonicalText + "\n")
        let pretty = h.run("log", "-n", "1", "--json=pretty")
        XCTAssertTrue(pretty.stdout.hasPrefix("{\n  \"events\": [\n    {\n      \"hash\": "), pretty.stdout)
        XCTAssertEqual(try JSONValue.parse(pretty.stdout), .object(Trials.logReply(16...16)))
    }

    func testFollowShowsTheNewestThenNewEvents() {
        h.trialsd.streams = [([params(["event": Trials.events[15].json])], nil)]
        h.trialsd.reply("Stats", params(["lastSeq": 15]))
        let r = h.run("log", "-f", "-n", "2")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(seqs(r.stdout), [14, 15, 16])
        XCTAssertEqual(JSONValue.object(h.trialsd.calls.last!.parameters).canonicalText, #"{"since":15}"#)
        XCTAssertEqual(h.run("log", "-f", "-r").status, 2)
    }

    /// With filters, -f subscribes with them: trialsd judges each new event's trial.
    func testFollowPassesTheFiltersToTheSubscription() {
        h.trialsd.streams = [([], nil)]
        let r = h.run("log", "-f", "-n", "0", "--phase", "3", "--condition", "lung cancer")
        XCTAssertEqual(r.status, 0, r.stderr)
        let subscribe = h.trialsd.calls.last!
        XCTAssertEqual(subscribe.method, "org.trialtrack.Trials.Subscribe")
        XCTAssertEqual(subscribe.parameters["phases"], ["3"])
        XCTAssertEqual(subscribe.parameters["conditions"], ["lung cancer"])
        XCTAssertEqual(h.run("log", "-f", "--phase", "5").status, 2, "a phase that does not exist")
        // watch, the same.
        h.trialsd.streams = [([], nil)]
        XCTAssertEqual(h.run("watch", "-n", "0", "--status", "recruiting").status, 0)
        XCTAssertEqual(h.trialsd.calls.last!.parameters["statuses"], ["recruiting"])
    }

    func testWatchShowsTheLastTenFirst() {
        h.trialsd.streams = [([], nil)]
        let r = h.run("watch", "--count", "12")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(seqs(r.stdout), Array(7...16))
        XCTAssertEqual(JSONValue.object(h.trialsd.calls.last!.parameters).canonicalText, #"{"since":16}"#)
    }

    func testNegativeNumbersAreRefusedByName() {
        for (args, message) in [
            (
                ["upcoming", "--within", "-5"],
                "trialctl: --within: give 0 to 36500 days, not -5 (see 'trialctl upcoming --help')\n"
            ),
            (
                ["stats", "--timeout", "-1"],
                "trialctl: --timeout: give 0 (for ever) or more seconds, not -1 (see 'trialctl stats --help')\n"
            ),
            (["log", "-n", "-3"], "trialctl: -n/--lines: give 0 or more events, not -3 (see 'trialctl log --help')\n"),
            (
                ["watch", "--count", "-2"],
                "trialctl: --count: give 1 or more events, not -2 (see 'trialctl watch --help')\n"
            ),
        ] {
            let r = h.run(args)
            XCTAssertEqual(r.status, 2, "\(args)")
            XCTAssertEqual(r.stderr, message)
        }
        XCTAssertTrue(h.trialsd.calls.isEmpty)
    }
}
