import Foundation
import TrialDomain
import TrialExports
import TrialTestSupport
import XCTest

final class ICalendarTests: XCTestCase {
    let now = try! Timestamp(parsing: "2026-11-21T19:37:24.5Z")

    func milestone(
        _ window: String, _ state: ExpectationState = .pending, seq: Int64 = 7, name: String = "HARMONi-3",
        key: String = "HARMONi-3",
        nct: String? = "NCT05899608", milestone: String = "readout:OS", source: String? = nil
    ) -> CalendarMilestone {
        CalendarMilestone(
            trialKey: key, displayName: name, nctNumber: nct, milestone: try! MilestoneSpec(parsing: milestone),
            window: Fixture.date(window), state: state, seq: seq, source: source, madeOn: Fixture.date("2025-06"))
    }

    /// The unfolded content lines of a calendar.
    func lines(_ ics: String) -> [String] {
        ics.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n").dropLast().map { $0 }
    }

    func event(_ ics: String, _ n: Int = 0) -> [String] {
        let all = lines(ics)
        let begins = all.indices.filter { all[$0] == "BEGIN:VEVENT" }
        let ends = all.indices.filter { all[$0] == "END:VEVENT" }
        return Array(all[begins[n]...ends[n]])
    }

    // MARK: Golden cases

    func testAWholeCalendarReadsAsWritten() {
        let ics = ICalendar.render(
            [milestone("2026-H1", .overdue, seq: 123)], now: now, calendarName: "trialtrack: upcoming")
        XCTAssertEqual(
            ics,
            [
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//trialtrack//TrialExports//EN",
                "CALSCALE:GREGORIAN",
                "METHOD:PUBLISH",
                "NAME:trialtrack: upcoming",
                "X-WR-CALNAME:trialtrack: upcoming",
                "REFRESH-INTERVAL;VALUE=DURATION:PT12H",
                "X-PUBLISHED-TTL:PT12H",
                "BEGIN:VEVENT",
                "UID:expectation-123-HARMONi-3@trialtrack",
                "DTSTAMP:20261121T193724Z",
                "DTSTART;VALUE=DATE:20260101",
                "DTEND;VALUE=DATE:20260701",
                "SUMMARY:HARMONi-3: OS readout (overdue)",
                // Folded at exactly 75 octets a line (the first 75, each continuation a space and 74).
                "DESCRIPTION:Trial: HARMONi-3\\nNCT number: NCT05899608 (https://clinicaltria",
                " ls.gov/study/NCT05899608)\\nExpected: OS readout (readout:OS) in 1H 2026 (2",
                " 026-H1)\\nState: overdue: the window passed without it\\nForecast made: 2025",
                " -06 (seq 123)",
                "STATUS:TENTATIVE",
                "SEQUENCE:1",
                "TRANSP:TRANSPARENT",
                "CATEGORIES:readout",
                "END:VEVENT",
                "END:VCALENDAR",
                "",
            ].joined(separator: "\r\n"))
    }

    func testEachPrecisionSpansItsWindowWithAnExclusiveEnd() {
        let cases: [(String, String, String)] = [
            ("2026", "20260101", "20270101"),
            ("2026-H1", "20260101", "20260701"),
            ("2026-H2", "20260701", "20270101"),
            ("2026-Q2", "20260401", "20260701"),
            ("2026-Q4", "20261001", "20270101"),
            ("2026-06", "20260601", "20260701"),
            ("2024-02", "20240201", "20240301"),  // a leap year's February
            ("2026-12", "20261201", "20270101"),
            ("2026-06-02", "20260602", "20260603"),
            ("2024-02-29", "20240229", "20240301"),
            ("2026-12-31", "20261231", "20270101"),
        ]
        for (window, start, end) in cases {
            let e = event(ICalendar.render([milestone(window)], now: now, calendarName: "c"))
            XCTAssertTrue(e.contains("DTSTART;VALUE=DATE:\(start)"), "\(window): \(e)")
            XCTAssertTrue(e.contains("DTEND;VALUE=DATE:\(end)"), "\(window): \(e)")
        }
    }

