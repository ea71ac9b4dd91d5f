import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TrialDomain
import TrialProtocol
import TrialStore

/// Hands every committed event to the subscribers that want it, without ever waiting for one.
///
/// The last `backlog` events are kept once, in a ring shared by every subscriber, each with its
/// reply frame made once (`{"parameters":{"event":…},"continues":true}` and its NUL): a
/// subscriber is a cursor into the ring, not a copy of the events. Subscribers that never
/// read used to hold a copy each, and slowed appends with it; now their cost is the ring,
/// whatever their number (figures in benchmarks/README.md, "Hostile clients"). A subscriber whose cursor the ring has left
/// behind is dropped with SubscriberTooSlow (it resumes from its last seq).
final class Broadcaster: @unchecked Sendable {  // state guarded by `lock`
    /// What a subscriber wants.
    struct Filter: Sendable {
        var trial: String?
        var types: Set<EventType>
        func matches(_ e: RecordedEvent) -> Bool {
            (trial == nil || e.trial == trial) && (types.isEmpty || types.contains(e.type))
        }
    }

    /// A committed event and its reply frame for a subscriber, made once, by the first
    /// subscriber that sends it (not on the writer's thread, which is the log's bottleneck).
    final class Published: Sendable {
        let event: RecordedEvent
        private let made = NIOLockedValueBox<ByteBuffer?>(nil)

        init(event: RecordedEvent) { self.event = event }

        var frame: ByteBuffer {
            made.withLockedValue { frame in
                if let frame { return frame }
                let f = Broadcaster.frame(event)
                frame = f
                return f
            }
        }
    }

    /// What a subscriber gets when it asks for more.
    enum Next: Sendable {
        /// Events after the cursor that match its filter (possibly none), and the new cursor.
        case events([Published], through: Int64)
        /// The ring has left the subscriber behind: events after the cursor are only in the log.
        case tooSlow
        /// The daemon is stopping.
        case finished
    }

    /// A subscriber: a filter and a cursor into the ring.
    final class Subscription: @unchecked Sendable {  // `cursor` and `dropped` guarded by the broadcaster's lock
        let id: Int
        let filter: Filter
        /// Events with a seq above this come from the ring; those up to it are in the log.
        let liveFrom: Int64
        fileprivate var cursor: Int64
        fileprivate var dropped = false
        /// Called once when the ring leaves it behind (from the writer's thread: must not block).
        let onOverflow: NIOLockedValueBox<(@Sendable () -> Void)?> = NIOLockedValueBox(nil)

        fileprivate init(id: Int, filter: Filter, liveFrom: Int64) {
            self.id = id
            self.filter = filter
            self.liveFrom = liveFrom
            cursor = liveFrom
        }
    }

    private let lock = NIOLock()
    private var subscribers: [Int: Subscription] = [:]
    /// Subscribers waiting for events past the ring's end, by id.
    private var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
    private var ring = CircularBuffer<Published>()
    private var nextID = 0
    private var lastPublished: Int64
    private var finished = false
    let backlog: Int
    /// The most events one `next` hands over (a subscriber writes them before it asks again).
    static let batch = 256

    init(lastSeq: Int64, backlog: Int) {
        lastPublished = lastSeq
        self.backlog = max(1, backlog)
    }

    /// Subscribers not dropped.
    var count: Int { lock.withLock { subscribers.count } }

    /// Registers a subscriber. Everything committed up to `liveFrom` is in the log already;
    /// everything after it comes from `next`, in order.
    func subscribe(_ filter: Filter) -> Subscription {
        lock.withLock {
            nextID += 1
            let s = Subscription(id: nextID, filter: filter, liveFrom: lastPublished)
            subscribers[s.id] = s
            return s
        }
    }

