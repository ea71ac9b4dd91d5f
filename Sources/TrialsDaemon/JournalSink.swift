import ClinicalTrialsGov
import Foundation
import Logging
import Systemd
import TrialStore

/// Sends the journald entry of every recorded event, on a thread of its own (`trialsd-journal`),
/// so that neither the writer nor the event loop ever waits for journald.
///
/// A commit observer: the writer hands it each committed batch (one lock, one append to a
/// queue, a signal); the thread makes the entries' fields and sends them, in seq order, on the
/// connected journald socket, which blocks while journald's queue is full.
///
/// When journald is slower than the log, the queue is bounded (`capacity` events): a batch that
/// would take it past the bound is not queued, and is counted. Nothing is lost silently: once
/// the thread catches up it logs a warning saying how many entries were not sent and the seqs
/// they cover (the log has every one of them: `trialctl log` reads them back). The log is the
/// record; journal entries are alerts about it. Back-pressure to the writer was the other
/// choice, and was refused: it would make the log's pace journald's, and a journald that hangs
/// would stop every append, and with it the watchdog, which would restart trialsd into the same
/// stall.
final class JournalSink: CommitObserver, @unchecked Sendable {  // queue and counters guarded by `condition`
    /// Entries not sent: how many, and the seqs they cover.
    struct Dropped: Equatable, Sendable {
        var count: Int
        var firstSeq: Int64
        var lastSeq: Int64
    }

    let capacity: Int
    private let logger: Logger
    private let send: @Sendable ([(String, String)]) -> Void
    private let condition = NSCondition()
    private var queue: [CommittedBatch] = []
    private var queued = 0  // events in `queue`
    private var dropped: Dropped?
    private var droppedTotal = 0
    private var stopping = false
    private var finished = false
    private var thread: Thread?

    /// - Parameter send: sends one entry (`Journal.send`; a test passes its own).
    init(capacity: Int, logger: Logger, send: @escaping @Sendable ([(String, String)]) -> Void = { Journal.send($0) }) {
        self.capacity = max(1, capacity)
        self.logger = logger
        self.send = send
    }

    func start() {
        let t = Thread { [self] in run() }
        t.name = "trialsd-journal"
        condition.lock()
        thread = t
        condition.unlock()
        t.start()
    }

    /// Entries not sent since the start because journald did not keep up.
    var droppedCount: Int { condition.locked { droppedTotal } }

    /// On the writer thread: queue the batch, or count it when the queue is full.
    func committed(_ batch: CommittedBatch) {
        let n = batch.recordedCount
        guard n > 0 else { return }
        condition.lock()
        defer { condition.unlock() }
        if queued + n > capacity && queued > 0 {
            var first: Int64 = .max, last: Int64 = 0
            batch.forEachRecorded { o, _ in
                first = min(first, o.event.seq)
                last = max(last, o.event.seq)
            }
            if dropped == nil { dropped = Dropped(count: 0, firstSeq: first, lastSeq: last) }
            dropped!.count += n
            dropped!.firstSeq = min(dropped!.firstSeq, first)
            dropped!.lastSeq = max(dropped!.lastSeq, last)
            droppedTotal += n
            return
        }
        queue.append(batch)
        queued += n
        condition.signal()
    }

    /// Sends what is queued, at most until `deadline`, and stops the thread. Returns whether
    /// everything was sent (false: journald did not take it in time, and a warning says so).
    @discardableResult
    func stop(before deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        guard thread != nil else { return queue.isEmpty }
        while !finished { if !condition.wait(until: deadline) { break } }
        if !finished {
            logger.warning(
                "stopping with \(queued) journal entries not sent: journald did not take them in time (the log has them)"
            )
        }
        return finished
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && dropped == nil && !stopping { condition.wait() }
            if queue.isEmpty && dropped == nil && stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            var batches: [CommittedBatch] = []
            swap(&batches, &queue)
            let missed = batches.isEmpty ? dropped.take() : nil
            condition.unlock()

            for batch in batches {
                batch.forEachRecorded { o, severity in
                    send(JournalEntries.fields(o.event, trial: o.trial, severity: severity))
                }
                condition.lock()
                queued -= batch.recordedCount
                condition.unlock()
            }
            // Said once the queue has drained, so that the warning follows the entries sent
            // before the overflow.
            if let missed {
                logger.warning(
                    "journald did not keep up: \(missed.count) journal entries not sent, for the events of seq \(missed.firstSeq) to \(missed.lastSeq); the log has every one (trialctl log)"
                )
            }
        }
    }
}

extension Optional {
    /// The value, leaving nil behind.
    fileprivate mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}

extension NSCondition {
    fileprivate func locked<T>(_ body: () -> T) -> T {
        lock()
        defer { unlock() }
        return body()
    }
}
