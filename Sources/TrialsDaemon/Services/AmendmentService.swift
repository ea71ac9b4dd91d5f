import TrialDomain
import TrialProtocol
import TrialStore

/// Correct and Retract: an amendment of an event, recorded as a `corrected` or `retracted`
/// event through the committer.
struct AmendmentService: Sendable {
    let appends: AppendService

    func correct(_ r: CorrectRequest, peer: Peer) async throws -> CorrectResponse {
        try await amend(r.amendment, peer: peer)
    }

    func retract(_ r: RetractRequest, peer: Peer) async throws -> RetractResponse {
        try await amend(r.amendment, peer: peer)
    }

    private func amend(_ amendment: AmendRequest, peer: Peer) async throws(TrialsError) -> AmendResponse {
        let event = try appends.newEvent(amendment.event, index: nil)
        let outcome = try await appends.append([event], recordedBy: peer.recordedBy, indexed: false)[0]
        return AmendResponse(event: outcome.event.json, replayed: outcome.replayed)
    }
}
