import TrialDomain

/// An expected milestone in words, for the NEXT column of `status`: `recruiting by 2026-01-31`,
/// `OS readout 2027`, `presented at ESMO 2026`, rather than the forecast's own notation
/// (`status-changed:recruiting`), which `trialctl record` and `upcoming` keep.
enum MilestoneWords {
    static func expected(_ m: MilestoneSpec, window: String) -> String {
        let q = m.qualifier
        switch m.type {
        case .statusChanged: return q.map { "\($0) by \(window)" } ?? "status change by \(window)"
        case .readout: return (q.map { "\($0) readout" } ?? "readout") + " \(window)"
        case .interimAnalysis: return (q.map { "\($0) interim analysis" } ?? "interim analysis") + " \(window)"
        case .presented: return (q.map { "presented at \($0)" } ?? "presentation") + " \(window)"
        case .published: return (q.map { "published in \($0)" } ?? "publication") + " \(window)"
        case .registered: return "registration \(window)"
        case .regulatorySubmission: return "regulatory submission" + (q.map { " to \($0)" } ?? "") + " \(window)"
        case .regulatoryDecision: return "regulatory decision" + (q.map { " (\($0))" } ?? "") + " \(window)"
        case .enrollmentUpdated: return "enrollment update" + (q.map { " (\($0))" } ?? "") + " \(window)"
        case .datesUpdated: return "dates update" + (q.map { " (\($0))" } ?? "") + " \(window)"
        case .milestoneExpected, .milestoneOverdue, .corrected, .retracted: return "\(m.description) \(window)"
        }
    }
}
