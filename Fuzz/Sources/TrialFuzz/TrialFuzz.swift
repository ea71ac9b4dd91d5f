import ClinicalTrialsGov
import TrialDomain
import TrialProtocol

// libFuzzer's entry point: everything trialsd parses from the bytes a peer sends, without a
// socket. The first byte chooses what the rest is read as (corpus files start with a letter,
// so that they stay readable):
//
//   j  JSON text: the parser and the canonical writer's round trip
//   v  a Varlink message: the call (and reply) decoding, and the events, payloads and
//      documents it carries, decoded as the daemon decodes them (AppendMany's events folded)
//   e  an event of the public contract: NewEvent(json:today:) and its round trip, then
//      appended after a registration and folded as the store does
//   p  a payload: Payload(type:json:) for every event type, both details, and its round trip
//   s  a ClinicalTrials.gov document: StudyDocument.parse, then ImportPlanner.plan against
//      no trial, the trial the plan made, and (later studies) the first study's trial
//   t  a line of text: partial dates, days, times, trial references, identifiers, UUIDs
//
// Any other first byte runs every reading on the whole input. A crash, a trap (overflow, index
// out of range, force unwrap) or a broken property (`check`) is a finding.

/// The clock's day for the contract's "not in the future" rule: fixed, so a finding replays.
let today = Day(year: 2026, month: 11, day: 21)!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let all = UnsafeBufferPointer(start: data, count: size)
    guard let mode = all.first else { return 0 }
    let rest = UnsafeBufferPointer(rebasing: all[1...])
    switch mode {
    case UInt8(ascii: "j"): _ = json(rest)
    case UInt8(ascii: "v"): if let v = json(rest) { varlink(v) }
    case UInt8(ascii: "e"): if let v = json(rest), let e = event(v) { fold([registration, e]) }
    case UInt8(ascii: "p"): if let v = json(rest) { payloadsOfEveryType(v) }
    case UInt8(ascii: "s"): study(Array(rest))
    case UInt8(ascii: "t"): text(String(decoding: rest, as: UTF8.self))
    default:
        text(String(decoding: all, as: UTF8.self))
        if let v = json(all) {
            varlink(v)
            _ = event(v)
            payloadsOfEveryType(v)
            study(v)
        }
    }
    return 0
}

/// libFuzzer's driver (`int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t))`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// The program's entry: SwiftPM links an executable's `main` to `<module>_main` on Linux, so
/// libFuzzer's own `main` is not used; this starts libFuzzer's driver with our callback.
@_cdecl("TrialFuzz_main")
func trialFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data, size) }
}

/// A broken property: trap with what broke, so that libFuzzer keeps the input.
func check(_ condition: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
    if !condition() {
        print("PROPERTY FAILED: \(what())")
        fatalError(what())
    }
}

// MARK: - JSON

/// Parses; for a value that parses, its canonical text parses again to an equal value whose
/// canonical text is the same bytes.
func json(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
    guard let v = try? JSONValue.parse(bytes) else { return nil }
    roundTrip(v)
    return v
}

func roundTrip(_ v: JSONValue) {
    let text = v.canonicalText
    let again: JSONValue
    do { again = try JSONValue.parse(text) } catch {
        check(false, "canonical text does not parse: \(error): \(text.prefix(500))")
        return
    }
    check(again == v, "canonical text parses to another value: \(text.prefix(500))")
    let twice = again.canonicalText
    check(twice == text, "canonical text not stable: \(text.prefix(500)) then \(twice.prefix(500))")
    // The streaming writer gives the tree's bytes.
    var w = JSONWriter()
    w.value(v)
    check(w.bytes == Array(text.utf8), "JSONWriter.value differs from canonicalText: \(text.prefix(500))")
}

// MARK: - Varlink

