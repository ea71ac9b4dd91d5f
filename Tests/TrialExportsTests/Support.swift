import Foundation
import TrialDomain
import TrialTestSupport
import XCTest

/// Builds a trial's recorded events in code and folds them into a `TrialView`, as the store does.
struct TrialBuilder {
    let key: String
    private(set) var events: [RecordedEvent] = []
    private static let firstRecorded = try! Timestamp(parsing: "2026-11-01T09:00:00Z")
    private static let counter = Counter()

    init(_ key: String) { self.key = key }

    /// Appends an event; returns its seq (unique across every builder, as in one log).
    @discardableResult
    mutating func add(
        _ type: EventType, _ occurred: String, _ payload: String, source: String? = nil, by: String = "curator"
    ) -> Int64 {
        let seq = TrialBuilder.counter.next()
        let id = String(format: "0190a2b4-5c6d-7e8f-9a0b-%012llx", seq)
        events.append(
            RecordedEvent(
                seq: seq, id: id, trial: key, version: Int64(events.count + 1),
                payload: try! Payload(type: type, json: JSONValue.parsed(payload)), occurred: Fixture.date(occurred),
                recorded: Timestamp(microseconds: TrialBuilder.firstRecorded.microseconds + seq * 60_000_000),
                recordedBy: by,
                source: source, hash: []))
        return seq
    }

    var view: TrialView { try! TrialFold.fold(key: key, events: events).view }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64 = 0
    func next() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

/// A small programme modelled on the demo (demo/trial-timeline.jsonl): HARMONi-A, HARMONi-2
/// and HARMONi-6, with their registrations, results and forecasts. The status changes, dates
/// of registration and the OS forecasts of HARMONi-A and HARMONi-6 are illustrative (the demo
/// has none), chosen so that each kind of band, marker and forecast state appears.
enum Programme {
    static let today = Day(year: 2026, month: 11, day: 21)!

    struct Built {
        var views: [TrialView]
        var events: [RecordedEvent]
        /// Seqs by name, for the tests' expectations.
        var seq: [String: Int64]
    }

