/// A milestone on a trial's timeline, with its (possibly corrected) payload.
public struct TimelineEntry: Equatable, Sendable {
    public var seq: Int64
    public var type: EventType
    public var occurred: PartialDate
    /// One line for a person (`OS, primary endpoint met (ASCO 2026)`): derived from the
    /// payload when asked, not when the entry is made (a fold makes an entry per event, a
    /// rebuild a million of them, and only the last milestone's text is kept), unless the
    /// entry was read with its text (a reply).
    public var text: String { givenText.value ?? EventText.describe(payload) }
    fileprivate var givenText = EqualityIgnored<String>()
    /// The effective payload: the original, or the latest correction's.
    public var payload: Payload
    public var source: String?
    /// The seq of the correction that replaced the payload, if any.
    public var correctedBy: Int64?

    /// An entry of `payload` (its effective one), its type and text derived from it.
    public init(seq: Int64, occurred: PartialDate, payload: Payload, source: String?, correctedBy: Int64?) {
        self.seq = seq
        self.type = payload.type
        self.occurred = occurred
        self.payload = payload
        self.source = source
        self.correctedBy = correctedBy
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        seq = try r.int("seq")
        type = try r.enumeration("type", EventType.self)
        occurred = try r.partialDate("occurred")
        givenText = EqualityIgnored(value: try r.optionalString("text") ?? "")
        guard let p = r.value("payload") else { throw ValidationError(field: "payload", reason: "missing (required)") }
        payload = try Payload(type: type, json: p)
        source = try r.optionalString("source")
        correctedBy = try r.optionalInt("correctedBy")
        try r.finish()
    }
}

/// A pointer to a timeline entry: what `status` lists as the last milestone.
public struct MilestoneRef: Equatable, Sendable {
    public var seq: Int64
    public var type: EventType
    public var occurred: PartialDate
    /// The entry's one line, derived from its payload when asked (a fold points here at every
    /// milestone it passes and keeps only the last), or as read from a reply or a row.
    public var text: String {
        switch origin {
        case .payload(let p): EventText.describe(p)
        case .text(let t): t
        }
    }
    private var origin: Origin

    private enum Origin: Sendable {
        case payload(Payload)
        case text(String)
    }

    public init(_ e: TimelineEntry) {
        seq = e.seq
        type = e.type
        occurred = e.occurred
        origin = e.givenText.value.map { .text($0) } ?? .payload(e.payload)
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        seq = try r.int("seq")
        type = try r.enumeration("type", EventType.self)
        occurred = try r.partialDate("occurred")
        origin = .text(try r.optionalString("text") ?? "")
        try r.finish()
    }

    /// Makes the text now and keeps it, for a reference that will be read more than once
    /// (the writer's: its trial's row and the append's reply both show it).
    public mutating func settleText() {
        if case .payload = origin { origin = .text(text) }
    }

    public static func == (a: MilestoneRef, b: MilestoneRef) -> Bool {
        a.seq == b.seq && a.type == b.type && a.occurred == b.occurred && a.text == b.text
    }
}

/// Where a forecast stands.
public enum ExpectationState: String, CaseIterable, Sendable {
    /// Its window has not passed (or the watcher has not yet marked it).
    case pending
    /// The milestone happened (`resolvedBy` names it).
    case met
    /// The window passed without it (`milestone-overdue` says so).
    case overdue
    /// A later forecast of the same milestone replaced it (`resolvedBy` names it): it slipped.
    case superseded
}

/// An expected milestone from a `milestone-expected` event.
public struct Expectation: Equatable, Sendable {
    public var seq: Int64
    public var milestone: MilestoneSpec
    public var window: PartialDate
    /// When the forecast was made (the event's `occurred`).
    public var madeOn: PartialDate
    public var source: String?
    public var state: ExpectationState
    /// The event that met or superseded it.
    public var resolvedBy: Int64?
    /// The `milestone-overdue` event, if the window passed without it (kept once met late).
    public var overdueSeq: Int64?

    public init(
        seq: Int64, milestone: MilestoneSpec, window: PartialDate, madeOn: PartialDate, source: String?,
        state: ExpectationState, resolvedBy: Int64? = nil, overdueSeq: Int64? = nil
    ) {
        self.seq = seq
        self.milestone = milestone
        self.window = window
        self.madeOn = madeOn
        self.source = source
        self.state = state
        self.resolvedBy = resolvedBy
        self.overdueSeq = overdueSeq
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        seq = try r.int("seq")
        milestone = try MilestoneSpec(parsing: try r.string("milestone"))
        window = try r.partialDate("window")
        madeOn = try r.partialDate("madeOn")
        source = try r.optionalString("source")
        state = try r.enumeration("state", ExpectationState.self)
        resolvedBy = try r.optionalInt("resolvedBy")
        overdueSeq = try r.optionalInt("overdueSeq")
        try r.finish()
    }

