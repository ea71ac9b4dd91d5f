/// The lifecycle of one trial: the fold of its events in world order (`occurred`, then seq).
///
/// Rules refuse contradictions and never gaps:
/// - a withdrawn trial never enrolled anyone: it has no results, no actual enrollment above
///   zero, and cannot take another status but `unknown`;
/// - a completed or terminated trial cannot become ongoing again (recruiting, suspended …)
///   unless a correction of the ending event says so;
/// - backward moves registries make (active-not-recruiting → enrolling-by-invitation,
///   recruiting → not-yet-recruiting, suspended → recruiting) are allowed;
/// - a readout with no recorded interim analysis, or a decision with no recorded submission, is
///   a gap, and gaps are normal.
///
/// Corrections replace the payload of the event they name; retractions remove it from the
/// fold. Both stay in the log.
public struct TrialFold: Sendable, Equatable {
    public private(set) var summary: TrialSummary
    public private(set) var timeline: [TimelineEntry] = []
    public private(set) var expectations: [Expectation] = []
    /// The last fact applied, in world order.
    private var lastFact: (occurred: PartialDate, seq: Int64)?
    private var firstResultSeq: Int64?
    private var statusSeq: Int64?
    /// False while a lenient fold replays stored facts: rules are not enforced on the past.
    private var checking = true
    /// The most recent facts applied, in world order (at most `recentLimit`), and the fold as it
    /// was before them (none: they are every fact). A new fact that sorts among them is merged
    /// by refolding them from there (`merge`), without reading or refolding the trial's history.
    ///
    /// Kept only once a replay (`fold`) made them (`tracksRecent`): a trial appended to in
    /// world order only, the most common, costs no more memory than its summary and forecasts.
    private var recent: [Fact] = []
    private var beforeRecent: [TrialFold] = []
    private var tracksRecent = false

    /// Facts kept for `merge`: between `recentKept` and `recentLimit` once a trial has that many.
    static let recentLimit = 64
    /// SPI: `trialbench history` prints it (Benchmarks/).
    @_spi(Benchmarks) public static let recentKept = 32

    public init(key: String) { summary = TrialSummary(key: key) }

    public var view: TrialView { TrialView(summary: summary, timeline: timeline, expectations: expectations) }

    /// The same fold without its timeline entries: what a writer keeps in memory. Applying
    /// facts in order still works (and `timeline` then holds only what was applied since).
    public func compacted() -> TrialFold {
        var f = self
        f.compact()
        return f
    }

    /// Drops the timeline entries in place (`compacted()` without a copy).
    public mutating func compact() { timeline = [] }

    /// Drops the recent facts (a fold kept for in-order appends only; the next fact that does
    /// not sort last replays the history, which keeps them again).
    public mutating func forgetRecent() {
        recent = []
        beforeRecent = []
        tracksRecent = false
    }

    /// Moves the fold before the recent facts forward until at most `recentKept` are left, once
    /// `recentLimit` are kept: amortised, one fact applied again per fact applied.
    private mutating func trimRecent() {
        guard recent.count > Self.recentLimit else { return }
        let moved = recent.count - Self.recentKept
        var base = beforeRecent.first ?? TrialFold(key: summary.key)
        base.checking = false  // these facts were checked when they were applied
        for f in recent.prefix(moved) { try? base.apply(f, strict: false) }
        base.checking = true
        base.compact()
        beforeRecent = [base]
        recent.removeFirst(moved)
    }

    /// True when `event` (a new fact: its seq follows every other) sorts among the recent facts
    /// kept, or after them: `merge` can apply it without the trial's history.
    public func canMerge(_ event: RecordedEvent) -> Bool {
        guard tracksRecent, !event.type.isAmendment, event.seq > summary.lastSeq else { return false }
        guard !beforeRecent.isEmpty else { return true }  // the recent facts are every fact
        guard let first = recent.first else { return false }
        // After every earlier fact: world order is total on (start, end) of the window, and the
        // new fact's seq is the greatest, so it sorts after `first` (and all before it) unless
        // it is strictly earlier.
        return !(event.occurred < first.occurred)
    }

