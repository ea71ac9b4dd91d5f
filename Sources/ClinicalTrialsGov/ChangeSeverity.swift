import TrialDomain

/// How much a change matters to someone tracking the trial, as trackers grade registry changes.
/// Ordered: minor < notable < critical.
public enum ChangeSeverity: String, CaseIterable, Comparable, Sendable {
    case minor
    case notable
    case critical

    private var rank: Int {
        switch self {
        case .minor: 0
        case .notable: 1
        case .critical: 2
        }
    }

    public static func < (a: ChangeSeverity, b: ChangeSeverity) -> Bool { a.rank < b.rank }
}

/// Grades an event against the trial's state before it (nil: a trial not yet known).
///
/// - critical: the status becomes terminated, suspended or withdrawn; a whyStopped appears; the
///   primary endpoints change; an interim analysis not met or stopped for futility or safety;
///   results posted to the registry (a `readout` of kind `results-posted`);
/// - notable: any other status change, a phase change, a new trial (first registration),
///   enrollment moved by 20% or more, a date moved by 30 days or more; other milestones
///   (readouts, presentations, publications, regulatory steps) and overdue milestones;
/// - minor: everything else (titles, identifiers, arms, a date's type, forecasts, amendments).
public func classify(_ payload: Payload, before: TrialSummary?) -> ChangeSeverity {
    switch payload {
    case .registered(let r):
        guard let old = before?.registration else { return .notable }
        if r.primaryEndpoints.sorted() != old.primaryEndpoints.sorted() { return .critical }
        if Set(r.phases) != Set(old.phases) { return .notable }
        return .minor
    case .statusChanged(let s):
        let statusMoved = s.status != before?.status
        if statusMoved, s.status.isAlarming { return .critical }
        if s.whyStopped != nil, before?.whyStopped == nil { return .critical }
        return statusMoved ? .notable : .minor
    case .enrollmentUpdated(let e):
        guard let old = before?.enrollment else { return .minor }
        return enrollmentMovedSignificantly(from: old.count, to: e.count) ? .notable : .minor
    case .datesUpdated(let d):
        let pairs: [(StudyDate?, StudyDate?)] = [
            (d.start, before?.dates.start), (d.primaryCompletion, before?.dates.primaryCompletion),
            (d.completion, before?.dates.completion),
        ]
        for case let (new?, old?) in pairs where abs(daysMoved(from: old.date, to: new.date)) >= 30 { return .notable }
        return .minor
    case .interimAnalysis(let i):
        return i.outcome.isAlarming ? .critical : .notable
    case .readout(let r) where r.kind == .resultsPosted:
        return .critical
    case .readout, .presented, .published, .regulatorySubmission, .regulatoryDecision, .milestoneOverdue:
        return .notable
    case .milestoneExpected, .corrected, .retracted:
        return .minor
    }
}

/// A change of 20% or more of the earlier count (any change from 0).
func enrollmentMovedSignificantly(from old: Int64, to new: Int64) -> Bool {
    if old == 0 { return new != 0 }
    return 5 * abs(new - old) >= old
}

/// How far a date moved, in days: the larger shift of the window's first and last days,
/// signed by the direction (positive: later).
func daysMoved(from old: PartialDate, to new: PartialDate) -> Int {
    let ds = new.start.daysSinceEpoch - old.start.daysSinceEpoch
    let de = new.end.daysSinceEpoch - old.end.daysSinceEpoch
    return abs(ds) >= abs(de) ? ds : de
}