    /// Still awaited (pending, or overdue and not yet met).
    public var isOpen: Bool { state == .pending || state == .overdue }
}

/// An immutable value behind one reference (see `TrialSummary.registration`).
final class Boxed<Value: Equatable & Sendable>: Equatable, Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
    static func == (a: Boxed, b: Boxed) -> Bool { a === b || a.value == b.value }
}

/// The current state of one trial: the `trials` projection row.
public struct TrialSummary: Equatable, Sendable {
    /// The stream key (the reference the trial was first recorded under).
    public var key: String
    /// What the registrations say, merged: the latest fields, every identifier ever given.
    public var registration: Registered? {
        get { registrationBox?.value }
        set { registrationBox = newValue.map(Boxed.init) }
    }
    /// The registration behind one reference: a summary is copied several times an append
    /// (the fold, the writer's pending row, the reply), and a registration is most of its
    /// fields; copying the box retains one object instead of each of them.
    private var registrationBox: Boxed<Registered>?
    public var enrollment: Enrollment?
    public var status: TrialStatus?
    public var statusSince: PartialDate?
    public var whyStopped: String?
    public var lastKnownStatus: TrialStatus?
    public var dates = DatesUpdated()
    public var lastMilestone: MilestoneRef?
    public var nextExpected: Expectation?
    public var version: Int64 = 0
    public var lastSeq: Int64 = 0

    public init(key: String) { self.key = key }

    /// Whether both summaries hold the same registration (the same box, at once, without
    /// copying either out).
    public func hasSameRegistration(as other: TrialSummary) -> Bool { registrationBox == other.registrationBox }

    /// The acronym, else the key.
    public var displayName: String { registration?.acronym ?? key }

    public var acronym: String? { registration?.acronym }
    public var title: String? { registration?.title }
    public var phases: [Phase] { registration?.phases ?? [] }

    /// Every name the trial is found by: key, identifiers and acronym, with their registries;
    /// one per lookup key (`caseFolded`), the first of names that differ only in case.
    public var aliases: [(registry: String, id: String)] { aliasesWithLookupKeys.map { ($0.registry, $0.id) } }

    /// `aliases`, each with its lookup key (`caseFolded`), folded once. A trial has a handful:
    /// they are told apart by a scan, not a set.
    public var aliasesWithLookupKeys: [(lookup: String, registry: String, id: String)] {
        var out: [(lookup: String, registry: String, id: String)] = [(key.caseFolded, "key", key)]
        func add(_ registry: String, _ id: String) {
            let lookup = id.caseFolded
            if !out.contains(where: { $0.lookup == lookup }) { out.append((lookup, registry, id)) }
        }
        for id in registration?.identifiers ?? [] { add(id.registry.rawValue, id.id) }
        if let a = registration?.acronym { add("acronym", a) }
        return out
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        key = try r.string("key")
        registration = try r.object("registration") { try Registered(json: $0) }
        enrollment = try r.object("enrollment") { try Enrollment(json: $0) }
        status = try r.optionalEnumeration("status", TrialStatus.self)
        statusSince = try r.optionalPartialDate("statusSince")
        whyStopped = try r.optionalString("whyStopped")
        lastKnownStatus = try r.optionalEnumeration("lastKnownStatus", TrialStatus.self)
        dates = try r.object("dates") { try DatesUpdated(json: $0) } ?? DatesUpdated()
        lastMilestone = try r.object("lastMilestone") { try MilestoneRef(json: $0) }
        nextExpected = try r.object("nextExpected") { try Expectation(json: $0) }
        version = try r.int("version")
        lastSeq = try r.int("lastSeq")
        try r.finish()
    }
}

/// Everything about one trial that `status TRIAL` shows.
public struct TrialView: Equatable, Sendable {
    public var summary: TrialSummary
    /// Milestones in world order.
    public var timeline: [TimelineEntry]
    /// Forecasts in the order they were recorded.
    public var expectations: [Expectation]

    public init(summary: TrialSummary, timeline: [TimelineEntry], expectations: [Expectation]) {
        self.summary = summary
        self.timeline = timeline
        self.expectations = expectations
    }

    /// The summary's members, with `timeline` and `expectations`: one trial as the interface shows it.
    public var json: JSONValue {
        var o = summary.json.objectValue ?? JSONObject()
        o["timeline"] = .array(timeline.map(\.json))
        o["expectations"] = .array(expectations.map(\.json))
        return .object(o)
    }
}
