import TrialDomain

/// Whether a reply's event is one trialsd already had (the same id and content sent again):
/// Append says so (`replayed`), AppendMany, Correct and Retract do not, and answer with the
/// event as first recorded. Its recording time then comes before the call was made; a new
/// event's cannot (trialsd stamps it on the same machine, after the request arrived).
struct CallMoment {
    let started: Timestamp

    init(_ now: Timestamp = .now()) { started = now }

    func isReplay(_ e: EventReply) -> Bool {
        guard let recorded = try? Timestamp(parsing: e.recorded) else { return false }
        return recorded < started
    }
}
