import TrialDomain
import TrialProtocol

/// A milestone withdrawn by a `retracted` event, for the timeline of `status TRIAL`. trialsd's
/// Status leaves retracted events out of the timeline (its fold drops them), and says nothing
/// of them; trialctl finds them in the log, so that a timeline shows what was withdrawn, by
/// which seq and why, as it shows what was corrected. (A `retractedBy` and `reason` in the
/// Status reply's timeline entries would save these calls; see the report of this change.)
public struct RetractedEntry: Equatable, Sendable {
    public var entry: TimelineEntry
    /// The seq of the retraction.
    public var by: Int64
    public var reason: String

    public init(entry: TimelineEntry, by: Int64, reason: String) {
        self.entry = entry
        self.by = by
        self.reason = reason
    }

    /// The trial's retracted milestones as of the point in time asked: retractions recorded by
    /// --known-at, of milestones recorded by then that had certainly happened by --as-of.
    static func find(trial key: String, asOf: String?, knownAt: String?, _ session: Session) throws(TrialctlError)
        -> [RetractedEntry]
    {
        let known = knownAt.flatMap { try? Timestamp(parsing: $0) }
        let day = asOf.flatMap(Day.init)
        func recordedBy(_ e: EventReply) -> Bool {
            guard let known else { return true }
            return (try? Timestamp(parsing: e.recorded)).map { $0 <= known } ?? true
        }
        var retractions: [EventReply] = []
        var since: Int64 = 0
        let limit = JSONValue.int(Int64(LogRequest.maximumLimit))
        while true {
            let log = try Reply.read(
                LogResponse.self,
                try session.call(
                    .log, params(["trial": .string(key), "types": ["retracted"], "since": .int(since), "limit": limit]))
            )
            retractions += try Reply.events(log.events).filter(recordedBy)
            guard let next = log.next, next > since else { break }
            since = next
        }
        var out: [RetractedEntry] = []
        for r in retractions {
            guard let target = r.payload["target"]?.int64Value else { continue }
            let reason = r.payload["reason"]?.stringValue ?? ""
            guard
                let original = try Reply.events(
                    try session.call(.log, params(["since": .int(target - 1), "limit": 1]))
                ).first,
                original.seq == target, recordedBy(original),
                let type = EventType(rawValue: original.type), type.isMilestone,
                let payload = original.typedPayload, let occurred = try? PartialDate(parsing: original.occurred)
            else { continue }
            if let day, day < occurred.end { continue }
            out.append(
                RetractedEntry(
                    entry: TimelineEntry(
                        seq: target, occurred: occurred, payload: payload, source: original.source, correctedBy: nil),
                    by: r.seq, reason: reason))
        }
        return out
    }
}