    /// Applies a new fact that sorts among the recent facts (`canMerge`): the fold before them,
    /// then the recent facts with the new one in its place in world order, checking every rule
    /// on them as a replay does (the facts before them are not affected by the new one).
    /// `timeline` then holds the recent facts' entries, the new one's among them.
    public mutating func merge(_ event: RecordedEvent) throws(LifecycleViolation) {
        precondition(canMerge(event), "the fact sorts before the recent facts")
        let fact = Fact(
            seq: event.seq, occurred: event.occurred, payload: event.payload, source: event.source, correctedBy: nil)
        var facts = recent
        // A fact sorts after one with the same date (its seq is greater), before a later one.
        facts.insert(fact, at: facts.firstIndex { fact.occurred < $0.occurred } ?? facts.endIndex)
        var f = beforeRecent.first ?? TrialFold(key: summary.key)
        f.checking = true
        for x in facts { try f.apply(x, strict: x.seq == fact.seq) }
        f.summary.version = max(summary.version, event.version)
        f.summary.lastSeq = max(summary.lastSeq, event.seq)
        f.recent = facts
        f.beforeRecent = beforeRecent
        f.tracksRecent = true
        f.trimRecent()
        self = f
    }

    /// Makes the last milestone's text now (`MilestoneRef.settleText`).
    public mutating func settleMilestoneText() { summary.lastMilestone?.settleText() }

    public static func == (a: TrialFold, b: TrialFold) -> Bool {
        a.summary == b.summary && a.timeline == b.timeline && a.expectations == b.expectations
    }

    /// A fact as the fold sees it: its effective payload after corrections.
    struct Fact {
        var seq: Int64
        var occurred: PartialDate
        var payload: Payload
        var source: String?
        var correctedBy: Int64?
    }

    /// Folds every event of one trial, in any order. A violation by the event `strictSeq`
    /// (the one being appended) or any contradiction among the facts is thrown.
    ///
    /// `lenient` replays stored history without enforcing the rules (rebuilds, `as-of` and
    /// `known-at` views, a cold cache): what is in the log happened, whatever a later rule says.
    public static func fold(key: String, events: [RecordedEvent], strictSeq: Int64? = nil, lenient: Bool = false)
        throws(LifecycleViolation) -> TrialFold
    {
        var fold = TrialFold(key: key)
        fold.checking = !lenient
        var corrections: [Int64: (seq: Int64, json: JSONValue)] = [:]
        var retracted: Set<Int64> = []
        for e in events {
            fold.summary.version = max(fold.summary.version, e.version)
            fold.summary.lastSeq = max(fold.summary.lastSeq, e.seq)
            switch e.payload {
            case .corrected(let c):
                if let prior = corrections[c.target], prior.seq > e.seq { continue }
                corrections[c.target] = (e.seq, c.payload)
            case .retracted(let r):
                retracted.insert(r.target)
            default:
                break
            }
        }
        // The facts: every event but the amendments, less the retracted ones (read from
        // `events` in place: a copy of each event would cost a retain of each of its parts).
        var effective: [Fact] = []
        effective.reserveCapacity(events.count)
        for e in events where !e.type.isAmendment && !retracted.contains(e.seq) {
            var fact = Fact(seq: e.seq, occurred: e.occurred, payload: e.payload, source: e.source, correctedBy: nil)
            if let c = corrections[e.seq], let replaced = try? Payload(type: e.type, json: c.json) {
                fact.payload = replaced
                fact.correctedBy = c.seq
            }
            effective.append(fact)
        }
        effective.sort { a, b in
            if a.occurred == b.occurred { return a.seq < b.seq }
            if a.occurred < b.occurred { return true }
            if b.occurred < a.occurred { return false }
            return a.seq < b.seq
        }
        let recentStart = max(0, effective.count - recentKept)
        for (i, f) in effective.enumerated() {
            if i == recentStart, i > 0 {
                var before = fold
                before.checking = true
                before.compact()
                fold.beforeRecent = [before]
            }
            try fold.apply(f, strict: f.seq == strictSeq)
        }
        fold.recent = Array(effective[recentStart...])
        fold.tracksRecent = true
        fold.checking = true
        return fold
    }