/// What the daemon does with a message, as far as decoding goes.
func varlink(_ message: JSONValue) {
    _ = try? VarlinkReply(message: message)
    guard let call = try? VarlinkCall(message: message) else { return }
    // A call's own form reads back as the same call.
    let again = try? VarlinkCall(message: call.json)
    check(again == call, "VarlinkCall.json does not read back: \(call.json.canonicalText.prefix(500))")
    roundTrip(call.json)
    _ = call.interface
    _ = call.member
    let p = call.parameters
    // Whole numbers as the daemon reads them (within, since, limit, seq, expectedVersion).
    for (_, value) in p {
        _ = value.int64Value
        _ = value.doubleValue
    }
    switch call.member {
    case "Append":
        if let e = p["event"] { _ = event(e) }
    case "AppendMany":
        fold((p["events"]?.arrayValue ?? []).compactMap { event($0) })
    case "Correct":
        if let payload = p["payload"] { payloadsOfEveryType(payload) }
        if let s = p["occurred"]?.stringValue { text(s) }
        if let s = p["id"]?.stringValue { _ = NewEvent.normalisedUUID(s) }
    case "Retract":
        if let s = p["occurred"]?.stringValue { text(s) }
        if let s = p["id"]?.stringValue { _ = NewEvent.normalisedUUID(s) }
    case "Import":
        if let document = p["document"] { study(document) }
    case "Status", "Log", "Subscribe":
        for key in ["trial", "asOf", "knownAt"] { if let s = p[key]?.stringValue { text(s) } }
    default:
        break
    }
}

// MARK: - The event contract

/// NewEvent(json:today:); an event that decodes reads back equal from its own `json`.
@discardableResult
func event(_ v: JSONValue) -> NewEvent? {
    guard let e = try? NewEvent(json: v, today: today) else { return nil }
    let json = e.json
    roundTrip(json)
    do {
        let again = try NewEvent(json: json, today: today)
        check(again == e, "event reads back different: \(json.canonicalText.prefix(500))")
        check(again.json == json, "event's json not stable: \(json.canonicalText.prefix(500))")
    } catch {
        check(false, "event's own json refused: \(error): \(json.canonicalText.prefix(500))")
    }
    var copy = e
    do { try copy.validate() } catch { check(false, "decoded event fails validate(): \(error)") }
    return e
}

/// Payload(type:json:) for every type; a payload that decodes reads back equal from its json.
func payloadsOfEveryType(_ v: JSONValue) {
    for type in EventType.allCases {
        _ = try? Payload(type: type, json: v, detail: .lifecycle)
        guard let p = try? Payload(type: type, json: v) else { continue }
        check(p.type == type, "payload of \(type) decoded as \(p.type)")
        let json = p.json
        roundTrip(json)
        do {
            let again = try Payload(type: type, json: json)
            check(again == p, "\(type) payload reads back different: \(json.canonicalText.prefix(500))")
            check(again.json == json, "\(type) payload's json not stable: \(json.canonicalText.prefix(500))")
        } catch {
            check(false, "\(type) payload's own json refused: \(error): \(json.canonicalText.prefix(500))")
        }
    }
}

// MARK: - The lifecycle fold

