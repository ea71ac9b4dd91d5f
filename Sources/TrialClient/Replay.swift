import TrialDomain

/// Whether a reply's event is one trialsd already had (the same id and content sent again),
/// for a trialsd that does not say so (`replayed`, in every append's reply since 0.2): it
/// answers with the event as first recorded, whose recording time then comes before the call
/// was made; a new event's cannot (trialsd stamps it on the same machine, after the request).
struct CallMoment {
    let started: Timestamp

    init(_ now: Timestamp = .now()) { started = now }

    func isReplay(_ e: EventReply) -> Bool {
        guard let recorded = try? Timestamp(parsing: e.recorded) else { return false }
        return recorded < started
    }
}