    /// True when `event` can be applied on top of this fold without refolding: a fact that
    /// sorts after every fact already applied.
    public func canApplyInOrder(_ event: RecordedEvent) -> Bool {
        guard !event.type.isAmendment else { return false }
        guard let last = lastFact else { return true }
        return !(event.occurred < last.occurred) && event.seq > last.seq
    }

    /// Applies a new fact in world order (see `canApplyInOrder`), checking every rule.
    public mutating func apply(_ event: RecordedEvent) throws(LifecycleViolation) {
        precondition(!event.type.isAmendment, "amendments need a refold")
        summary.version = max(summary.version, event.version)
        summary.lastSeq = max(summary.lastSeq, event.seq)
        let fact = Fact(
            seq: event.seq, occurred: event.occurred, payload: event.payload, source: event.source, correctedBy: nil)
        try apply(fact, strict: true)
        if tracksRecent {
            recent.append(fact)
            trimRecent()
        }
    }

    /// Throws the violation unless a lenient replay is running.
    private func refuse(_ f: Fact, _ reason: @autoclosure () -> String) throws(LifecycleViolation) {
        if checking { throw LifecycleViolation(trial: summary.key, seq: f.seq, reason: reason()) }
    }

    private func ref(_ seq: Int64?) -> String { seq.map { "seq \($0)" } ?? "an earlier event" }

    private mutating func apply(_ f: Fact, strict: Bool) throws(LifecycleViolation) {
        lastFact = (f.occurred, f.seq)
        let known = summary.status == .unknown ? summary.lastKnownStatus : summary.status
        var onTimeline = f.payload.type.isMilestone
        switch f.payload {
        case .registered(let r):
            var merged = r
            var ids = summary.registration?.identifiers ?? []
            for id in r.identifiers where !ids.contains(where: { $0.lookupKey == id.lookupKey }) { ids.append(id) }
            merged.identifiers = ids
            if merged.acronym == nil { merged.acronym = summary.registration?.acronym }
            summary.registration = merged
            if let e = r.enrollment { try setEnrollment(e, f) }
        case .statusChanged(let s):
            if s.status != .unknown, let known {
                if known == .withdrawn, s.status != .withdrawn {
                    try refuse(
                        f,
                        "was withdrawn (\(ref(statusSeq))) and cannot become \(s.status.rawValue); correct or retract \(ref(statusSeq)) first"
                    )
                }
                if known == .completed || known == .terminated, s.status.isOngoing {
                    try refuse(
                        f,
                        "cannot be \(s.status.rawValue) after \(known.rawValue) (\(ref(statusSeq))) unless a correction of \(ref(statusSeq)) says so"
                    )
                }
            }
            if s.status == .withdrawn {
                if let r = firstResultSeq {
                    try refuse(
                        f, "cannot be withdrawn: it has results (seq \(r)), and a withdrawn trial never enrolled")
                }
                if let e = summary.enrollment, e.type == .actual, e.count > 0 {
                    try refuse(f, "cannot be withdrawn: it enrolled \(e.count) participants (actual)")
                }
            }
            if summary.status != s.status || statusSeq == nil {
                summary.statusSince = f.occurred
            }
            summary.status = s.status
            summary.whyStopped = s.whyStopped
            summary.lastKnownStatus = s.status == .unknown ? (s.lastKnownStatus ?? known) : nil
            statusSeq = f.seq
        case .enrollmentUpdated(let e):
            try setEnrollment(e, f)
        case .datesUpdated(let d):
            if let s = d.start { summary.dates.start = s }
            if let p = d.primaryCompletion { summary.dates.primaryCompletion = p }
            if let c = d.completion { summary.dates.completion = c }
        case .interimAnalysis, .readout:
            if known == .withdrawn {
                try refuse(f, "a withdrawn trial (\(ref(statusSeq))) has no results")
            }
            if firstResultSeq == nil { firstResultSeq = f.seq }
        case .presented, .published, .regulatorySubmission, .regulatoryDecision:
            break
        case .milestoneExpected(let m):
            for i in expectations.indices
            where expectations[i].isOpen && expectations[i].milestone.sameMilestone(as: m.milestone) {
                expectations[i].state = .superseded
                expectations[i].resolvedBy = f.seq
            }
            // Kept in seq (recording) order, whatever the world order of the forecasts.
            let x = Expectation(
                seq: f.seq, milestone: m.milestone, window: m.window, madeOn: f.occurred, source: f.source,
                state: .pending)
            expectations.insert(x, at: expectations.firstIndex { $0.seq > f.seq } ?? expectations.endIndex)
        case .milestoneOverdue(let o):
            onTimeline = false
            guard let i = expectations.firstIndex(where: { $0.seq == o.expected }) else {
                if strict {
                    try refuse(
                        f, "seq \(o.expected) is not an expected milestone of this trial (or not yet, in world order)")
                }
                break
            }
            switch expectations[i].state {
            case .pending:
                expectations[i].state = .overdue
                expectations[i].overdueSeq = f.seq
            case .overdue where strict:
                try refuse(
                    f,
                    "the expected milestone seq \(o.expected) is already overdue (seq \(expectations[i].overdueSeq ?? 0))"
                )
            case .met where strict:
                try refuse(
                    f, "the expected milestone seq \(o.expected) was met by seq \(expectations[i].resolvedBy ?? 0)")
            case .superseded where strict:
                try refuse(
                    f,
                    "the expected milestone seq \(o.expected) was superseded by seq \(expectations[i].resolvedBy ?? 0)")
            default:
                break  // written before a late-recorded fact: the fact wins, quietly
            }
        case .corrected, .retracted:
            return
        }
        if f.payload.type.canBeExpected {
            for i in expectations.indices where expectations[i].isOpen && expectations[i].milestone.matches(f.payload) {
                expectations[i].state = .met
                expectations[i].resolvedBy = f.seq
            }
        }
        if onTimeline {
            let entry = TimelineEntry(
                seq: f.seq, occurred: f.occurred, payload: f.payload, source: f.source, correctedBy: f.correctedBy)
            timeline.append(entry)
            summary.lastMilestone = MilestoneRef(entry)
        }
        summary.nextExpected = expectations.filter(\.isOpen).min { a, b in
            a.window == b.window ? a.seq < b.seq : a.window < b.window
        }
    }

