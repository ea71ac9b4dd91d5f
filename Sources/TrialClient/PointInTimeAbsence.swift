import TrialDomain
import TrialProtocol

/// Why `status TRIAL --as-of/--known-at` found nothing although the trial exists: trialsd
/// answers NoSuchTrial for a trial that had no event yet at that point in time, as for one
/// it never heard of. trialctl asks again without the point in time to tell them apart.
///
/// Wording, decided as systemctl would: `systemctl status` of a unit that exists but is not
/// running prints what it knows of it and does not call it missing ("Unit … could not be
/// found" is kept for units that do not exist). So a trial that exists now is never "no such
/// trial" (exit 4) at an earlier point in time: trialctl prints one line, the trial's name
/// first, saying why there is nothing to show then and what came first, and exits 0 — the
/// question had an answer: nothing. Only a trial that does not exist now is exit 4.
///
///   HARMONi-2: nothing recorded about it had happened by 2025-06-01 (first event: registered 2025)
///   HARMONi-2: was not in the log yet at 2025-06-01T12:00Z (first recorded 2026-11-21T09:01:00Z)
public enum PointInTimeAbsence: Equatable, Sendable {
    /// --as-of: its earliest fact (world time) had not certainly happened by the end of `day`.
    case notHappenedYet(name: String, day: String, first: String?)
    /// --known-at: its first event was recorded after `time`.
    case notRecordedYet(name: String, time: String, firstRecorded: String?)

    public var line: String {
        switch self {
        case .notHappenedYet(let name, let day, let first):
            return "\(name): nothing recorded about it had happened by \(day)"
                + (first.map { " (first event: \($0))" } ?? "") + "\n"
        case .notRecordedYet(let name, let time, let first):
            return "\(name): was not in the log yet at \(time)"
                + (first.map { " (first recorded \(Format.recorded($0)))" } ?? "") + "\n"
        }
    }

    /// Asks trialsd about `trial` now; NoSuchTrial from there is thrown as it is (exit 4).
    static func explain(_ trial: String, asOf: String?, knownAt: String?, _ session: Session) throws(TrialctlError)
        -> PointInTimeAbsence
    {
        let now = try Reply.trials(try session.call(.status, params(["trial": .string(trial)])))
        guard let current = now.first else { throw TrialctlError("no such trial: \(trial)", status: .noSuchTrial) }
        // The first event recorded of the trial says whether it was in the log at --known-at.
        let first = try Reply.events(
            try session.call(.log, params(["trial": .string(current.summary.key), "limit": 1]))
        ).first
        if let knownAt, let point = try? Timestamp(parsing: knownAt),
            first.map({ (try? Timestamp(parsing: $0.recorded)).map { $0 > point } ?? true }) ?? true
        {
            return .notRecordedYet(name: current.name, time: knownAt, firstRecorded: first?.recorded)
        }
        // Else its earliest fact in world time (the timeline is in world order) is after --as-of.
        let earliest = current.timeline?.first.map { "\($0.type.rawValue) \($0.occurred)" }
        return .notHappenedYet(name: current.name, day: asOf ?? knownAt ?? "then", first: earliest)
    }
}
