import Foundation
import NIOConcurrencyHelpers
import TrialDomain
import TrialStore

/// Hands every committed event to the subscribers that want it, without ever waiting for one:
/// each has a bounded backlog, and a subscriber past it is dropped (it resumes from its last seq).
final class Broadcaster: @unchecked Sendable {
    /// What a subscriber wants.
    struct Filter: Sendable {
        var trial: String?
        var types: Set<EventType>
        func matches(_ e: RecordedEvent) -> Bool {
            (trial == nil || e.trial == trial) && (types.isEmpty || types.contains(e.type))
        }
    }

    /// A subscriber's live feed. `overflowed` is set when its backlog filled up.
    final class Subscription: @unchecked Sendable {
        let id: Int
        let filter: Filter
        /// Events with a seq above this arrive on `events`; those up to it are in the log.
        let liveFrom: Int64
        let events: AsyncStream<RecordedEvent>
        fileprivate let continuation: AsyncStream<RecordedEvent>.Continuation
        private let lock = NIOLock()
        private var _overflowed = false
        var overflowed: Bool { lock.withLock { _overflowed } }
        /// Called once when the backlog overflows (from the writer's thread: must not block).
        var onOverflow: (@Sendable () -> Void)? {
            get { lock.withLock { _onOverflow } }
            set { lock.withLock { _onOverflow = newValue } }
        }
        private var _onOverflow: (@Sendable () -> Void)?

        fileprivate init(id: Int, filter: Filter, liveFrom: Int64, backlog: Int) {
            self.id = id
            self.filter = filter
            self.liveFrom = liveFrom
            (events, continuation) = AsyncStream.makeStream(of: RecordedEvent.self, bufferingPolicy: .bufferingOldest(backlog))
        }

        fileprivate func deliver(_ e: RecordedEvent) -> Bool {
            if case .dropped = continuation.yield(e) {
                let handler = lock.withLock { () -> (@Sendable () -> Void)? in
                    _overflowed = true
                    return _onOverflow
                }
                continuation.finish()
                handler?()
                return false
            }
            return true
        }
    }

    private let lock = NIOLock()
    private var subscribers: [Int: Subscription] = [:]
    private var nextID = 0
    private var lastPublished: Int64
    let backlog: Int

    init(lastSeq: Int64, backlog: Int) {
        lastPublished = lastSeq
        self.backlog = backlog
    }

    var count: Int { lock.withLock { subscribers.count } }

    /// Registers a subscriber. Everything committed up to `liveFrom` is in the log already;
    /// everything after it will arrive on the subscription's stream, in order.
    func subscribe(_ filter: Filter) -> Subscription {
        lock.withLock {
            nextID += 1
            let s = Subscription(id: nextID, filter: filter, liveFrom: lastPublished, backlog: backlog)
            subscribers[s.id] = s
            return s
        }
    }

    func unsubscribe(_ s: Subscription) {
        lock.withLock { _ = subscribers.removeValue(forKey: s.id) }
        s.continuation.finish()
    }

    /// Called by the writer, in seq order, after each commit, with its outcomes: the events of
    /// accepted groups that were not replays are new.
    func publish(_ results: [Result<[AppendOutcome], GroupError>]) {
        lock.withLock {
            for case .success(let appended) in results {
                // By index: an event is copied only for a subscriber, never the trial summary.
                for i in appended.indices where !appended[i].replayed {
                    lastPublished = max(lastPublished, appended[i].event.seq)
                    for s in subscribers.values where s.filter.matches(appended[i].event) {
                        if !s.deliver(appended[i].event) { subscribers[s.id] = nil }
                    }
                }
            }
        }
    }

    /// Ends every subscription (shutting down).
    func finishAll() {
        let all = lock.withLock { () -> [Subscription] in
            let a = Array(subscribers.values)
            subscribers.removeAll()
            return a
        }
        for s in all { s.continuation.finish() }
    }
}
