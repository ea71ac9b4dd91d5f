@testable import TrialClient
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

/// A log of the real trials of shared/trial-timeline.md, folded by the domain's own code, so
/// that the replies below are exactly what trialsd sends.
enum Trials {
    static let harmoni2 = "NCT05499390"
    static let harmoni6 = "HARMONi-6"
    static let illumine = "NCT07264075"

    /// seq 1–3 HARMONi-2, 4–11 HARMONi-6, 12–16 ILLUMINE, recorded a minute apart from
    /// 2026-11-21T09:01:00.123456Z.
    static let events: [RecordedEvent] = {
        var log: [RecordedEvent] = []
        var versions: [String: Int64] = [:]
        func add(
            _ trial: String, _ type: EventType, _ occurred: String, _ payload: JSONValue, source: String? = nil,
            by: String = "alice (1000)"
        ) {
            let seq = Int64(log.count + 1)
            let version = (versions[trial] ?? 0) + 1
            versions[trial] = version
            let recorded = Timestamp(
                microseconds: try! Timestamp(parsing: "2026-11-21T09:00:00Z").microseconds + seq * 60_000_000 + 123_456)
            log.append(
                RecordedEvent(
                    seq: seq,
                    id: "00000000-0000-4000-8000-\(String(repeating: "0", count: 10))\(seq < 10 ? "0" : "")\(seq)",
                    trial: trial, version: version, payload: try! Payload(type: type, json: payload),
                    occurred: Fixture.date(occurred), recorded: recorded, recordedBy: by, source: source,
                    hash: Array(repeating: UInt8(seq), count: 32)))
        }
        let lancet = "Xiong A et al., Lancet 2025;405(10481):839-849"
        // HARMONi-2 (OncLive interview with Xiuning Le, 2025; Lancet 2025).
        add(
            harmoni2, .registered, "2025",
            [
                "title": "Ivonescimab versus pembrolizumab for PD-L1-positive advanced NSCLC", "acronym": "HARMONi-2",
                "identifiers": [["registry": "nct", "id": "NCT05499390"]], "sponsor": "Akeso", "phases": ["phase-3"],
                "conditions": ["Non-small cell lung cancer"],
                "arms": [
                    ["label": "ivonescimab", "type": "experimental", "interventions": ["ivonescimab"]],
                    ["label": "pembrolizumab", "type": "active-comparator", "interventions": ["pembrolizumab"]],
                ],
                "primaryEndpoints": ["PFS"], "enrollment": ["count": 398, "type": "actual"],
                "design": ["allocation": "randomized", "masking": "double"],
            ], source: "OncLive, 2025")
        add(harmoni2, .interimAnalysis, "2025", Fixture.harmoni2Interim, source: lancet)
        add(
            harmoni2, .published, "2025", ["citation": .string(lancet), "doi": "10.1016/S0140-6736(24)02722-3"],
            source: lancet)
        // HARMONi-6 (World Today Journal, Berlin, June 2, 2026).
        let wtj = "World Today Journal, 2026-06-02"
        add(
            harmoni6, .registered, "2025-04",
            [
                "title":
                    "Ivonescimab plus chemotherapy versus tislelizumab plus chemotherapy in advanced squamous NSCLC",
                "acronym": "HARMONi-6", "sponsor": "Akeso", "phases": ["phase-3"],
                "conditions": ["Squamous non-small cell lung cancer"],
                "primaryEndpoints": ["PFS"], "enrollment": ["count": 532, "type": "actual"],
            ], source: wtj)
        add(
            harmoni6, .interimAnalysis, "2025-04",
            ["analysis": "first interim analysis", "endpoints": ["PFS"], "outcome": "met"], source: wtj)
        add(harmoni6, .milestoneExpected, "2025-04", ["milestone": "readout:OS", "window": "2026-H1"], source: wtj)
        add(
            harmoni6, .readout, "2026-06-02",
            ["kind": "primary", "outcome": "positive", "endpoints": ["OS"], "venue": "ASCO 2026"], source: wtj)
        add(harmoni6, .presented, "2026-06-02", ["venue": "ASCO 2026"], source: wtj)
        add(harmoni6, .milestoneExpected, "2026-06-02", ["milestone": "presented:ESMO", "window": "2026"], source: wtj)
        add(
            harmoni6, .milestoneExpected, "2026-06-02", ["milestone": "regulatory-submission", "window": "2027"],
            source: wtj)
        add(
            harmoni6, .milestoneExpected, "2026-06-02", ["milestone": "regulatory-decision", "window": "2027"],
            source: wtj)
        // ILLUMINE (ClinicalTrials.gov NCT07264075, last updated 2025-12-04).
        let ctgov = "ClinicalTrials.gov NCT07264075, last update 2025-12-04"
        add(
            illumine, .registered, "2025-12-04",
            [
                "title":
                    "Ivonescimab with or without ligufalimab versus pembrolizumab in first-line PD-L1-positive recurrent or metastatic HNSCC",
                "acronym": "ILLUMINE",
                "identifiers": [
                    ["registry": "nct", "id": "NCT07264075"], ["registry": "ctis", "id": "2025-522996-27-00"],
                    ["registry": "sponsor", "id": "GORTEC 2024-04"],
                ],
                "sponsor": "Groupe Oncologie Radiotherapie Tete et Cou",
                "collaborators": ["Akeso Biopharma Co., Ltd.", "Summit Therapeutics"], "phases": ["phase-3"],
                "conditions": ["Head and neck squamous cell carcinoma"],
                "arms": [
                    ["label": "A", "type": "experimental", "interventions": ["ivonescimab 10 mg/kg Q3W"]],
                    [
                        "label": "B", "type": "experimental",
                        "interventions": ["ivonescimab 10 mg/kg", "ligufalimab 45 mg/kg Q3W"],
                    ],
                    ["label": "C", "type": "active-comparator", "interventions": ["pembrolizumab 200 mg Q3W"]],
                ],
                "primaryEndpoints": ["OS"], "enrollment": ["count": 780, "type": "estimated"],
                "design": ["allocation": "randomized", "masking": "none"],
            ], source: ctgov)
        add(illumine, .statusChanged, "2025-12-04", ["status": "not-yet-recruiting"], source: ctgov)
        add(
            illumine, .datesUpdated, "2025-12-04",
            [
                "start": ["date": "2026-01-31", "type": "estimated"],
                "completion": ["date": "2030-05-31", "type": "estimated"],
            ], source: ctgov)
        add(
            illumine, .milestoneExpected, "2025-12-04",
            ["milestone": "status-changed:recruiting", "window": "2026-Q1"], source: ctgov)
        add(illumine, .milestoneOverdue, "2026-04-01", ["expected": 15], by: "trialsd")
        return log
    }()

