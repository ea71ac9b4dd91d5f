import NIOCore
import TrialDomain
import TrialProtocol
import TrialStore

/// Subscribe: catch-up from the log, then live from the broadcaster's ring.
struct SubscriptionService: Sendable {
    let context: ServiceContext
    let broadcaster: Broadcaster

    typealias Reply = ControlService.Reply
    typealias FrameWriter = ControlService.FrameWriter

    /// Events in one catch-up read.
    static let catchUpPage = 1000

    /// Catch-up from the log, then live: the broadcaster says up to which seq the log holds
    /// what was published before the subscription, and delivers everything after it.
    /// `drop` ends the connection after a grace period (a subscriber past its backlog).
    func subscribe(_ r: SubscribeRequest, drop: @escaping @Sendable () -> Void, writeFrame: FrameWriter, reply: Reply)
        async throws
    {
        let store = context.store
        var trialKey: String?
        if let t = r.trial {
            guard let key = try await store.read(.resolve(t)) else {
                throw await context.noSuchTrial(t)
            }
            trialKey = key
        }
        let types = Set(r.types)
        let subscription = broadcaster.subscribe(Broadcaster.Filter(trial: trialKey, types: types))
        subscription.onOverflow.withLockedValue { $0 = drop }
        defer { broadcaster.unsubscribe(subscription) }
        var last = r.since ?? subscription.liveFrom
        // Catch-up, page by page, up to liveFrom.
        if let since = r.since, since < subscription.liveFrom {
            var after = since
            while after < subscription.liveFrom {
                let query = LogQuery(
                    trial: trialKey, afterSeq: after, types: Array(types), limit: Self.catchUpPage, filter: r.filter)
                let page = (try await store.read(.events(query)) ?? []).filter {
                    $0.seq <= subscription.liveFrom
                }
                for e in page {
                    try await reply(
                        VarlinkReply(parameters: SubscribeResponse(event: e.json).parameters, continues: true))
                    last = e.seq
                }
                if page.count < Self.catchUpPage { break }
                after = page.last!.seq
            }
            last = max(last, subscription.liveFrom)
        }
        // Live: frames made once for every subscriber, written as they are.
        while true {
            switch await broadcaster.next(subscription) {
            case .events(let batch, let through):
                // The batch's frames in one write (one hop to the event loop, one syscall),
                // rather than a write and a wait for each event.
                // Writes of at most 32 KiB: what a stuck subscriber holds while it does not read.
                var fresh = batch.drop { $0.event.seq <= last }[...]
                if !r.filter.isEmpty, !fresh.isEmpty {
                    // Each trial as it is now, the batch's events committed.
                    let matching = try await store.read(.matching(Set(fresh.map(\.event.trial)), filter: r.filter))
                    fresh = fresh.filter { matching.contains($0.event.trial) }[...]
                }
                while !fresh.isEmpty {
                    var joined = ByteBuffer()
                    var taken = 0
                    for p in fresh {
                        guard taken == 0 || joined.readableBytes + p.frame.readableBytes <= 32 * 1024 else { break }
                        joined.writeImmutableBuffer(p.frame)
                        taken += 1
                    }
                    try await writeFrame(joined)
                    last = fresh[fresh.startIndex + taken - 1].event.seq
                    fresh = fresh.dropFirst(taken)
                }
                last = max(last, through)
            case .tooSlow:
                context.logger.warning("dropped a subscriber \(broadcaster.backlog) events behind at seq \(last)")
                throw TrialsError.subscriberTooSlow(lastSeq: last, backlog: Int64(broadcaster.backlog))
            case .finished:
                try Task.checkCancellation()
                throw TrialsError.shuttingDown
            }
        }
    }
}
