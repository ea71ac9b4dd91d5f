/// The event types of vocabulary version 1.
public enum EventType: String, CaseIterable, Sendable, Hashable {
    case registered
    case statusChanged = "status-changed"
    case enrollmentUpdated = "enrollment-updated"
    case datesUpdated = "dates-updated"
    case interimAnalysis = "interim-analysis"
    case readout
    case presented
    case published
    case regulatorySubmission = "regulatory-submission"
    case regulatoryDecision = "regulatory-decision"
    case milestoneExpected = "milestone-expected"
    case milestoneOverdue = "milestone-overdue"
    case corrected
    case retracted

    /// Milestones: the facts a trial's timeline shows.
    public var isMilestone: Bool {
        switch self {
        case .registered, .statusChanged, .interimAnalysis, .readout, .presented, .published,
            .regulatorySubmission, .regulatoryDecision:
            true
        default: false
        }
    }

    /// `corrected` and `retracted` amend an earlier event rather than state a fact.
    public var isAmendment: Bool { self == .corrected || self == .retracted }

    /// Forecasts may be dated in the future; facts may not.
    public var isForecast: Bool { self == .milestoneExpected }

    /// Types a forecast can expect (`milestone-expected` with `milestone: readout:OS`).
    public var canBeExpected: Bool { isMilestone || self == .datesUpdated || self == .enrollmentUpdated }
}

extension EventType {
    private static let byName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    /// The type with this name: `init(rawValue:)` by one hash look-up instead of a comparison
    /// with every case in turn (a replay and a rebuild name the type of every event).
    public static func named(_ name: String) -> EventType? { byName[name] }
}

/// ClinicalTrials.gov's overall status, in lower-case kebab form.
public enum TrialStatus: String, CaseIterable, Sendable, Hashable {
    case notYetRecruiting = "not-yet-recruiting"
    case recruiting
    case enrollingByInvitation = "enrolling-by-invitation"
    case activeNotRecruiting = "active-not-recruiting"
    case suspended
    case terminated
    case completed
    case withdrawn
    case unknown
    // Expanded access.
    case available
    case noLongerAvailable = "no-longer-available"
    case temporarilyNotAvailable = "temporarily-not-available"
    case approvedForMarketing = "approved-for-marketing"
    case withheld

    /// The trial has ended (completed, terminated, withdrawn): it cannot recruit again unless
    /// a correction says the ending was wrong.
    public var isEnded: Bool { self == .completed || self == .terminated || self == .withdrawn }

    /// Statuses of a running interventional or observational study.
    public var isOngoing: Bool {
        switch self {
        case .notYetRecruiting, .recruiting, .enrollingByInvitation, .activeNotRecruiting, .suspended: true
        default: false
        }
    }

    public var isExpandedAccess: Bool {
        switch self {
        case .available, .noLongerAvailable, .temporarilyNotAvailable, .approvedForMarketing, .withheld: true
        default: false
        }
    }

    /// Statuses that call for attention (journald PRIORITY=warning).
    public var isAlarming: Bool { self == .suspended || self == .terminated || self == .withdrawn }
}

public enum Phase: String, CaseIterable, Sendable, Hashable {
    case earlyPhase1 = "early-phase-1"
    case phase1 = "phase-1"
    case phase2 = "phase-2"
    case phase3 = "phase-3"
    case phase4 = "phase-4"
    case notApplicable = "not-applicable"

    /// `Phase 3`, `Phase 1/2` (with others), `N/A`.
    public static func display(_ phases: [Phase]) -> String {
        if phases.isEmpty { return "" }
        if phases == [.notApplicable] { return "N/A" }
        let nums = phases.compactMap { p -> String? in
            switch p {
            case .earlyPhase1: "Early 1"
            case .phase1: "1"
            case .phase2: "2"
            case .phase3: "3"
            case .phase4: "4"
            case .notApplicable: nil
            }
        }
        return "Phase " + nums.joined(separator: "/")
    }
}

public enum EstimateType: String, CaseIterable, Sendable, Hashable {
    case estimated
    case actual
}

public enum InterimOutcome: String, CaseIterable, Sendable, Hashable {
    case met
    case notMet = "not-met"
    case `continue`
    case stoppedEfficacy = "stopped-efficacy"
    case stoppedFutility = "stopped-futility"
    case stoppedSafety = "stopped-safety"
    /// The source gives results without saying whether they met the endpoint (a registry's
    /// posted results). Decision: a new value rather than an optional `outcome`, so that an
    /// outcome can still never be left out by accident, and texts already written are unchanged.
    case notStated = "not-stated"

    public var phrase: String {
        switch self {
        case .notStated: "outcome not stated"
        case .met: "primary endpoint met"
        case .notMet: "primary endpoint not met"
        case .continue: "continues as planned"
        case .stoppedEfficacy: "stopped early for efficacy"
        case .stoppedFutility: "stopped early for futility"
        case .stoppedSafety: "stopped early for safety"
        }
    }

    public var isAlarming: Bool { self == .notMet || self == .stoppedFutility || self == .stoppedSafety }
}

public enum ReadoutKind: String, CaseIterable, Sendable, Hashable {
    case topline, primary, final, updated
    /// Results posted to a registry (ClinicalTrials.gov's `resultsSection`), dated when first
    /// posted. Decision: its own kind, not `final`: a registry posts results at primary
    /// completion as often as at the end, and an import must recognise a posting it already
    /// recorded so that a second import records nothing.
    case resultsPosted = "results-posted"
}

public enum ReadoutOutcome: String, CaseIterable, Sendable, Hashable {
    case positive, negative, mixed
    /// The source gives results without a verdict (a registry's posted results): see
    /// `InterimOutcome.notStated`.
    case notStated = "not-stated"

    public var phrase: String {
        switch self {
        case .notStated: "outcome not stated"
        case .positive: "primary endpoint met"
        case .negative: "primary endpoint not met"
        case .mixed: "mixed results"
        }
    }
}

public enum SubmissionState: String, CaseIterable, Sendable, Hashable {
    case planned, submitted, accepted
    case priorityReview = "priority-review"
}

public enum Decision: String, CaseIterable, Sendable, Hashable {
    case approved
    case completeResponse = "complete-response"
    case refused
    case withdrawn
}

public enum Allocation: String, CaseIterable, Sendable, Hashable {
    case randomized
    case nonRandomized = "non-randomized"
    case notApplicable = "not-applicable"
}

public enum Masking: String, CaseIterable, Sendable, Hashable {
    case none, single, double, triple, quadruple
}

public enum ArmType: String, CaseIterable, Sendable, Hashable {
    case experimental
    case activeComparator = "active-comparator"
    case placeboComparator = "placebo-comparator"
    case shamComparator = "sham-comparator"
    case noIntervention = "no-intervention"
    case other
}