    static func fold(_ key: String) -> TrialFold {
        try! TrialFold.fold(key: key, events: events.filter { $0.trial == key }, lenient: true)
    }

    /// The `Trial` of the IDL: the summary, with timeline and expectations when `detailed`.
    static func trialJSON(_ key: String, detailed: Bool) -> JSONValue {
        let view = fold(key).view
        return detailed ? view.json : view.summary.json
    }

    /// The `Status` reply for every trial.
    static var statusAll: JSONObject {
        JSONObject([("trials", .array([harmoni2, harmoni6, illumine].map { trialJSON($0, detailed: false) }))])
    }

    /// The `Status` reply for one trial.
    static func statusOne(_ key: String) -> JSONObject {
        JSONObject([("trials", .array([trialJSON(key, detailed: true)]))])
    }

    /// The `Log` reply for events `range`.
    static func logReply(_ range: ClosedRange<Int>, next: Int64? = nil) -> JSONObject {
        var o = JSONObject([("events", .array(events[(range.lowerBound - 1)...(range.upperBound - 1)].map(\.json)))])
        if let next { o["next"] = .int(next) }
        return o
    }

    /// The `Upcoming` reply with every open expectation, in window order.
    static var upcomingReply: JSONObject {
        var items: [(PartialDate, Int64, JSONValue)] = []
        for key in [harmoni2, harmoni6, illumine] {
            let f = fold(key)
            for x in f.expectations where x.isOpen {
                var b = JSONObject()
                b["trial"] = .string(key)
                b["name"] = .string(f.summary.displayName)
                b["seq"] = .int(x.seq)
                b["milestone"] = .string(x.milestone.description)
                b["window"] = .string(x.window.description)
                b["windowStart"] = .string(x.window.start.description)
                b["windowEnd"] = .string(x.window.end.description)
                b["state"] = .string(x.state.rawValue)
                b["madeOn"] = .string(x.madeOn.description)
                b["source"] = x.source.map { .string($0) }
                items.append((x.window, x.seq, .object(b)))
            }
        }
        items.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return JSONObject([("milestones", .array(items.map(\.2)))])
    }

