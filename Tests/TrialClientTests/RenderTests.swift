@testable import TrialClient
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

final class RenderTests: XCTestCase {
    let plain = Style.plain

    func allTrials() throws -> [TrialReply] { try Reply.trials(Trials.statusAll) }
    func one(_ key: String) throws -> TrialReply { try XCTUnwrap(Reply.trials(Trials.statusOne(key)).first) }
    func lines(_ s: String) -> [String] { s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    // MARK: - status table

    func testStatusTableWithoutTerminal() throws {
        XCTAssertEqual(
            lines(Render.statusTable(try allTrials(), style: plain).body),
            [
                "TRIAL     ID          PHASE   STATUS                              LAST MILESTONE                                                                                    NEXT",
                "HARMONi-2 NCT05499390 Phase 3 -                                   published 2025 Xiong A et al., Lancet 2025;405(10481):839-849 (doi:10.1016/S0140-6736(24)02722-3) -",
                "HARMONi-6 HARMONi-6   Phase 3 -                                   presented 2026-06-02 ASCO 2026                                                                    presented at ESMO 2026",
                "ILLUMINE  NCT07264075 Phase 3 not-yet-recruiting since 2025-12-04 status-changed 2025-12-04 not-yet-recruiting                                                      recruiting by 2026-Q1 (overdue)",
                "",
            ])
    }

    func testStatusTableTruncatedToTheTerminal() throws {
        let out = lines(Render.statusTable(try allTrials(), style: .terminal(width: 120, color: false)).body)
        XCTAssertEqual(
            out,
            [
                "  TRIAL     ID          PHASE   STATUS                              LAST MILESTONE            NEXT",
                "○ HARMONi-2 NCT05499390 Phase 3 -                                   published 2025 Xiong A e… -",
                "○ HARMONi-6 HARMONi-6   Phase 3 -                                   presented 2026-06-02 ASC… presented at ESMO 2026",
                "● ILLUMINE  NCT07264075 Phase 3 not-yet-recruiting since 2025-12-04 status-changed 2025-12-0… ⚠ recruiting by 2026-Q1 (…",
                "",
            ])
        for l in out { XCTAssertLessThanOrEqual(TextWidth.of(l), 120, l) }
        // Narrower still: every line fits, the status is kept whole as long as possible.
        for width in [80, 100, 140] {
            for l in lines(Render.statusTable(try allTrials(), style: .terminal(width: width, color: false)).body) {
                XCTAssertLessThanOrEqual(TextWidth.of(l), width, "\(width): \(l)")
            }
        }
        XCTAssertTrue(
            Render.statusTable(try allTrials(), style: .terminal(width: 100, color: false)).body.contains(
                "not-yet-recruiting since 2025-12-04"))
    }

    func testStatusTableSaysWhichPointInTime() throws {
        let out = lines(
            Render.statusTable(try allTrials(), style: plain, asOf: "2025-06-01", knownAt: "2025-06-01T12:00Z").body)
        XCTAssertEqual(
            out.first, "Trials as of 2025-06-01 (world time), as known at 2025-06-01T12:00Z (recording time):")
        XCTAssertEqual(out[1].prefix(5), "TRIAL")
        XCTAssertEqual(
            lines(Render.statusTable(try allTrials(), style: plain, asOf: "2025-06-01").body).first,
            "Trials as of 2025-06-01 (world time):")
    }

    func testStatusTableEmpty() {
        XCTAssertEqual(Render.statusTable([], style: plain), Listing(body: "", footer: "0 trials listed.\n"))
        XCTAssertEqual(
            Render.statusTable([], style: plain, asOf: "2020-01-01"),
            Listing(body: "Trials as of 2020-01-01 (world time):\n", footer: "\n0 trials listed.\n"))
        XCTAssertEqual(Render.upcoming([], style: plain), Listing(body: "", footer: "0 milestones listed.\n"))
    }

    func testColourOnlyWhenEnabled() throws {
        let trials = try allTrials()
        let off = Render.statusTable(trials, style: .terminal(width: 200, color: false)).body
        XCTAssertFalse(off.contains("\u{1B}"))
        let on = Render.statusTable(trials, style: .terminal(width: 200, color: true)).body
        XCTAssertTrue(on.contains("\u{1B}[0;4m  TRIAL"), "the header is underlined")
        XCTAssertTrue(
            on.contains("\u{1B}[0;38;5;245mnot-yet-recruiting since 2025-12-04\u{1B}[0m"), "not yet recruiting is grey")
        XCTAssertTrue(on.contains("\u{1B}[0;1;31m⚠ recruiting by 2026-Q1 (overdue)\u{1B}[0m"), "overdue is red")
        // Colour does not move the columns.
        let strip = { (s: String) in s.replacingEscapes() }
        XCTAssertEqual(strip(on), off)

        for key in [Trials.harmoni2, Trials.harmoni6, Trials.illumine] {
            XCTAssertFalse(
                Render.statusDetail(try one(key), style: .terminal(width: 200, color: false)).contains("\u{1B}"))
            XCTAssertFalse(Render.statusDetail(try one(key), style: plain).contains("\u{1B}"))
            XCTAssertTrue(
                Render.statusDetail(try one(key), style: .terminal(width: 200, color: true)).contains(
                    "\u{1B}[0;1;39mTimeline:"))
        }
        XCTAssertFalse(Render.log(try Reply.events(Trials.logReply(1...16)), style: plain).body.contains("\u{1B}"))
        XCTAssertTrue(
            Render.log(try Reply.events(Trials.logReply(1...16)), style: .terminal(width: 300)).body.contains("\u{1B}"))
    }

    /// Posted results: the primary ones one line each, then a count of the rest.
    func testPostedResultsShowTheirPrimaryOutcomes() throws {
        let payload = try Payload(
            type: .readout,
            json: .parsed(
                #"""
                {"kind": "results-posted", "outcome": "not-stated", "results": [
                  {"endpoint": "iDFS", "outcomeType": "primary",
                   "analyses": [{"effect": {"kind": "hazard-ratio", "value": 0.96, "ciLevel": 95, "ciLow": 0.81, "ciHigh": 1.14},
                                 "pValue": {"value": 0.65, "sided": "unstated"}, "method": "Log Rank"}]},
                  {"endpoint": "OS", "outcomeType": "secondary", "values": [{"arm": "A", "value": 80, "unit": "%"}]},
                  {"endpoint": "pCR", "outcomeType": "secondary", "values": [{"arm": "A", "value": 40, "unit": "%"}]}]}
                """#))
        let entry = TimelineEntry(
            seq: 4, occurred: Fixture.date("2020-08-17"), payload: payload, source: nil, correctedBy: nil)
        XCTAssertEqual(
            Render.timelineLines([entry], style: plain),
            [
                "  2020-08-17 readout results posted: 1 primary, 2 secondary outcome measures",
                "                     iDFS HR 0.96 (95% CI 0.81–1.14), P = .65",
                "                     and 2 other outcome measures (status --json lists them)",
            ])
        XCTAssertEqual(Render.textColor(payload), .bold)
    }

    func testStatusColours() {
        XCTAssertEqual(Render.color(of: .recruiting), .green)
        XCTAssertEqual(Render.color(of: .activeNotRecruiting), .green)
        XCTAssertEqual(Render.color(of: .enrollingByInvitation), .green)
        XCTAssertEqual(Render.color(of: .notYetRecruiting), .grey)
        XCTAssertEqual(Render.color(of: .suspended), .yellow)
        XCTAssertEqual(Render.color(of: .unknown), .yellow)
        XCTAssertEqual(Render.color(of: .terminated), .red)
        XCTAssertEqual(Render.color(of: .withdrawn), .red)
        XCTAssertNil(Render.color(of: .completed))
        XCTAssertNil(Render.color(of: nil))
    }

    // MARK: - status TRIAL

    func testStatusOfHARMONi2ShowsTheInterimResults() throws {
        XCTAssertEqual(
            lines(Render.statusDetail(try one(Trials.harmoni2), style: plain)),
            [
                "* HARMONi-2 - Ivonescimab versus pembrolizumab for PD-L1-positive advanced NSCLC",
                "         Key: NCT05499390",
                " Identifiers: NCT05499390 (ClinicalTrials.gov)",
                "     Sponsor: Akeso",
                "  Conditions: Non-small cell lung cancer",
                "       Phase: Phase 3",
                "        Arms: ivonescimab (experimental): ivonescimab",
                "              pembrolizumab (active-comparator): pembrolizumab",
                "   Endpoints: PFS (primary)",
                "      Status: none recorded",
                "  Enrollment: 398 (actual)",
                "     Version: 3 (last seq 3)",
                "",
                "Timeline:",
                "  2025 registered       Ivonescimab versus pembrolizumab for PD-L1-positive advanced NSCLC (Phase 3; 398 participants, actual)",
                "  2025 interim-analysis preplanned interim analysis: PFS, primary endpoint met",
                "                        PFS 11.1 vs 5.8 months, HR 0.51 (95% CI 0.38–0.69), 1-sided P < .0001, n = 398",
                "  2025 published        Xiong A et al., Lancet 2025;405(10481):839-849 (doi:10.1016/S0140-6736(24)02722-3)",
                "",
            ])
    }

    func testStatusOfHARMONi6OnATerminal() throws {
        XCTAssertEqual(
            lines(Render.statusDetail(try one(Trials.harmoni6), style: .terminal(width: 80, color: false))),
            [
                "○ HARMONi-6 - Ivonescimab plus chemotherapy versus tislelizumab plus chemothera…",
                "        Key: HARMONi-6",
                "    Sponsor: Akeso",
                " Conditions: Squamous non-small cell lung cancer",
                "      Phase: Phase 3",
                "  Endpoints: PFS (primary)",
                "     Status: none recorded",
                " Enrollment: 532 (actual)",
                "    Version: 8 (last seq 11)",
                "",
                "Timeline:",
                "  2025-04    registered       Ivonescimab plus chemotherapy versus tislelizumab…",
                "  2025-04    interim-analysis first interim analysis: PFS, primary endpoint met",
                "  2026-06-02 readout          OS, primary endpoint met (ASCO 2026)",
                "  2026-06-02 presented        ASCO 2026",
                "",
                "Expected:",
                "  readout:OS            2026-H1 (1H 2026) met by seq 7 ✓",
                "  presented:ESMO        2026              pending",
                "  regulatory-submission 2027              pending",
                "  regulatory-decision   2027              pending",
                "",
            ])
    }

    func testStatusOfILLUMINEListsEveryIdentifier() throws {
        let out = lines(Render.statusDetail(try one(Trials.illumine), style: plain))
        XCTAssertEqual(
            out[0],
            "* ILLUMINE - Ivonescimab with or without ligufalimab versus pembrolizumab in first-line PD-L1-positive recurrent or metastatic HNSCC"
        )
        XCTAssertEqual(
            out[2],
            " Identifiers: NCT07264075 (ClinicalTrials.gov), 2025-522996-27-00 (EU CT), GORTEC 2024-04 (sponsor)")
        XCTAssertEqual(
            out[3],
            "     Sponsor: Groupe Oncologie Radiotherapie Tete et Cou (with Akeso Biopharma Co., Ltd., Summit Therapeutics)"
        )
        XCTAssertTrue(out.contains("      Status: not-yet-recruiting since 2025-12-04"))
        XCTAssertTrue(out.contains("  Enrollment: 780 (estimated)"))
        XCTAssertTrue(out.contains("       Dates: start 2026-01-31 (estimated), completion 2030-05-31 (estimated)"))
        XCTAssertTrue(out.contains("     Version: 5 (last seq 16)"))
        XCTAssertEqual(
            Array(out.suffix(3)), ["Expected:", "  status-changed:recruiting 2026-Q1 (Q1 2026) overdue", ""])
        let tty = lines(Render.statusDetail(try one(Trials.illumine), style: .terminal(width: 200, color: false)))
        XCTAssertEqual(tty[0].prefix(2), "● ")
        XCTAssertEqual(tty[tty.count - 2], "  status-changed:recruiting 2026-Q1 (Q1 2026) overdue ⚠")
        let narrow = lines(Render.statusDetail(try one(Trials.illumine), style: .terminal(width: 60, color: true)))
        XCTAssertEqual(narrow[3], "     Sponsor: Groupe Oncologie Radiotherapie Tete et Cou (w…")
        for l in narrow { XCTAssertLessThanOrEqual(TextWidth.of(l), 60, l) }
        let colour = Render.statusDetail(try one(Trials.illumine), style: .terminal(width: 200, color: true))
        XCTAssertTrue(
            colour.hasPrefix("\u{1B}[0;38;5;245m●\u{1B}[0m ILLUMINE - "), "the bullet is grey before recruiting")
        XCTAssertTrue(colour.contains("Status: \u{1B}[0;38;5;245mnot-yet-recruiting\u{1B}[0m since 2025-12-04"))
        XCTAssertTrue(colour.contains("\u{1B}[0;1;31moverdue ⚠\u{1B}[0m"))
    }

    func testStatusShowsWhyStoppedCorrectionsAndSupersededForecasts() throws {
        // A trial that stopped, a corrected interim, a slipped forecast.
        var events: [RecordedEvent] = []
        func add(_ type: EventType, _ occurred: String, _ payload: JSONValue) throws {
            events.append(try Fixture.recorded(Int64(events.count + 1), "HARMONi-6", type, occurred, payload))
        }
        try add(.statusChanged, "2024-03", ["status": "recruiting"])
        try add(.interimAnalysis, "2025-04", ["endpoints": ["PFS"], "outcome": "continue"])
        try add(.milestoneExpected, "2025-04", ["milestone": "readout:OS", "window": "2025-H2"])
        try add(.milestoneExpected, "2025-06", ["milestone": "readout:OS", "window": "2026-H1"])
        try add(
            .corrected, "2025-06",
            [
                "target": 2, "reason": "the interim met its endpoint",
                "payload": ["endpoints": ["PFS"], "outcome": "met"],
            ])
        try add(.statusChanged, "2025-09", ["status": "suspended", "whyStopped": "sponsor decision"])
        let view = try TrialFold.fold(key: "HARMONi-6", events: events).view
        var o = view.summary.json.objectValue!
        o["timeline"] = .array(view.timeline.map(\.json))
        o["expectations"] = .array(view.expectations.map(\.json))
        let out = lines(Render.statusDetail(try TrialReply(json: .object(o)), style: plain))
        XCTAssertEqual(
            out,
            [
                "* HARMONi-6",
                "     Key: HARMONi-6",
                "  Status: suspended since 2025-09 (sponsor decision)",
                " Version: 6 (last seq 6)",
                "",
                "Timeline:",
                "  2024-03 status-changed   recruiting",
                "  2025-04 interim-analysis interim analysis: PFS, primary endpoint met [corrected by seq 5]",
                "  2025-09 status-changed   suspended: sponsor decision",
                "",
                "Expected:",
                "  readout:OS 2025-H2 (2H 2025) superseded by seq 4",
                "  readout:OS 2026-H1 (1H 2026) pending",
                "",
            ])
    }

    func testStatusDetailSaysWhichPointInTime() throws {
        let out = lines(Render.statusDetail(try one(Trials.harmoni6), style: plain, asOf: "2025-06-01"))
        XCTAssertEqual(out[1], "    Showing: as of 2025-06-01 (world time)")
    }

    // MARK: - log

    func testLogLinesAreAligned() throws {
        let out = lines(Render.log(try Reply.events(Trials.logReply(5...11)), style: plain).body)
        XCTAssertEqual(
            out,
            [
                " 5 2026-11-21T09:05:00Z HARMONi-6 interim-analysis   2025-04    first interim analysis: PFS, primary endpoint met (by alice (1000))",
                " 6 2026-11-21T09:06:00Z HARMONi-6 milestone-expected 2025-04    readout:OS expected 2026-H1 (by alice (1000))",
                " 7 2026-11-21T09:07:00Z HARMONi-6 readout            2026-06-02 OS, primary endpoint met (ASCO 2026) (by alice (1000))",
                " 8 2026-11-21T09:08:00Z HARMONi-6 presented          2026-06-02 ASCO 2026 (by alice (1000))",
                " 9 2026-11-21T09:09:00Z HARMONi-6 milestone-expected 2026-06-02 presented:ESMO expected 2026 (by alice (1000))",
                "10 2026-11-21T09:10:00Z HARMONi-6 milestone-expected 2026-06-02 regulatory-submission expected 2027 (by alice (1000))",
                "11 2026-11-21T09:11:00Z HARMONi-6 milestone-expected 2026-06-02 regulatory-decision expected 2027 (by alice (1000))",
                "",
            ])
    }

    func testLogSaysWhereToContinue() throws {
        let listing = Render.log(
            try Reply.events(Trials.logReply(14...16)), earlierUntil: "2026-11-21T09:14:00.123456Z", style: plain)
        XCTAssertEqual(
            lines(listing.body),
            [
                "14 2026-11-21T09:14:00Z NCT07264075 dates-updated      2025-12-04 start 2026-01-31 (estimated), completion 2030-05-31 (estimated) (by alice (1000))",
                "15 2026-11-21T09:15:00Z NCT07264075 milestone-expected 2025-12-04 status-changed:recruiting expected 2026-Q1 (by alice (1000))",
                "16 2026-11-21T09:16:00Z NCT07264075 milestone-overdue  2026-04-01 expected milestone (seq 15) is overdue (by trialsd)",
                "",
            ])
        // The hint goes apart from the rows (to standard error), so that a pipe reads rows only.
        XCTAssertEqual(
            listing.footer, "-- 3 events shown, the newest; earlier ones: --until 2026-11-21T09:14:00.123456Z --\n")
        XCTAssertEqual(Render.log([], style: plain), Listing(body: "", footer: "-- No events --\n"))
    }

    func testLogTruncatesTheTextNotWhoRecordedIt() throws {
        let out = lines(
            Render.log(try Reply.events(Trials.logReply(1...3)), style: .terminal(width: 100, color: false)).body)
        XCTAssertEqual(
            out[2],
            "3 2026-11-21T09:03:00Z NCT05499390 published        2025 Xiong A et al., Lancet 2… (by alice (1000))")
        for l in out { XCTAssertLessThanOrEqual(TextWidth.of(l), 100) }
        // Narrower, the text keeps its room and who recorded it goes.
        let narrow = lines(
            Render.log(try Reply.events(Trials.logReply(1...3)), style: .terminal(width: 80, color: false)).body)
        XCTAssertEqual(narrow[1], "2 2026-11-21T09:02:00Z NCT05499390 interim-analysis 2025 preplanned interim ana…")
        XCTAssertEqual(TextWidth.of(narrow[1]), 80)
        let short = Render.logLine(
            Trials.event(8), widths: .init(fitting: [Trials.event(8)]), style: .terminal(width: 90, color: false))
        XCTAssertEqual(
            short, "8 2026-11-21T09:08:00Z HARMONi-6 presented 2026-06-02 ASCO 2026 (by alice (1000))", "it fits")
    }

    func testWatchLinesUseFixedColumns() {
        XCTAssertEqual(
            Render.logLine(Trials.event(7), widths: .streaming, style: plain),
            "    7 2026-11-21T09:07:00Z HARMONi-6   readout            2026-06-02 OS, primary endpoint met (ASCO 2026) (by alice (1000))"
        )
    }

    func testAnEventOfAnUnknownTypeStillPrints() throws {
        var o = Trials.events[7].json.objectValue!
        o["type"] = "site-activated"
        o["payload"] = ["site": "Berlin"]
        let e = try EventReply(json: .object(o))
        XCTAssertEqual(e.text, #"{"site":"Berlin"}"#)
    }

    // MARK: - upcoming

    func testUpcomingCalendar() throws {
        let items = try Reply.array(Trials.upcomingReply, "milestones").enumerated().map {
            try UpcomingReply(json: $1, path: "milestones[\($0)]")
        }
        XCTAssertEqual(
            lines(Render.upcoming(items, style: plain).body),
            [
                "WINDOW  TRIAL     MILESTONE                 STATE   MADE ON    SOURCE",
                "2026-Q1 ILLUMINE  status-changed:recruiting overdue 2025-12-04 ClinicalTrials.gov NCT07264075, last update 2025-12-04",
                "2026    HARMONi-6 presented:ESMO            pending 2026-06-02 World Today Journal, 2026-06-02",
                "2027    HARMONi-6 regulatory-submission     pending 2026-06-02 World Today Journal, 2026-06-02",
                "2027    HARMONi-6 regulatory-decision       pending 2026-06-02 World Today Journal, 2026-06-02",
                "",
            ])
        let tty = lines(Render.upcoming(items, style: .terminal(width: 80, color: true)).body)
        XCTAssertEqual(
            tty[1],
            "2026-Q1 ILLUMINE  status-changed:recruiting \u{1B}[0;1;31moverdue ⚠\u{1B}[0m 2025-12-04 ClinicalTrials…")
        for l in tty { XCTAssertLessThanOrEqual(TextWidth.of(l), 80) }
    }

    // MARK: - verify, rebuild, stats

    func testVerify() {
        let ok: JSONObject = params([
            "ok": true, "checked": 1234, "lastSeq": 1234,
            "headHash": "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809",
        ])
        XCTAssertEqual(
            Render.verify(ok, style: .terminal(width: 80, color: false)),
            "✓ 1234 events, hash chain intact, head 1a2b3c4d5e6f… (seq 1234)\n")
        XCTAssertEqual(
            Render.verify(ok, style: plain),
            "OK: 1234 events, hash chain intact, head 1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809 (seq 1234)\n"
        )
        XCTAssertEqual(
            Render.verify(ok, style: .terminal(width: 80, color: true)).prefix(15), "\u{1B}[0;1;32m✓\u{1B}[0m ")
        let broken: JSONObject = params([
            "ok": false, "checked": 16, "lastSeq": 1234, "headHash": "", "firstBroken": 17,
            "problem": "hash does not match the event's content",
        ])
        XCTAssertEqual(
            Render.verify(broken, style: .terminal(width: 80, color: false)),
            "✗ seq 17: hash does not match the event's content (checked 16 events, last seq 1234)\n")
        XCTAssertEqual(
            Render.verify(broken, style: plain),
            "FAILED: seq 17: hash does not match the event's content (checked 16 events, last seq 1234)\n")
        XCTAssertEqual(
            Render.verify(params(["ok": true, "checked": 0, "lastSeq": 0, "headHash": ""]), style: plain),
            "OK: 0 events, nothing to check\n")
    }

    func testRebuilt() {
        XCTAssertEqual(
            Render.rebuilt(params(["trials": 3, "events": 16, "seconds": 0.4213])),
            "Rebuilt the projections of 3 trials from 16 events in 421 ms.\n")
        XCTAssertEqual(
            Render.rebuilt(params(["trials": 1, "events": 1, "seconds": 2.0])),
            "Rebuilt the projections of 1 trial from 1 event in 2 s.\n")
        XCTAssertEqual(
            Render.rebuilt(params(["trials": 1, "events": 1, "seconds": 12.34])),
            "Rebuilt the projections of 1 trial from 1 event in 12.3 s.\n")
    }

    func testStatsSaysWhatTheCheckpointsDid() {
        func checkpointLine(_ c: JSONValue) -> String? {
            lines(Render.stats(params(["events": 1, "checkpoints": c]), style: plain)).first {
                $0.contains("Checkpoints:")
            }
            .map { String($0.drop { $0 == " " }) }
        }
        XCTAssertEqual(
            checkpointLine(["runs": 0, "failures": 0, "logPages": 0, "copiedPages": 0]), "Checkpoints: none yet")
        XCTAssertEqual(
            checkpointLine([
                "runs": 3, "failures": 0, "lastAt": "2026-11-21T09:16:00.123456Z", "logPages": 8200,
                "copiedPages": 8192,
            ]),
            "Checkpoints: 3 checkpoints; the last 2026-11-21T09:16:00Z, 8192 of 8200 pages copied")
        XCTAssertEqual(
            checkpointLine([
                "runs": 4, "failures": 1, "lastAt": "2026-11-21T09:17:00Z", "logPages": 0, "copiedPages": 0,
                "lastFailure": "a checkpoint failed: disk I/O error (the write-ahead log grows until one succeeds)",
            ]),
            "Checkpoints: 4 checkpoints, 1 failed; the last, 2026-11-21T09:17:00Z: a checkpoint failed: disk I/O error (the write-ahead log grows until one succeeds)"
        )
    }

    func testStats() {
        let r = params([
            "events": 16, "trials": 3, "lastSeq": 16, "lastRecorded": "2026-11-21T09:16:00.123456Z",
            "eventsByType": ["interim-analysis": 2, "milestone-expected": 5, "registered": 3],
            "expectationsByState": ["met": 1, "overdue": 1, "pending": 3],
            "databaseBytes": 12_900_000, "walBytes": 1_153_434, "schema": ["0001_initial", "0002_projections"],
            "database": "/var/lib/trialsd/trials.db", "connections": 2, "subscribers": 1, "uptimeSeconds": 11_525.5,
        ])
        XCTAssertEqual(
            lines(Render.stats(r, style: plain)),
            [
                "      Database: /var/lib/trialsd/trials.db",
                "          Size: 12.3M (write-ahead log 1.1M)",
                "        Schema: 0002_projections (2 migrations)",
                "        Events: 16",
                "      Last seq: 16",
                " Last recorded: 2026-11-21T09:16:00Z",
                "        Trials: 3",
                "       By type: interim-analysis:   2",
                "                milestone-expected: 5",
                "                registered:         3",
                "  Expectations: met:     1",
                "                overdue: 1",
                "                pending: 3",
                "   Connections: 2",
                "   Subscribers: 1",
                "        Uptime: 3h 12min",
                "",
            ])
    }

    // MARK: - record, correct, retract, import

    func testRecordedLines() throws {
        let e = Trials.event(7)
        XCTAssertEqual(
            Render.recorded(e, name: "HARMONi-6"), "Recorded seq 7: HARMONi-6 readout 2026-06-02 (version 4)\n")
        XCTAssertEqual(Render.recorded(e, replayed: true), "Already recorded as seq 7 (same id and content)\n")
        let append = params([
            "event": Trials.events[6].json, "replayed": false,
            "trial": Trials.trialJSON(Trials.illumine, detailed: false),
        ])
        XCTAssertEqual(try Render.appended(append), "Recorded seq 7: ILLUMINE readout 2026-06-02 (version 4)\n")
        let replay = params([
            "event": Trials.events[6].json, "replayed": true,
            "trial": Trials.trialJSON(Trials.harmoni6, detailed: false),
        ])
        XCTAssertEqual(try Render.appended(replay), "Already recorded as seq 7 (same id and content)\n")
        XCTAssertEqual(
            try Render.appendedMany(Trials.logReply(12...13)),
            """
            Recorded seq 12: NCT07264075 registered 2025-12-04 (version 1)
            Recorded seq 13: NCT07264075 status-changed 2025-12-04 (version 2)

            """)
        let correction = RecordedEvent(
            seq: 17, id: "x", trial: "HARMONi-6", version: 9,
            payload: .corrected(
                Corrected(target: 7, reason: "final, not primary", payload: ["kind": "final", "outcome": "positive"])),
            occurred: Fixture.date("2026-11-21"), recorded: Timestamp(microseconds: 0), recordedBy: "alice",
            source: nil, hash: [1])
        XCTAssertEqual(
            Render.recorded(try EventReply(json: correction.json)),
            "Recorded seq 17: HARMONi-6 corrected seq 7 (version 9)\n")
    }

    func testImported() throws {
        let reply = params([
            "trials": [
                [
                    "trial": "NCT02552212", "events": [Trials.events[12].json, Trials.events[13].json],
                    "severities": ["critical", "minor"],
                ],
                ["trial": "NCT06171568", "events": [], "severities": []],
            ]
        ])
        XCTAssertEqual(
            try Render.imported(reply, style: plain),
            """
            NCT02552212: 2 events (status-changed critical, dates-updated minor)
            NCT06171568: unchanged

            """)
        XCTAssertTrue(
            try Render.imported(reply, style: .terminal(width: 80, color: true)).contains(
                "status-changed \u{1B}[0;1;31mcritical\u{1B}[0m"))
    }

    func testUnexpectedReplyIsAProtocolError() {
        XCTAssertThrowsError(try Reply.trials(params(["trials": [["key": "X", "version": "one", "lastSeq": 1]]]))) {
            e in
            XCTAssertEqual(
                (e as? TrialctlError)?.message,
                "protocol error: unexpected reply from trialsd: trials[0].version: expected a number, got a string")
        }
        XCTAssertThrowsError(try Reply.trials(params(["nope": 1]))) { e in
            XCTAssertEqual(
                (e as? TrialctlError)?.message,
                "protocol error: unexpected reply from trialsd: trials: expected an array")
        }
        // Members a newer trialsd adds are ignored.
        var t = Trials.trialJSON(Trials.harmoni6, detailed: true).objectValue!
        t["colour"] = "blue"
        XCTAssertNoThrow(try TrialReply(json: .object(t)))
    }
}

extension String {
    /// Without ANSI escape sequences.
    func replacingEscapes() -> String {
        var out = ""
        var inEscape = false
        for u in unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(u.value) && u != "[" { inEscape = false }
                continue
            }
            if u == "\u{1B}" { inEscape = true; continue }
            out.unicodeScalars.append(u)
        }
        return out
    }
}
