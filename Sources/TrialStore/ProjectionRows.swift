import TrialDomain

// The projections' rows, serialised from a fold and ready to bind. Making them is pure work
// that needs no connection: a rebuild makes them on its reader thread, so the writer
// connection only binds and steps.

/// A `trials` row (the registration lives in `registrations`).
struct TrialRow {
    var key: String
    var acronym, title, sponsor: String?
    var phases: String
    var status, statusSince, lastMilestone, nextExpected: String?
    var version, lastSeq: Int64
    var summary: [UInt8]

    init(_ s: TrialSummary) {
        key = s.key
        acronym = s.acronym
        title = s.title
        sponsor = s.registration?.sponsor
        phases = s.phases.map(\.rawValue).joined(separator: ",")
        status = s.status?.rawValue
        statusSince = s.statusSince?.description
        // Concatenated rather than interpolated: this row is written for every append.
        lastMilestone = s.lastMilestone.map { $0.type.rawValue + " " + $0.occurred.description }
        nextExpected = s.nextExpected.map { $0.milestone.description + " " + $0.window.description }
        version = s.version
        lastSeq = s.lastSeq
        var w = JSONWriter(capacity: 512)
        s.writeWithoutRegistration(to: &w)
        summary = w.bytes
    }
}

/// A `timeline` row (schema 0002): the event's place on its trial's timeline in world order,
/// and the correction that replaced its payload. Type, date, source and payload are read from
/// `events`, the one-line text is derived from the payload (`EventStore.view`).
struct TimelineRow {
    var seq: Int64
    /// The occurred window's first and last days as yyyymmdd.
    var windowStart, windowEnd: Int64
    var correctedBy: Int64?
    var correctedPayload: String?

    init(_ e: TimelineEntry) {
        seq = e.seq
        windowStart = Self.number(e.occurred.start)
        windowEnd = Self.number(e.occurred.end)
        correctedBy = e.correctedBy
        correctedPayload = e.correctedBy == nil ? nil : e.payload.json.canonicalText
    }

    /// A day as the number yyyymmdd, which orders as the day does.
    static func number(_ day: Day) -> Int64 {
        let (y, m, d) = day.components
        return Int64(y * 10_000 + m * 100 + d)
    }
}

/// An `expectations` row.
struct ExpectationRow {
    var seq: Int64
    var milestone: String
    var window: String
    var start, end: [UInt8]
    var state: String
    var entry: [UInt8]

    init(_ x: Expectation) {
        seq = x.seq
        milestone = x.milestone.description
        window = x.window.description
        start = []
        x.window.start.write(to: &start)
        end = []
        x.window.end.write(to: &end)
        state = x.state.rawValue
        var w = JSONWriter(capacity: 256)
        x.write(to: &w)
        entry = w.bytes
    }
}

/// A `trial_aliases` row.
struct AliasRow: Equatable {
    var alias: String  // lower case: the lookup key
    var registry: String
    var id: String

    /// The trial's aliases: `TrialSummary.aliases` already lists one per lookup key.
    static func of(_ s: TrialSummary) -> [AliasRow] {
        s.aliasesWithLookupKeys.map { AliasRow(alias: $0.lookup, registry: $0.registry, id: $0.id) }
    }
}

/// A `trial_terms` row (schema 0008): a term the trial is filtered by.
struct TermRow: Equatable {
    var kind: String
    var term: String

    /// The terms of a trial's registration (none without one).
    static func of(_ s: TrialSummary) -> [TermRow] { s.registration.map(of) ?? [] }

    static func of(_ r: Registered) -> [TermRow] {
        TrialFilter.terms(of: r).map { TermRow(kind: $0.kind, term: $0.term) }
    }
}

/// A `registrations` row's JSON: the merged `registered` payload.
func registrationJSON(_ r: Registered) -> [UInt8] {
    var w = JSONWriter(capacity: 512)
    r.write(to: &w)
    return w.bytes
}

/// Every row of one trial's projections.
struct TrialRows {
    var key: String
    /// nil when the caller writes the `trials` row itself (the appender, once per transaction).
    var trial: TrialRow?
    var registration: [UInt8]?
    var aliases: [AliasRow]
    var terms: [TermRow]
    var timeline: [TimelineRow]
    var expectations: [ExpectationRow]

    init(_ fold: TrialFold, trialRow: Bool = true) {
        let s = fold.summary
        key = s.key
        trial = trialRow ? TrialRow(s) : nil
        registration = s.registration.map(registrationJSON)
        aliases = AliasRow.of(s)
        terms = TermRow.of(s)
        timeline = fold.timeline.map(TimelineRow.init)
        expectations = fold.expectations.map(ExpectationRow.init)
    }
}