    func testStatesGiveStatusSequenceAndSummary() {
        let expected: [(ExpectationState, String, String, String)] = [
            (.pending, "TENTATIVE", "0", "HARMONi-3: OS readout"),
            (.overdue, "TENTATIVE", "1", "HARMONi-3: OS readout (overdue)"),
            (.met, "CONFIRMED", "2", "HARMONi-3: OS readout (met)"),
            (.superseded, "CANCELLED", "2", "HARMONi-3: OS readout (slipped)"),
        ]
        for (state, status, sequence, summary) in expected {
            let e = event(ICalendar.render([milestone("2026", state)], now: now, calendarName: "c"))
            XCTAssertTrue(e.contains("STATUS:\(status)"), "\(state): \(e)")
            XCTAssertTrue(e.contains("SEQUENCE:\(sequence)"), "\(state): \(e)")
            XCTAssertTrue(e.contains("SUMMARY:\(summary)"), "\(state): \(e)")
        }
    }

    func testTextIsEscaped() {
        let m = milestone(
            "2026", name: #"A;B,C\D"#, key: "k", nct: nil, milestone: "presented:ESMO, Berlin",
            source: "line one\nline two\r\nthree\u{7}\tend")
        let e = event(ICalendar.render([m], now: now, calendarName: "x;y,z"))
        XCTAssertTrue(e.contains(#"SUMMARY:A\;B\,C\\D: presented at ESMO\, Berlin"#), "\(e)")
        let description = e.first { $0.hasPrefix("DESCRIPTION:") }!
        XCTAssertTrue(description.hasSuffix(#"Source: line one\nline two\nthree"# + "\tend"), description)
        XCTAssertFalse(description.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" }, description)
        XCTAssertEqual(ICalendar.escapeText("a\rb"), #"a\nb"#)
    }

    func testLongUTF8LinesFoldBetweenCharactersAt75Octets() {
        // Two-, three- and four-byte characters, placed so that a cut at 75 octets would fall
        // inside one of them.
        let name =
            "Ü" + String(repeating: "é", count: 40) + String(repeating: "漢", count: 30)
            + String(repeating: "🫁", count: 20)
        let ics = ICalendar.render([milestone("2026", name: name)], now: now, calendarName: name)
        let raw = Array(ics.utf8)
        XCTAssertTrue(ics.hasSuffix("END:VCALENDAR\r\n"))
        // Every line ends in CRLF, no bare CR or LF.
        for (i, b) in raw.enumerated() {
            if b == 13 { XCTAssertEqual(raw[i + 1], 10, "a bare CR at \(i)") }
            if b == 10 { XCTAssertEqual(raw[i - 1], 13, "a bare LF at \(i)") }
        }
        var longest = 0
        for line in raw.split(separator: 10) {
            let octets = line.dropLast()  // its CR
            longest = max(longest, octets.count)
            XCTAssertLessThanOrEqual(octets.count, 75, String(decoding: octets, as: UTF8.self))
            // Each physical line is valid UTF-8 on its own: no character was cut.
            XCTAssertNotNil(String(validating: octets, as: UTF8.self), "\(Array(octets))")
        }
        XCTAssertGreaterThan(longest, 70, "lines are filled, not cut short")
        // Unfolded, the text is whole again.
        XCTAssertTrue(lines(ics).contains("SUMMARY:\(name): OS readout"))
        XCTAssertTrue(lines(ics).contains("X-WR-CALNAME:\(name)"))
    }

    func testFoldingAtTheBoundaries() {
        let exactly75 = String(repeating: "a", count: 75)
        XCTAssertEqual(ICalendar.fold(exactly75), exactly75 + "\r\n")
        XCTAssertEqual(ICalendar.fold(exactly75 + "b"), exactly75 + "\r\n b\r\n")
        let long = String(repeating: "c", count: 75 + 74 + 1)
        XCTAssertEqual(
            ICalendar.fold(long),
            String(repeating: "c", count: 75) + "\r\n " + String(repeating: "c", count: 74) + "\r\n c\r\n")
        // "é" is two octets: 74 one-octet letters and "é" would end at octet 76, so "é" moves on.
        XCTAssertEqual(
            ICalendar.fold(String(repeating: "a", count: 74) + "é"), String(repeating: "a", count: 74) + "\r\n é\r\n")
    }

    func testUIDsAreStableAndDistinct() {
        let m = milestone("2026", seq: 42, key: "GORTEC 2024-04")
        XCTAssertEqual(ICalendar.uid(m), "expectation-42-GORTEC%202024-04@trialtrack")
        // The state changes, the UID does not; another forecast of the same milestone has its own.
        var met = m
        met.state = .met
        XCTAssertEqual(ICalendar.uid(met), ICalendar.uid(m))
        XCTAssertNotEqual(ICalendar.uid(milestone("2027", seq: 43, key: "GORTEC 2024-04")), ICalendar.uid(m))
        // Two renderings at different times differ only in DTSTAMP.
        let first = ICalendar.render([m], now: now, calendarName: "c")
        let later = ICalendar.render(
            [m], now: Timestamp(microseconds: now.microseconds + 86_400_000_000), calendarName: "c")
        XCTAssertEqual(
            first.replacingOccurrences(of: "DTSTAMP:20261121T193724Z", with: "DTSTAMP:20261122T193724Z"), later)
    }

    func testAnHTTPSourceIsAlsoTheEventsURL() {
        let web = event(
            ICalendar.render(
                [milestone("2026", source: "https://example.org/news?a=1,b=2")], now: now, calendarName: "c"))
        XCTAssertTrue(web.contains("URL:https://example.org/news?a=1,b=2"), "\(web)")
        let paper = event(
            ICalendar.render([milestone("2026", source: "press release, June 2025")], now: now, calendarName: "c"))
        XCTAssertFalse(paper.contains { $0.hasPrefix("URL:") }, "\(paper)")
    }

    func testMilestonesOfAView() {
        let p = Programme.build()
        let all = p.views.flatMap(CalendarMilestone.all(of:))
        XCTAssertEqual(all.count, 7)
        let os = all.first { $0.seq == p.seq["A.os2"] }!
        XCTAssertEqual(os.state, .overdue)
        XCTAssertEqual(os.nctNumber, "NCT05184712")
        XCTAssertEqual(os.summary, "HARMONi-A: OS readout (overdue)")
        XCTAssertEqual(all.first { $0.seq == p.seq["A.os1"] }?.state, .superseded)
        XCTAssertEqual(all.first { $0.seq == p.seq["6.os"] }?.state, .met)
        XCTAssertNil(all.first { $0.seq == p.seq["6.esmo"] }?.nctNumber)
    }

    // MARK: An independent reader: Python's icalendar

    static let reader = #"""
        import sys, json, icalendar
        raw = open(sys.argv[1], 'rb').read()
        cal = icalendar.Calendar.from_ical(raw)
        out = {"calname": str(cal.get('X-WR-CALNAME')), "version": str(cal.get('VERSION')),
               "prodid": str(cal.get('PRODID')), "events": []}
        for ev in cal.walk('VEVENT'):
            s, e = ev['DTSTART'].dt, ev['DTEND'].dt
            out["events"].append({
                "uid": str(ev['UID']), "summary": str(ev['SUMMARY']), "description": str(ev['DESCRIPTION']),
                "start": s.isoformat(), "end": e.isoformat(), "startType": type(s).__name__, "endType": type(e).__name__,
                "status": str(ev['STATUS']), "sequence": int(ev['SEQUENCE']), "dtstamp": ev['DTSTAMP'].dt.isoformat(),
                "url": str(ev.get('URL')) if ev.get('URL') is not None else None,
            })
        print(json.dumps(out))
        """#

    func testPythonsIcalendarReadsAnEmptyCalendar() throws {
        let parsed = try runPython(
            Self.reader, on: ICalendar.render([], now: now, calendarName: "none"), modules: ["icalendar"],
            suffix: ".ics")
        guard !parsed.isEmpty else { return }
        XCTAssertEqual(parsed["version"] as? String, "2.0")
        XCTAssertEqual((parsed["events"] as? [Any])?.count, 0)
    }

    func testPythonsIcalendarReadsEveryEvent() throws {
        let p = Programme.build()
        var all = p.views.flatMap(CalendarMilestone.all(of:))
        // And the hard cases: every precision, escaping, long UTF-8 text.
        all.append(milestone("2026-Q3", seq: 900, name: "Ünïcödé 漢字 " + String(repeating: "🫁é", count: 30), key: "u"))
        all.append(
            milestone(
                "2028-02", .met, seq: 901, name: #"semi;colon,comma\back"#, key: "e",
                milestone: "presented:ESMO, Berlin",
                source: "two\nlines"))
        all.append(milestone("2024-02-29", .superseded, seq: 902, key: "d"))
        let ics = ICalendar.render(all, now: now, calendarName: "trialtrack — forecasts, all")
        let parsed = try runPython(Self.reader, on: ics, modules: ["icalendar"], suffix: ".ics")
        guard !parsed.isEmpty else { return }
        // icalendar does not know X-WR-CALNAME (nor RFC 7986's NAME) and gives its value as
        // written, escapes and all; clients read it as TEXT (RFC 5545 §3.8.8.2's default).
        XCTAssertEqual(parsed["calname"] as? String, #"trialtrack — forecasts\, all"#)
        XCTAssertEqual(parsed["version"] as? String, "2.0")
        let events = parsed["events"] as! [[String: Any]]
        XCTAssertEqual(events.count, all.count)
        XCTAssertEqual(Set(events.map { $0["uid"] as! String }).count, all.count, "UIDs are distinct")
        for (m, e) in zip(all, events) {
            XCTAssertEqual(e["uid"] as? String, ICalendar.uid(m))
            XCTAssertEqual(e["summary"] as? String, m.summary)
            XCTAssertEqual(e["startType"] as? String, "date", "an all-day event: \(e)")
            XCTAssertEqual(e["endType"] as? String, "date", "an all-day event: \(e)")
            XCTAssertEqual(e["start"] as? String, m.window.start.description)
            XCTAssertEqual(e["end"] as? String, m.window.end.adding(days: 1).description)
            XCTAssertEqual(e["dtstamp"] as? String, "2026-11-21T19:37:24+00:00")
            let description = e["description"] as! String
            XCTAssertTrue(description.hasPrefix("Trial: \(m.displayName)"), description)
            if let nct = m.nctNumber { XCTAssertTrue(description.contains("NCT number: \(nct)"), description) }
            if let s = m.source { XCTAssertTrue(description.hasSuffix("Source: \(s)"), description) }
        }
        let byUID = Dictionary(uniqueKeysWithValues: events.map { ($0["uid"] as! String, $0) })
        let overdue = byUID["expectation-\(p.seq["A.os2"]!)-HARMONi-A@trialtrack"]!
        XCTAssertEqual(overdue["summary"] as? String, "HARMONi-A: OS readout (overdue)")
        XCTAssertEqual(overdue["start"] as? String, "2026-01-01")
        XCTAssertEqual(overdue["end"] as? String, "2026-07-01")
        XCTAssertEqual(overdue["url"] as? String, "https://example.org/harmoni-a/guidance-2025")
        XCTAssertEqual(byUID["expectation-902-d@trialtrack"]?["status"] as? String, "CANCELLED")
        XCTAssertEqual(
            byUID["expectation-901-e@trialtrack"]?["summary"] as? String,
            #"semi;colon,comma\back: presented at ESMO, Berlin (met)"#)
    }
}