    func unsubscribe(_ s: Subscription) {
        let waiter = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            subscribers[s.id] = nil
            s.dropped = true
            return waiting.removeValue(forKey: s.id)
        }
        waiter?.resume()
    }

    /// The events after the subscriber's cursor, waiting for some if there are none yet.
    func next(_ s: Subscription) async -> Next {
        while true {
            if let answer = lock.withLock({ take(s) }) { return answer }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = lock.withLock { () -> Bool in
                        // Published (or stopped) since `take` looked: do not wait.
                        if finished || s.dropped || lastPublished > s.cursor || Task.isCancelled { return true }
                        waiting[s.id] = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            } onCancel: {
                lock.withLock { waiting.removeValue(forKey: s.id) }?.resume()
            }
            if Task.isCancelled { return .finished }
        }
    }

    /// Under the lock: what `next` answers now, or nil to wait.
    private func take(_ s: Subscription) -> Next? {
        if s.dropped { return .tooSlow }
        if finished { return .finished }
        guard s.cursor < lastPublished else { return nil }
        // Not dropped: the ring still holds every event after the cursor (eviction drops the
        // subscribers short of what it evicts). Skip what the subscriber has: seqs ascend.
        var lo = 0, hi = ring.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ring[ring.index(ring.startIndex, offsetBy: mid)].event.seq <= s.cursor { lo = mid + 1 } else { hi = mid }
        }
        var i = ring.index(ring.startIndex, offsetBy: lo)
        var out: [Published] = []
        var through = s.cursor
        var scanned = 0
        while i != ring.endIndex, out.count < Self.batch, scanned < 4 * Self.batch {
            let p = ring[i]
            if s.filter.matches(p.event) { out.append(p) }
            through = p.event.seq
            scanned += 1
            i = ring.index(after: i)
        }
        s.cursor = through
        return .events(out, through: through)
    }

    /// Under the lock: the ring has left `s` behind.
    private func drop(_ s: Subscription) {
        guard !s.dropped else { return }
        s.dropped = true
        subscribers[s.id] = nil
        if let handler = s.onOverflow.withLockedValue({ $0 }) { handler() }
    }

    /// Called by the writer, in seq order, after each commit, with its outcomes: the events of
    /// accepted groups that were not replays are new. With no subscriber nothing is kept (a
    /// subscriber joins live from the last published seq).
    func publish(_ results: [Result<[AppendOutcome], GroupError>]) {
        let woken = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            let listening = !subscribers.isEmpty
            if !listening { ring.removeAll(keepingCapacity: false) }
            for case .success(let appended) in results {
                for i in appended.indices where !appended[i].replayed {
                    let event = appended[i].event
                    lastPublished = max(lastPublished, event.seq)
                    guard listening else { continue }
                    if ring.count == backlog {
                        let evicted = ring.removeFirst().event.seq
                        // Subscribers still short of the evicted event can no longer get it.
                        for s in subscribers.values where s.cursor < evicted { drop(s) }
                    }
                    ring.append(Published(event: event))
                }
            }
            let w = Array(waiting.values)
            waiting.removeAll(keepingCapacity: true)
            return w
        }
        for c in woken { c.resume() }
    }

    /// A subscription's reply for `event`, as every subscriber gets it.
    static func frame(_ event: RecordedEvent) -> ByteBuffer {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.key("continues")
        w.bool(true)
        w.key("parameters")
        w.beginObject()
        w.key("event")
        event.write(to: &w)
        w.endObject()
        w.endObject()
        var buffer = ByteBuffer()
        buffer.reserveCapacity(w.bytes.count + 1)
        buffer.writeBytes(w.bytes)
        buffer.writeInteger(UInt8(0))
        return buffer
    }

    /// Ends every subscription (shutting down).
    func finishAll() {
        let woken = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            finished = true
            subscribers.removeAll()
            let w = Array(waiting.values)
            waiting.removeAll()
            return w
        }
        for c in woken { c.resume() }
    }
}

/// The broadcaster hears of commits as an observer of the committer.
extension Broadcaster: CommitObserver {
    func committed(_ batch: CommittedBatch) { publish(batch.results) }
}
