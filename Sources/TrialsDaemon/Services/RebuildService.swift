import TrialProtocol
import TrialStore

/// Rebuild: the projections dropped and made again from the log, on the thread pool while
/// the writer waits (`EventStore.rebuild`).
struct RebuildService: Sendable {
    let context: ServiceContext

    func rebuild(_: RebuildRequest, peer: Peer) async throws -> RebuildResponse {
        context.logger.notice("rebuilding the projections, asked by \(peer.recordedBy)")
        let store = context.store
        let r = try await context.blockingWork { try store.rebuild() }
        return RebuildResponse(trials: r.trials, events: r.events, seconds: r.seconds)
    }
}
