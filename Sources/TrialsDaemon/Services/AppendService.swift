import ClinicalTrialsGov
import Logging
import NIOCore
import TrialDomain
import TrialProtocol
import TrialStore

/// Append and AppendMany, validated on the event loop and queued for the group committer;
/// and the one way every other write (Correct, Retract, Import) goes through the committer.
/// What a commit recorded reaches subscribers and the journal from the committer's observers,
/// not from here.
struct AppendService: Sendable {
    let committer: GroupCommitter
    let logger: Logger
    /// Calls being answered (a graceful stop waits for them).
    let inFlight: InFlightCalls

    /// A NewEvent from its JSON, validated (`index`: its place in a batch, for the error).
    func newEvent(_ json: JSONValue, index: Int?) throws(TrialsError) -> NewEvent {
        do {
            return try NewEvent(json: json, today: Timestamp.now().day)
        } catch {
            throw Self.error(.invalid(error), index: index)
        }
    }

    /// Validates an Append or AppendMany and queues it for the writer now; `reply` runs on
    /// `loop` with its answer once committed, or at once for a refusal before the queue.
    /// Pipelined appends on one connection thus share commits, and nothing waits in a task.
    /// A oneway call's answer is always `.none`: the caller asked for no reply.
    func submit(
        _ method: TrialsMethod, _ call: VarlinkCall, peer: Peer, on loop: EventLoop,
        reply: @escaping @Sendable (AppendAnswer) -> Void
    ) throws {
        let oneway = call.oneway
        let many = method == .appendMany
        let events: [NewEvent]
        if many {
            let r = try AppendManyRequest(parameters: call.parameters)
            events = try r.events.enumerated().map { i, v throws(TrialsError) in try newEvent(v, index: i) }
        } else {
            events = [try newEvent(try AppendRequest(parameters: call.parameters).event, index: nil)]
        }
        inFlight.enter()
        committer.submit(events, recordedBy: peer.recordedBy, on: loop) { outcome in
            defer { self.inFlight.leave() }
            reply(oneway ? self.onewayAnswer(outcome, many: many) : self.answer(outcome, many: many))
        }
    }

    /// The reply to a committed (or refused) Append or AppendMany. A committed Append, the
    /// common case, is written straight to bytes: `{"parameters":{"event":…,"replayed":…,"trial":…}}`.
    private func answer(_ outcome: GroupCommitter.Outcome, many: Bool) -> AppendAnswer {
        do {
            let outcomes = try finish(outcome, indexed: many)
            if many {
                let r = AppendManyResponse(events: outcomes.map(\.event.json), replayed: outcomes.map(\.replayed))
                return .reply(VarlinkReply(parameters: r.parameters))
            }
            let o = outcomes[0]
            // AppendResponse's members, in its order.
            var w = JSONWriter(capacity: 1024)
            w.beginObject()
            w.key("parameters")
            w.beginObject()
            w.key("event")
            o.event.write(to: &w)
            w.key("replayed")
            w.bool(o.replayed)
            w.key("trial")
            o.trial.write(to: &w)
            w.endObject()
            w.endObject()
            return .encoded(w.bytes)
        } catch {
            return .reply(VarlinkReply(error: error.varlinkError))
        }
    }

    /// A oneway append's reply is never made: the caller asked for none (a refusal is logged
    /// only if the store failed, as for any append). Its journal entries are the committer's
    /// observers', like any other's.
    private func onewayAnswer(_ outcome: GroupCommitter.Outcome, many: Bool) -> AppendAnswer {
        _ = try? finish(outcome, indexed: many)
        return .none
    }

    /// Appends one group through the committer. `severities` (an import's classification, one
    /// per event) travel with it to the committer's observers (the journal's PRIORITY).
    func append(_ events: [NewEvent], recordedBy: String, indexed: Bool, severities: [ChangeSeverity]? = nil)
        async throws(TrialsError) -> [AppendOutcome]
    {
        try finish(await committer.append(events, recordedBy: recordedBy, severities: severities), indexed: indexed)
    }

    /// What was appended, or the interface's error for a refusal.
    private func finish(_ outcome: GroupCommitter.Outcome, indexed: Bool) throws(TrialsError) -> [AppendOutcome] {
        switch outcome {
        case .success(let outcomes):
            return outcomes
        case .failure(.refused(let g)):
            throw Self.error(g.error, index: indexed ? g.index : nil)
        case .failure(.shuttingDown):
            throw .shuttingDown
        case .failure(.store(let e)):
            // The commit failed and was rolled back: nothing was written.
            let reason = StoreError.oneLine(e)
            logger.error("append failed: \(reason)")
            throw .storeFailed(reason: reason)
        }
    }

    /// The interface's error for a refused append.
    static func error(_ e: AppendError, index: Int?) -> TrialsError {
        switch e {
        case .invalid(let v): .invalidEvent(index: index, field: v.field, reason: v.reason)
        case .wrongExpectedVersion(let trial, let expected, let current):
            .wrongExpectedVersion(index: index, trial: trial, expected: expected, current: current)
        case .idConflict(let id, let seq): .idConflict(index: index, id: id, seq: seq)
        case .contradiction(let v): .contradiction(index: index, trial: v.trial, seq: v.seq, reason: v.reason)
        case .identifierTaken(let identifier, let trial):
            .identifierTaken(index: index, identifier: identifier, trial: trial)
        case .noSuchEvent(let seq): .noSuchEvent(seq: seq)
        case .notAmendable(let seq, let reason): .notAmendable(index: index, seq: seq, reason: reason)
        case .wrongTrial(let seq, let trial, let given): .wrongTrial(index: index, seq: seq, trial: trial, given: given)
        case .groupAborted(let i): .invalidEvent(index: i, field: "", reason: "another event of the batch was refused")
        case .noSuchTrial(let trial, let suggestion): .noSuchTrial(index: index, trial: trial, didYouMean: suggestion)
        }
    }
}

/// The answer to a queued Append or AppendMany: a reply, or one already encoded as the JSON of
/// its frame (without the NUL).
enum AppendAnswer: Sendable {
    case reply(VarlinkReply)
    case encoded([UInt8])
    /// A oneway call's: nothing to write.
    case none
}