    private mutating func setEnrollment(_ e: Enrollment, _ f: Fact) throws(LifecycleViolation) {
        let known = summary.status == .unknown ? summary.lastKnownStatus : summary.status
        if known == .withdrawn, e.type == .actual, e.count > 0 {
            try refuse(
                f, "a withdrawn trial (\(ref(statusSeq))) enrolled no one; actual enrollment \(e.count) contradicts it")
        }
        summary.enrollment = e
    }
}

extension MilestoneSpec {
    /// The same milestone (for superseding an earlier forecast).
    public func sameMilestone(as other: MilestoneSpec) -> Bool {
        type == other.type && qualifier?.lowercased() == other.qualifier?.lowercased()
    }

    /// Whether a fact fulfils this forecast: the same type and, with a qualifier, one of the
    /// fact's endpoints, kind, status, agency or application (or a word of its venue or citation).
    public func matches(_ payload: Payload) -> Bool {
        guard payload.type == type else { return false }
        guard let q = qualifier?.lowercased() else { return true }
        let exact: [String]
        var within: [String] = []
        switch payload {
        case .statusChanged(let s): exact = [s.status.rawValue]
        case .interimAnalysis(let i):
            exact = i.endpoints + i.results.map(\.endpoint) + [i.analysis, i.outcome.rawValue].compactMap { $0 }
        case .readout(let r): exact = r.endpoints + r.results.map(\.endpoint) + [r.kind.rawValue, r.outcome.rawValue]
        case .presented(let p): exact = []; within = [p.venue]
        case .published(let p): exact = []; within = [p.citation]
        case .regulatorySubmission(let s): exact = [s.agency, s.application, s.state.rawValue].compactMap { $0 }
        case .regulatoryDecision(let d): exact = [d.agency, d.decision.rawValue]
        default: exact = []
        }
        return exact.contains { $0.lowercased() == q } || within.contains { $0.lowercased().contains(q) }
    }
}
