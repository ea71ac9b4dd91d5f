import TrialDomain

/// An expected milestone in words, without its window: `OS readout`, `recruiting`,
/// `presented at ESMO`, `regulatory submission to FDA`.
///
/// The same words as trialctl's NEXT column (`MilestoneWords` in TrialClient, which adds the
/// window), so that a calendar and `trialctl status` name a forecast alike. TrialExports
/// depends on TrialDomain only, hence the copy; both could move into TrialDomain.
public enum MilestoneWording {
    public static func phrase(_ m: MilestoneSpec) -> String {
        let q = m.qualifier
        switch m.type {
        case .statusChanged: return q ?? "status change"
        case .readout: return q.map { "\($0) readout" } ?? "readout"
        case .interimAnalysis: return q.map { "\($0) interim analysis" } ?? "interim analysis"
        case .presented: return q.map { "presented at \($0)" } ?? "presentation"
        case .published: return q.map { "published in \($0)" } ?? "publication"
        case .registered: return "registration"
        case .regulatorySubmission: return "regulatory submission" + (q.map { " to \($0)" } ?? "")
        case .regulatoryDecision: return "regulatory decision" + (q.map { " (\($0))" } ?? "")
        case .enrollmentUpdated: return "enrollment update" + (q.map { " (\($0))" } ?? "")
        case .datesUpdated: return "dates update" + (q.map { " (\($0))" } ?? "")
        case .milestoneExpected, .milestoneOverdue, .corrected, .retracted: return m.description
        }
    }
}

extension TrialSummary {
    /// The first NCT number the registrations gave, if any.
    var nctNumber: String? { registration?.identifiers.first { $0.registry == .nct }?.id }
}

/// An `http:` or `https:` URL of one line without spaces, else nil.
func webURL(_ s: String?) -> String? {
    guard let s else { return nil }
    let lower = s.lowercased()
    guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), s.count > 8 else { return nil }
    guard
        !s.unicodeScalars.contains(where: {
            $0.value <= 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "<" || $0 == ">"
        })
    else { return nil }
    return s
}
