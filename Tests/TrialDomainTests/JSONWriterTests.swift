import TrialDomain
import TrialTestSupport
import XCTest

/// Each object lists its members once (`JSONWritable.members(into:)`) for two sinks: the
/// `JSONWriter`, which does not sort, must give byte for byte the canonical text of the
/// `JSONValue` tree, which does. A list out of key order fails here.
final class JSONWriterTests: XCTestCase {
    /// A trial with most of what a summary, a timeline and expectations can hold: identifiers,
    /// results, a correction, a forecast met and one overdue.
    func richFold() throws -> TrialFold {
        let events = try [
            Fixture.recorded(
                1, "HARMONi-2", .registered, "2021-12",
                [
                    "title": "Ivonescimab vs \"pembrolizumab\"\n(PD-L1+)", "acronym": "HARMONi-2",
                    "sponsor": "Akeso", "phases": ["phase-3"],
                    "identifiers": [
                        ["registry": "nct", "id": "NCT05499390"], ["registry": "sponsor", "id": "AK112-303"],
                    ],
                ]),
            Fixture.recorded(2, "HARMONi-2", .statusChanged, "2022-01-05", ["status": "recruiting"]),
            Fixture.recorded(
                3, "HARMONi-2", .milestoneExpected, "2022-02", ["milestone": "interim-analysis", "window": "2024-H1"]),
            Fixture.recorded(
                4, "HARMONi-2", .milestoneExpected, "2022-02", ["milestone": "readout:OS", "window": "2025-Q2"]),
            Fixture.recorded(5, "HARMONi-2", .interimAnalysis, "2024-05", Fixture.harmoni2Interim),
            Fixture.recorded(6, "HARMONi-2", .enrollmentUpdated, "2024-06", ["count": 398, "type": "actual"]),
            Fixture.recorded(
                7, "HARMONi-2", .datesUpdated, "2024-06",
                [
                    "start": ["date": "2022-01-05", "type": "actual"],
                    "primaryCompletion": ["date": "2025-Q2"],
                ]),
            Fixture.recorded(8, "HARMONi-2", .milestoneOverdue, "2025-07-01", ["expected": 4]),
            Fixture.recorded(
                9, "HARMONi-2", .corrected, "2025-08",
                ["target": 2, "reason": "the registry's date", "payload": ["status": "enrolling-by-invitation"]]),
        ]
        return try TrialFold.fold(key: "HARMONi-2", events: events)
    }

    /// A registration written straight to bytes is its tree's canonical text: every member
    /// set, every optional left out, empty lists and an empty design.
    func testARegistrationWritesItsCanonicalText() throws {
        let full = Registered(
            title: "Ivonescimab vs \"pembrolizumab\"\n(PD-L1+)", acronym: "HARMONi-2",
            identifiers: [
                try TrialIdentifier(registry: .nct, id: "NCT05499390"),
                try TrialIdentifier(registry: .sponsor, id: "AK112-303"),
            ],
            sponsor: "Akeso", collaborators: ["Summit Therapeutics", "Ünïcode"], phases: [.phase3],
            conditions: ["NSCLC"],
            arms: [
                Registered.Arm(label: "ivonescimab", type: .experimental, interventions: ["ivonescimab"]),
                Registered.Arm(label: "control"),
            ],
            primaryEndpoints: ["PFS"], enrollment: Enrollment(count: 398, type: .actual),
            design: Registered.Design(allocation: .randomized, masking: .double))
        let cases = [
            full, Registered(title: "T"), Registered(title: "T", design: Registered.Design()),
            Registered(title: "T", arms: [Registered.Arm(label: "a", interventions: [])]),
        ]
        for r in cases {
            var w = JSONWriter()
            r.write(to: &w)
            XCTAssertEqual(w.text, r.json.canonicalText)
            XCTAssertEqual(try Registered(json: JSONValue.parse(w.text)), r)
        }
    }

    func testProjectionObjectsMatchTheirCanonicalText() throws {
        let f = try richFold()
        XCTAssertGreaterThanOrEqual(f.timeline.count, 3)
        XCTAssertGreaterThan(f.expectations.count, 1)
        var w = JSONWriter()
        for e in f.timeline {
            w.reset()
            e.write(to: &w)
            XCTAssertEqual(w.text, e.json.canonicalText)
        }
        XCTAssertTrue(f.timeline.contains { $0.correctedBy != nil })
        for x in f.expectations {
            w.reset()
            x.write(to: &w)
            XCTAssertEqual(w.text, x.json.canonicalText)
        }
        XCTAssertTrue(f.expectations.contains { $0.overdueSeq != nil })
        let s = f.summary
        XCTAssertNotNil(s.lastMilestone)
        XCTAssertNotNil(s.nextExpected)
        XCTAssertNotNil(s.enrollment)
        XCTAssertNotEqual(s.dates, DatesUpdated())
        w.reset()
        s.write(to: &w)
        XCTAssertEqual(w.text, s.json.canonicalText)
        var bare = s
        bare.registration = nil
        w.reset()
        s.writeWithoutRegistration(to: &w)
        XCTAssertEqual(w.text, bare.json.canonicalText)
        // An empty summary (a trial with no registration, no dates) too.
        w.reset()
        TrialSummary(key: "T").write(to: &w)
        XCTAssertEqual(w.text, TrialSummary(key: "T").json.canonicalText)
    }

