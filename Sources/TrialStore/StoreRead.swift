import GRDB

/// One read of the store, written once and run either way: `store.read(.status("ACTT-1"))`
/// blocks the calling thread (the tools, the tests, the benchmarks), and
/// `await store.read(.status("ACTT-1"))` is a GRDB async read, run on one of the pool's reader
/// connections (at most `StoreConfiguration.maximumReaderCount` at once) on its own dispatch
/// queue, so that the caller's task suspends instead of holding a thread: trialsd's services.
/// Each read is one read transaction, a consistent snapshot of the log and its projections.
///
/// The async form also stops when its task is cancelled (a peer that hangs up mid-call):
/// SQLite is interrupted and the read throws `CancellationError`.
public struct StoreRead<Value: Sendable>: Sendable {
    let body: @Sendable (EventStore, Database) throws -> Value

    init(_ body: @escaping @Sendable (EventStore, Database) throws -> Value) { self.body = body }

    /// A read that needs only the database (a test's own reads too).
    package init(_ body: @escaping @Sendable (Database) throws -> Value) { self.body = { _, db in try body(db) } }
}

extension EventStore {
    /// Runs `read` on a reader connection, blocking this thread until it is done.
    public func read<Value>(_ read: StoreRead<Value>) throws -> Value {
        try pool.read { db in try read.body(self, db) }
    }

    /// Runs `read` as a GRDB async read: on a reader connection's queue, this task suspended
    /// meanwhile; cancelling the task interrupts it (`CancellationError`).
    public func read<Value>(_ read: StoreRead<Value>) async throws -> Value {
        try await pool.read { db in try read.body(self, db) }
    }
}