    static func build() -> Built {
        var seq: [String: Int64] = [:]
        var a = TrialBuilder("HARMONi-A")
        a.add(
            .registered, "2022-01",
            #"{"title": "Ivonescimab plus chemotherapy versus placebo plus chemotherapy in EGFR-mutant nonsquamous NSCLC that progressed on EGFR-TKI therapy (HARMONi-A)", "acronym": "HARMONi-A", "identifiers": [{"registry": "nct", "id": "NCT05184712"}], "phases": ["phase-3"]}"#
        )
        seq["A.recruiting"] = a.add(.statusChanged, "2022-01-26", #"{"status": "recruiting"}"#)
        a.add(.statusChanged, "2023-06", #"{"status": "active-not-recruiting"}"#)
        seq["A.readout"] = a.add(
            .readout, "2024",
            #"{"kind": "primary", "outcome": "positive", "endpoints": ["PFS"], "results": [{"endpoint": "PFS", "arms": ["Ivonescimab + chemotherapy", "Placebo + chemotherapy"], "values": [{"arm": "Ivonescimab + chemotherapy", "value": 7.1, "unit": "months"}, {"arm": "Placebo + chemotherapy", "value": 4.8, "unit": "months"}], "hazardRatio": {"value": 0.46, "ciLow": 0.34, "ciHigh": 0.62, "ciLevel": 95}}]}"#,
            source: "https://ascopubs.org/doi/10.1200/JCO.2024.42.16_suppl.8508")
        a.add(
            .published, "2024",
            #"{"citation": "Zhang L et al. J Clin Oncol 2024;42(suppl 16):8508 (congress abstract)", "doi": "10.1200/JCO.2024.42.16_suppl.8508"}"#
        )
        a.add(
            .presented, "2025-07",
            #"{"venue": "26th Annual International Lung Cancer Congress, Huntington Beach, CA, July 25–27, 2025"}"#)
        seq["A.os1"] = a.add(
            .milestoneExpected, "2024-06", #"{"milestone": "readout:OS", "window": "2025-H1"}"#,
            source: "company guidance, June 2024")
        seq["A.os2"] = a.add(
            .milestoneExpected, "2025-06", #"{"milestone": "readout:OS", "window": "2026-H1"}"#,
            source: "https://example.org/harmoni-a/guidance-2025")
        a.add(.milestoneOverdue, "2026-07-01", "{\"expected\": \(seq["A.os2"]!)}", by: "trialsd")

        var b = TrialBuilder("HARMONi-2")
        b.add(
            .registered, "2022-08",
            #"{"title": "Ivonescimab versus pembrolizumab as first-line treatment of PD-L1-positive advanced NSCLC (HARMONi-2)", "acronym": "HARMONi-2", "identifiers": [{"registry": "nct", "id": "NCT05499390"}], "phases": ["phase-3"]}"#
        )
        b.add(.statusChanged, "2022-09", #"{"status": "recruiting"}"#)
        b.add(.statusChanged, "2023-12-31", #"{"status": "active-not-recruiting"}"#)
        seq["2.interim"] = b.add(.interimAnalysis, "2024-05-30", Fixture.harmoni2Interim.canonicalText)
        b.add(
            .published, "2025",
            #"{"citation": "Xiong A et al. Lancet 2025;405(10481):839-849", "doi": "10.1016/S0140-6736(24)02722-3"}"#)
        seq["2.os"] = b.add(.milestoneExpected, "2025-02", #"{"milestone": "readout:OS", "window": "2027"}"#)

        var c = TrialBuilder("HARMONi-6")
        c.add(
            .registered, "2023-06",
            #"{"title": "Ivonescimab plus chemotherapy versus tislelizumab plus chemotherapy in untreated advanced squamous NSCLC (HARMONi-6)", "acronym": "HARMONi-6", "phases": ["phase-3"]}"#
        )
        c.add(.statusChanged, "2023-06", #"{"status": "recruiting"}"#)
        c.add(.statusChanged, "2024-09", #"{"status": "active-not-recruiting"}"#)
        c.add(
            .interimAnalysis, "2025-04",
            #"{"analysis": "first interim analysis", "endpoints": ["PFS"], "outcome": "met"}"#)
        seq["6.os"] = c.add(.milestoneExpected, "2025-04", #"{"milestone": "readout:OS", "window": "2026-Q2"}"#)
        seq["6.readout"] = c.add(
            .readout, "2026-06-02",
            #"{"kind": "primary", "outcome": "positive", "endpoints": ["OS"], "results": [{"endpoint": "OS", "hazardRatio": {"value": 0.78}}], "venue": "ASCO 2026"}"#
        )
        c.add(.presented, "2026-06-02", #"{"venue": "2026 ASCO Annual Meeting"}"#)
        seq["6.esmo"] = c.add(
            .milestoneExpected, "2026-06-02", #"{"milestone": "presented:ESMO", "window": "2026-10"}"#)
        seq["6.submission"] = c.add(
            .milestoneExpected, "2026-06-02", #"{"milestone": "regulatory-submission", "window": "2027"}"#)
        seq["6.decision"] = c.add(
            .milestoneExpected, "2026-06-02", #"{"milestone": "regulatory-decision:approved", "window": "2027-12-15"}"#)

        return Built(views: [a.view, b.view, c.view], events: a.events + b.events + c.events, seq: seq)
    }
}

/// A random programme of `count` trials (a fixed seed, so a failure replays).
enum RandomProgramme {
    static func build(count: Int, seed: UInt64) -> [TrialView] {
        var rng = SeededRandom(seed: seed)
        var views: [TrialView] = []
        for i in 0..<count {
            var t = TrialBuilder("TRIAL-\(i + 1)")
            let nct = "NCT" + String(format: "%08d", Int.random(in: 1_000_000..<9_999_999, using: &rng))
            var day = Day(year: 2016, month: 1, day: 1)!.adding(days: Int.random(in: 0..<2200, using: &rng))
            func date(_ d: Day, _ rng: inout SeededRandom) -> String {
                let (y, m, _) = d.components
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: return "\(y)"
                case 1: return "\(y)-Q\((m - 1) / 3 + 1)"
                case 2: return String(format: "%04d-%02d", y, m)
                default: return d.description
                }
            }
            let acronym = i % 4 == 3 ? "" : #", "acronym": "R\#(i + 1)-\#(["ALPHA", "BETA", "GAMMA", "DELTA"][i % 4])""#
            t.add(
                .registered, day.description,
                #"{"title": "Random trial \#(i + 1)"\#(acronym), "identifiers": [{"registry": "nct", "id": "\#(nct)"}]}"#
            )
            for status in ["not-yet-recruiting", "recruiting", "active-not-recruiting", "completed"] {
                guard Int.random(in: 0..<5, using: &rng) > 0 else { break }
                day = day.adding(days: Int.random(in: 30..<500, using: &rng))
                guard day < Programme.today else { break }
                t.add(.statusChanged, day.description, #"{"status": "\#(status)"}"#)
            }
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let d = Day(year: 2017, month: 1, day: 1)!.adding(days: Int.random(in: 0..<3500, using: &rng))
                switch Int.random(in: 0..<3, using: &rng) {
                case 0:
                    t.add(
                        .readout, date(d, &rng),
                        #"{"kind": "primary", "outcome": "positive", "endpoints": ["OS"], "results": [{"endpoint": "OS", "hazardRatio": {"value": 0.\#(Int.random(in: 50...95, using: &rng))}}]}"#
                    )
                case 1: t.add(.presented, date(d, &rng), #"{"venue": "ESMO \#(d.components.year)"}"#)
                default: t.add(.published, date(d, &rng), #"{"citation": "Someone et al. 2020"}"#)
                }
            }
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                let d = Day(year: 2025, month: 1, day: 1)!.adding(days: Int.random(in: 0..<1500, using: &rng))
                t.add(
                    .milestoneExpected, "2025-01",
                    #"{"milestone": "regulatory-decision", "window": "\#(date(d, &rng))"}"#)
            }
            views.append(t.view)
        }
        return views
    }
}

/// The tests' Python (`make venv`), or a skip saying how to get it; `modules` must import.
func testPython(needing modules: [String]) throws -> String {
    let python = Repository.path(".build/venv/bin/python3")
    try XCTSkipUnless(
        FileManager.default.isExecutableFile(atPath: python),
        "needs the tests' Python environment with \(modules.joined(separator: ", ")): `make venv` makes it (`make check` does)"
    )
    let check = try runProgram(python, ["-c", "import " + modules.joined(separator: ", ")], timeout: 60)
    XCTAssertEqual(
        check.status, 0,
        "the tests' Python environment lacks \(modules.joined(separator: ", ")) (`make venv` installs them): \(check)")
    return python
}

/// Runs a Python script on a file holding `text`; returns what the script prints as JSON.
func runPython(
    _ script: String, on text: String, modules: [String], suffix: String, file: StaticString = #filePath,
    line: UInt = #line
) throws -> [String: Any] {
    let python = try testPython(needing: modules)
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path("input" + suffix)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    let r = try runProgram(python, ["-c", script, path], output: .separate, timeout: 120)
    guard r.status == 0 else {
        XCTFail("the Python check failed: \(r)", file: file, line: line)
        return [:]
    }
    guard let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any] else {
        XCTFail("the Python check printed no JSON object: \(r)", file: file, line: line)
        return [:]
    }
    return object
}
