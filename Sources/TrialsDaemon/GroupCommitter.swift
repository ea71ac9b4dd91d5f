import ClinicalTrialsGov
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TrialDomain
import TrialStore

/// The single writer: appends queued by any number of connections are committed together, one
/// transaction and one fsync for all that queued while the previous commit was on disk, and
/// every caller gets its own result. Runs on its own thread, so reads never wait behind it.
/// After each commit, before any caller hears back, its observers (`CommitObserver`: the
/// broadcaster, the journal sink) are told what it recorded: the one path after a commit.
final class GroupCommitter: @unchecked Sendable {  // queue and flags guarded by `condition`, which the writer waits on
    typealias Outcome = Result<[AppendOutcome], CommitError>

    /// Why a group was not appended.
    enum CommitError: Error {
        case refused(GroupError)
        case store(Error)
        case shuttingDown
    }

    private struct Request {
        let events: [NewEvent]
        let recordedBy: String
        /// The events' change severities, when an import classified them (for the observers).
        var severities: [ChangeSeverity]? = nil
        /// Where `done` runs: on this event loop (one hop per commit for all its requests),
        /// or on the writer thread when nil.
        var eventLoop: EventLoop? = nil
        let done: @Sendable (Outcome) -> Void
    }

    private let store: EventStore
    private let maximumBatch: Int
    private let observers: [any CommitObserver]
    private let condition = NSCondition()
    private var queue: [Request] = []
    private var stopping = false
    private var finished = false
    private var thread: Thread?

    /// - Parameter observers: told of each committed batch, on the writer thread, in commit
    ///   (and seq) order, before the callers hear back. The batch is handed over as the store
    ///   returned it, so that the writer copies no event for them.
    init(store: EventStore, maximumBatch: Int, observers: [any CommitObserver]) {
        self.store = store
        self.maximumBatch = maximumBatch
        self.observers = observers
    }

    func start() {
        let t = Thread { [self] in run() }
        t.name = "trialsd-writer"
        thread = t
        t.start()
    }

    /// Queues one group (all or nothing) and waits for its commit. `severities` (one per
    /// event, an import's classification) travel with it to the observers.
    func append(_ events: [NewEvent], recordedBy: String, severities: [ChangeSeverity]? = nil) async -> Outcome {
        await withCheckedContinuation { c in
            enqueue(Request(events: events, recordedBy: recordedBy, severities: severities) { c.resume(returning: $0) })
        }
    }

    /// Queues many groups at once, each all or nothing on its own, and waits for all of them:
    /// they commit together (`maximumBatch` at a time), not a commit and an fsync each as
    /// when each is waited for before the next is queued. The outcomes are in `groups`' order.
    func append(groups: [[NewEvent]], recordedBy: String) async -> [Outcome] {
        guard !groups.isEmpty else { return [] }
        return await withCheckedContinuation { c in
            let outcomes = OutcomeCollector(count: groups.count) { c.resume(returning: $0) }
            enqueue(
                groups.enumerated().map { i, events in
                    Request(events: events, recordedBy: recordedBy) { outcomes.set(i, $0) }
                })
        }
    }

    /// Queues one group now, in call order; `done` runs on `eventLoop` with its outcome. The requests of one commit that share a loop are completed
    /// in one hop to it, in order, so the writer thread spends nothing per caller beyond the
    /// commit itself. A connection can queue several pipelined appends before the first
    /// commits, so they commit together.
    func submit(
        _ events: [NewEvent], recordedBy: String, on eventLoop: EventLoop, done: @escaping @Sendable (Outcome) -> Void
    ) {
        enqueue(Request(events: events, recordedBy: recordedBy, eventLoop: eventLoop, done: done))
    }

    /// Runs `body` on the writer thread between commits (rebuild, liveness checks).
    func exclusive<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let outcome: Result<T, Error> = await withCheckedContinuation { c in
            enqueue(
                Request(events: [], recordedBy: "") { _ in }, exclusive: { c.resume(returning: Result { try body() }) }
            ) {
                c.resume(returning: .failure(CommitError.shuttingDown))
            }
        }
        return try outcome.get()
    }

    private var exclusiveWork: [(run: () -> Void, cancel: () -> Void)] = []

    private func enqueue(_ r: Request, exclusive: (() -> Void)? = nil, cancel: (() -> Void)? = nil) {
        guard let exclusive else { return enqueue([r]) }
        condition.lock()
        if stopping {
            condition.unlock()
            return (cancel ?? {})()
        }
        exclusiveWork.append((exclusive, cancel ?? {}))
        condition.signal()
        condition.unlock()
    }

    /// Queues appends in order, under one lock.
    private func enqueue(_ requests: [Request]) {
        condition.lock()
        if stopping {
            condition.unlock()
            for r in requests { r.done(.failure(.shuttingDown)) }
            return
        }
        queue.append(contentsOf: requests)
        condition.signal()
        condition.unlock()
    }

    /// Stops taking appends, commits what is queued, and returns when the writer has finished.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished && thread != nil { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && exclusiveWork.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && exclusiveWork.isEmpty && stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            // Usually the whole queue: taken by a swap, not copied and shifted.
            var batch: [Request] = []
            if queue.count <= maximumBatch {
                swap(&batch, &queue)
            } else {
                batch = Array(queue.prefix(maximumBatch))
                queue.removeFirst(batch.count)
            }
            let work = exclusiveWork
            exclusiveWork.removeAll()
            condition.unlock()

            if !batch.isEmpty { commit(batch) }
            for w in work { w.run() }
        }
    }

    private func commit(_ batch: [Request]) {
        let outcomes: [Outcome]
        do {
            let results = try store.append(groups: batch.map { ($0.events, $0.recordedBy) })
            if !observers.isEmpty {
                let committed = CommittedBatch(results: results, severities: batch.map(\.severities))
                for o in observers { o.committed(committed) }
            }
            outcomes = results.map { $0.mapError { .refused($0) } }
        } catch {
            outcomes = Array(repeating: .failure(.store(error)), count: batch.count)
        }
        // One hop per event loop for all of its requests, in queue order.
        var hops: [(loop: EventLoop, work: [(Request, Outcome)])] = []
        for (r, outcome) in zip(batch, outcomes) {
            guard let loop = r.eventLoop else {
                r.done(outcome)
                continue
            }
            if let i = hops.firstIndex(where: { $0.loop === loop }) {
                hops[i].work.append((r, outcome))
            } else {
                hops.append((loop, [(r, outcome)]))
            }
        }
        for hop in hops {
            let work = hop.work
            hop.loop.execute { for (r, outcome) in work { r.done(outcome) } }
        }
    }
}

/// The outcomes of many queued groups, handed over once the last has come (from whichever
/// commit brings it).
private final class OutcomeCollector: Sendable {
    private struct State {
        var outcomes: [GroupCommitter.Outcome?]
        var left: Int
    }
    private let state: NIOLockedValueBox<State>
    private let done: @Sendable ([GroupCommitter.Outcome]) -> Void

    init(count: Int, done: @escaping @Sendable ([GroupCommitter.Outcome]) -> Void) {
        state = NIOLockedValueBox(State(outcomes: Array(repeating: nil, count: count), left: count))
        self.done = done
    }

    func set(_ i: Int, _ outcome: GroupCommitter.Outcome) {
        let all: [GroupCommitter.Outcome]? = state.withLockedValue {
            $0.outcomes[i] = outcome
            $0.left -= 1
            return $0.left == 0 ? $0.outcomes.map { $0! } : nil
        }
        if let all { done(all) }
    }
}