/// A trial's first event, before a fuzzed one.
let registration = try! NewEvent(
    json: JSONValue.parse(
        #"{"trial":"NCT00973089","type":"registered","occurred":"2009-09","payload":{"title":"A trial"}}"#),
    today: today)

/// Events of one trial as the log would hold them: appended one by one, each folded strictly
/// with the trial's history as the store does (stopping at the first refused), and the whole
/// folded leniently as a rebuild does. What the fold makes is written by the streaming writer
/// as by the tree, and reads back as the client reads it.
func fold(_ events: [NewEvent]) {
    // Each append refolds the history: at most 16 appends, 64 events in all (time per input).
    let events = events.prefix(64)
    var recorded: [RecordedEvent] = []
    for e in events.prefix(16) {
        let seq = Int64(recorded.count + 1)
        let r = RecordedEvent(
            seq: seq, id: "id-\(seq)", trial: "NCT00973089", version: seq, payload: e.payload, occurred: e.occurred,
            recorded: Timestamp(microseconds: seq * 1_000_000), recordedBy: "fuzz", source: e.source,
            hash: [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: 32))
        sameBytes(r)
        recorded.append(r)
        guard let f = try? TrialFold.fold(key: "NCT00973089", events: recorded, strictSeq: seq) else {
            recorded.removeLast()
            break
        }
        written(f)
    }
    var all = recorded
    for e in events.dropFirst(recorded.count) {
        let seq = Int64(all.count + 1)
        all.append(
            RecordedEvent(
                seq: seq, id: "id-\(seq)", trial: "NCT00973089", version: seq, payload: e.payload, occurred: e.occurred,
                recorded: Timestamp(microseconds: seq * 1_000_000), recordedBy: "fuzz", source: e.source, hash: []))
    }
    do { written(try TrialFold.fold(key: "NCT00973089", events: all, lenient: true)) } catch {
        check(false, "a lenient fold refused: \(error)")
    }
}

func written(_ f: TrialFold) {
    sameBytes(f.summary)
    let back = try? TrialSummary(json: f.summary.json)
    check(back == f.summary, "summary reads back different: \(f.summary.json.canonicalText.prefix(500))")
    for t in f.timeline {
        sameBytes(t)
        _ = try? TimelineEntry(json: t.json)
    }
    for x in f.expectations {
        sameBytes(x)
        let back = try? Expectation(json: x.json)
        check(back == x, "expectation reads back different: \(x.json.canonicalText.prefix(500))")
    }
    _ = f.view
}

/// The streaming writer's bytes are the tree's canonical text, which parses.
func sameBytes<T: JSONWritable>(_ x: T) {
    var w = JSONWriter()
    x.write(to: &w)
    let tree = x.json
    check(
        w.bytes == Array(tree.canonicalText.utf8),
        "\(T.self): writer and tree differ: \(w.text.prefix(300)) vs \(tree.canonicalText.prefix(300))")
    roundTrip(tree)
}

// MARK: - ClinicalTrials.gov

func study(_ bytes: [UInt8]) {
    guard let studies = try? StudyDocument.parse(bytes, file: "fuzz.json") else { return }
    plan(studies)
}

func study(_ document: JSONValue) {
    guard let studies = try? StudyDocument.parse(document, file: "fuzz.json") else { return }
    plan(studies)
}

/// Plans each study against no trial, records what was planned as the store would (folding
/// strictly), then plans the same study again against the trial that made, and every later
/// study of the document against the first one's trial (a later import of a changed record).
func plan(_ studies: [Study]) {
    var firstView: TrialView?
    for (i, s) in studies.enumerated() {
        let view = record(ImportPlanner.plan(study: s, current: nil), key: s.nctId)
        if let view { _ = ImportPlanner.plan(study: s, current: view) }
        if i == 0 { firstView = view } else if let firstView { _ = ImportPlanner.plan(study: s, current: firstView) }
    }
}

/// The trial a plan's events make, appended and folded as the store does; nil if none.
func record(_ plan: ImportPlan, key: String) -> TrialView? {
    var recorded: [RecordedEvent] = []
    var fold: TrialFold?
    for var e in plan.events {
        // An importer's event goes through the contract as a client's would.
        if let again = try? NewEvent(json: e.json, today: today) {
            check(again == e, "planned event reads back different: \(e.json.canonicalText.prefix(500))")
        }
        guard (try? e.validate()) != nil else { break }
        let seq = Int64(recorded.count + 1)
        recorded.append(
            RecordedEvent(
                seq: seq, id: "id-\(seq)", trial: key, version: seq, payload: e.payload, occurred: e.occurred,
                recorded: Timestamp(microseconds: seq * 1_000_000), recordedBy: "fuzz", source: e.source, hash: []))
        guard let f = try? TrialFold.fold(key: key, events: recorded, strictSeq: seq) else { break }
        fold = f
    }
    return fold?.view
}

// MARK: - Texts

/// The texts a peer sends inside values: dates, times, trial names, ids.
func text(_ s: String) {
    if let d = try? PartialDate(parsing: s) {
        _ = d.start
        _ = d.end
        _ = d.humanDescription
        check((try? PartialDate(parsing: d.description)) == d, "partial date '\(s)' does not read back from '\(d)'")
    }
    if let d = Day(s) { check(Day(d.description) == d, "day '\(s)' does not read back from '\(d)'") }
    if let t = try? Timestamp(parsing: s) {
        _ = t.day
        check((try? Timestamp(parsing: t.description)) == t, "time '\(s)' does not read back from '\(t)'")
    }
    if let r = try? TrialReference(s) { _ = r.text; _ = r.registry }
    for registry in Registry.allCases { _ = try? TrialIdentifier(registry: registry, id: s) }
    if let u = NewEvent.normalisedUUID(s) { check(NewEvent.normalisedUUID(u) == u, "uuid '\(s)' not stable") }
}
