import Foundation

/// Runs the writer's inserts on a thread of their own, in the order they were given, while the
/// writer's thread goes on with the next events: the fold, the canonical JSON, the hash chain
/// and the checks of event n + 1 run on one core while SQLite writes event n on the other.
///
/// The writer submits an event's writes once every check has passed, so a submitted write
/// fails only for reasons of the database itself (an I/O error, another process writing). The
/// first failure stops the rest of the queue and is thrown by the next `drain()`, after which
/// the writer rolls the whole transaction back. Anything else that touches the connection (a
/// read, a savepoint, the commit) runs after `drain()`, when this thread is idle: the
/// connection is never used by two threads at once.
final class SQLStepper {
    /// The state shared with the thread, which holds it (not the stepper) until it stops.
    private final class Core: @unchecked Sendable {
        let condition = NSCondition()
        var queue: [() throws -> Void] = []
        /// The thread is running work it took from the queue.
        var busy = false
        var failure: Error?
        var stopping = false

        func loop() {
            var work: [() throws -> Void] = []
            condition.lock()
            while true {
                while queue.isEmpty && !stopping {
                    busy = false
                    condition.broadcast()
                    condition.wait()
                }
                if queue.isEmpty { break }  // stopping
                swap(&work, &queue)
                busy = true
                let failed = failure != nil
                condition.unlock()
                var error: Error?
                if !failed {
                    do { for w in work { try w() } } catch let e { error = e }
                }
                work.removeAll(keepingCapacity: true)
                condition.lock()
                if let error, failure == nil { failure = error }
            }
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }

    private let core = Core()

    init() {
        let core = self.core
        let thread = Thread { core.loop() }
        thread.name = "trialtrack-sql"
        thread.start()
    }

    deinit {
        core.condition.lock()
        core.stopping = true
        core.condition.broadcast()
        core.condition.unlock()
    }

    /// Queues `work` after everything queued before it.
    func submit(_ work: @escaping () throws -> Void) {
        core.condition.lock()
        core.queue.append(work)
        if !core.busy { core.condition.broadcast() }
        core.condition.unlock()
    }

    /// Waits until everything queued has run; throws the first failure since the last drain
    /// (the work queued after it did not run).
    func drain() throws {
        core.condition.lock()
        while core.busy || !core.queue.isEmpty { core.condition.wait() }
        let failure = core.failure
        core.failure = nil
        core.condition.unlock()
        if let failure { throw failure }
    }
}