    static func event(_ seq: Int) -> EventReply { try! EventReply(json: events[seq - 1].json) }
}

/// A stand-in for trialsd: canned replies per method, and a record of every call.
final class FakeTrialsd: TrialsTransport {
    var calls: [(method: String, parameters: JSONObject)] = []
    var replies: [String: (JSONObject) throws -> JSONObject] = [:]
    /// Subscribe: one script per connection, each a list of replies then maybe an error.
    var streams: [(events: [JSONObject], error: VarlinkError?)] = []
    var closed = 0

    func reply(_ member: String, _ body: @escaping (JSONObject) throws -> JSONObject) { replies[member] = body }
    func reply(_ member: String, _ value: JSONObject) { replies[member] = { _ in value } }
    func fail(_ member: String, _ error: VarlinkError) { replies[member] = { _ in throw ClientError.remote(error) } }

    func call(_ method: String, _ parameters: JSONObject) throws -> JSONObject {
        calls.append((method, parameters))
        let member = String(method.split(separator: ".").last!)
        guard let r = replies[member] else { throw ClientError.remote(.methodNotFound(method)) }
        return try r(parameters)
    }

    /// The replies of a listing asked for with `more` (Status, Upcoming), by method, in order;
    /// a method with none here answers with its canned reply, once; else `streams` answers.
    var pages: [String: [JSONObject]] = [:]

    func stream(_ method: String, _ parameters: JSONObject, _ body: (JSONObject) throws -> Bool) throws {
        calls.append((method, parameters))
        let member = String(method.split(separator: ".").last!)
        if let pages = pages[member] {
            for page in pages { if try !body(page) { return } }
            return
        }
        if let r = replies[member] {
            _ = try body(try r(parameters))
            return
        }
        guard !streams.isEmpty else { throw ClientError.protocolViolation("trialsd closed the connection") }
        let script = streams.removeFirst()
        for (i, e) in script.events.enumerated() {
            if try !body(e) { return }
            if i == script.events.count - 1, script.error == nil { return }
        }
        if let error = script.error { throw ClientError.remote(error) }
    }

    func close() { closed += 1 }
}

/// Runs trialctl in-process against a FakeTrialsd.
struct Harness {
    let trialsd = FakeTrialsd()
    var environment: [String: String] = ["TRIALCTL_SOCKET": "/run/test/control"]
    var terminal = Terminal.pipe
    var stdin: [UInt8] = []
    var files: [String: String] = [:]
    var connects: [String] = []
    /// The answer timeout of each connection, in order.
    var timeouts: [Duration?] = []
    /// The clock of every run: before the fixtures' events were recorded, so that each reply's
    /// event is new unless a test moves it.
    var now = try! Timestamp(parsing: "2026-11-21T09:00:00Z")

    mutating func run(_ args: String...) -> TrialctlResult { run(args) }

    mutating func run(_ args: [String]) -> TrialctlResult {
        var out = ""
        var err = ""
        var connected: [String] = []
        var timeouts: [Duration?] = []
        let trialsd = self.trialsd
        let files = self.files
        let stdin = self.stdin
        var ctx = Context(
            environment: environment, terminal: terminal, writeOut: { out += $0 }, writeErr: { err += $0 },
            readStdin: { stdin },
            readFile: { (path: String) throws(TrialctlError) -> [UInt8] in
                guard let f = files[path] else { throw .failure("cannot read \(path): No such file or directory") }
                return Array(f.utf8)
            },
            fileExists: { _ in false },
            connect: { path, timeout in
                connected.append(path)
                timeouts.append(timeout)
                return trialsd
            },
            uid: 1000, page: { _, _ in false })
        let now = self.now
        ctx.now = { now }
        let status = TrialctlMain.run(args, context: ctx)
        connects += connected
        self.timeouts += timeouts
        return TrialctlResult(status: status, stdout: out, stderr: err)
    }
}