    func testARecordedEventAsItsCanonicalText() throws {
        var e = try Fixture.recorded(5, "HARMONi-2", .interimAnalysis, "2024-05", Fixture.harmoni2Interim)
        e.hash = Array(0..<32)
        e.source = "Lancet 2025"
        var w = JSONWriter()
        e.write(to: &w)
        XCTAssertEqual(w.text, e.json.canonicalText)
    }

    /// An event that carries its payload's stored text is written with that text, equals the
    /// same event without it, and loses it when its payload changes.
    func testARecordedEventWritesItsStoredPayloadText() throws {
        let e = try Fixture.recorded(5, "HARMONi-2", .interimAnalysis, "2024-05", Fixture.harmoni2Interim)
        let canonical = e.payload.json.canonicalText
        var stored = RecordedEvent(
            seq: e.seq, id: e.id, trial: e.trial, version: e.version, payload: e.payload, occurred: e.occurred,
            recorded: e.recorded, recordedBy: e.recordedBy, source: e.source, hash: e.hash, payloadText: canonical)
        XCTAssertEqual(stored, e)
        var w = JSONWriter()
        stored.write(to: &w)
        XCTAssertEqual(w.text, e.json.canonicalText)
        // The text is what is written: a different (here: marked) text shows through.
        let marked = RecordedEvent(
            seq: e.seq, id: e.id, trial: e.trial, version: e.version, payload: e.payload, occurred: e.occurred,
            recorded: e.recorded, recordedBy: e.recordedBy, source: e.source, hash: e.hash,
            payloadText: #"{"marked":1}"#)
        w.reset()
        marked.write(to: &w)
        XCTAssertTrue(w.text.contains(#""payload":{"marked":1}"#), w.text)
        stored.payload = .retracted(Retracted(target: 1, reason: "entered twice"))
        XCTAssertNil(stored.payloadText)
        w.reset()
        stored.write(to: &w)
        XCTAssertEqual(w.text, stored.json.canonicalText)
    }

    func testDatesTimesAndNumbersAsTheirDescriptions() throws {
        for text in ["2027", "2026-H1", "2025-Q2", "2025-04", "2026-06-02", "1999-12-31"] {
            let d = Fixture.date(text)
            var out: [UInt8] = []
            d.write(to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), text)
        }
        XCTAssertEqual(Timestamp(microseconds: 0).description, "1970-01-01T00:00:00.000000Z")
        XCTAssertEqual(try Timestamp(parsing: "2026-11-21T19:37:24.123456Z").description, "2026-11-21T19:37:24.123456Z")
        for v: Int64 in [0, 7, 10, 99, 1_000_000, -1, -42, .max, .min] {
            var out: [UInt8] = []
            JSONWriter.appendDecimal(v, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), String(v))
        }
        for (v, width, text) in [
            (0, 4, "0000"), (7, 2, "07"), (12, 2, "12"), (123, 2, "123"), (2025, 4, "2025"), (5, 6, "000005"),
            (-5, 3, "-005"),
        ] {
            var out: [UInt8] = [UInt8(ascii: "x")]
            JSONWriter.appendPadded(v, width: width, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), "x" + text, "\(v) in \(width)")
        }
        // Days out of the usual range of years keep every digit (a partial date's is 1000–9999).
        XCTAssertEqual(Day(year: 12345, month: 1, day: 9)?.description, "12345-01-09")
        XCTAssertEqual(Day(year: 5, month: 1, day: 9)?.description, "0005-01-09")
        XCTAssertEqual(PartialDate(year: 1000, precision: .day(month: 3, day: 1))?.description, "1000-03-01")
        XCTAssertEqual(Day(year: 2026, month: 11, day: 22)?.description, "2026-11-22")
        var w = JSONWriter()
        w.bool(true)
        w.bool(false)
        XCTAssertEqual(w.text, "true,false")
        w.reset()
        w.string("a \"quoted\"\\ line\n\t\u{01}é")
        XCTAssertEqual(w.text, JSONValue.string("a \"quoted\"\\ line\n\t\u{01}é").canonicalText)
    }
}
