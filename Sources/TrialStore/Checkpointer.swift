import Foundation
import GRDB
import GRDBSQLite
import TrialDomain

/// Copies the write-ahead log back into the database file on a thread and connection of its
/// own, so the single writer does not stall on it: SQLite's default runs that checkpoint inside
/// the commit that takes the log past 1000 pages, in the writer's time.
///
/// The writer's commit hook (`sqlite3_wal_hook`, which replaces the automatic checkpoint) wakes
/// it once the log holds `threshold` pages (32 MiB: fewer, larger checkpoints, each page that
/// changed many times copied once); it runs a PASSIVE checkpoint, which never blocks the writer
/// or the readers. Under sustained writes the log may outgrow what it copies: when a commit
/// finds the log still past `limit` pages (128 MiB) after the previous one was past it too,
/// the thread has not caught up and the writer checkpoints in line, as SQLite would, so the
/// log stays bounded. One large commit (a rebuild) from a short log is left to the thread.
/// Durability is untouched: every commit is synced in the log before it is acknowledged.
// @unchecked: flags guarded by `condition`; `connection` its thread's, `previousPages` the hook's.
final class Checkpointer: @unchecked Sendable {
    let threshold: Int32
    let limit: Int32
    /// Called with one line when a checkpoint fails (on the thread that ran it).
    private let onFailure: (@Sendable (String) -> Void)?
    private var connection: OpaquePointer?
    private let condition = NSCondition()
    private var wanted = false
    private var stopping = false
    private var finished = false
    /// What the checkpoints did, the thread's and the writer's in-line ones (`waitForRuns`
    /// waits on its count).
    private var record = CheckpointStatus()
    /// The log's length after the previous commit. Only touched in the hook, which runs on
    /// the writer's connection.
    private var previousPages: Int32 = 0

    /// `limit` below `threshold` is taken as `threshold`; `busyTimeout` is the store's.
    init(
        path: String, threshold: Int32, limit: Int32, busyTimeout: TimeInterval,
        onFailure: (@Sendable (String) -> Void)? = nil
    ) throws {
        self.threshold = threshold
        self.limit = max(limit, threshold)
        self.onFailure = onFailure
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(connection)
            throw StoreError.database(
                "cannot open \(path) a second time, for its checkpoints: \(message); check that this user can read and write \(path) and its directory"
            )
        }
        // FULL: the database file is synced before the log may be reset.
        sqlite3_exec(connection, "PRAGMA synchronous = \(EventStore.durableSynchronous)", nil, nil, nil)
        sqlite3_busy_timeout(connection, Int32(busyTimeout * 1000))
        let thread = Thread { [self] in run() }
        thread.name = "trialtrack-checkpoint"
        thread.start()
    }

    /// Installs the commit hook on the writer's connection.
    func attach(to db: Database) {
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, db, _, pages in
                let me = Unmanaged<Checkpointer>.fromOpaque(context!).takeUnretainedValue()
                if pages >= me.limit && me.previousPages >= me.limit {
                    // The thread is not keeping up: checkpoint now, in the writer's time.
                    me.checkpoint(db, inLine: true)
                } else if pages >= me.threshold {
                    me.wake()
                }
                me.previousPages = pages
                return SQLITE_OK
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Runs one PASSIVE checkpoint on `db` and records what it did.
    private func checkpoint(_ db: OpaquePointer?, inLine: Bool) {
        var logPages: Int32 = 0, copiedPages: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &logPages, &copiedPages)
        var failure: String?
        if rc != SQLITE_OK {
            var reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            // The system's reason too, e.g. "No space left on device".
            if let db, case let errno = sqlite3_system_errno(db), errno != 0 {
                reason += ": " + String(cString: strerror(errno))
            }
            failure =
                "\(inLine ? "the writer's in-line checkpoint" : "a checkpoint") failed: \(reason) (the write-ahead log grows until one succeeds)"
        }
        // The owner is told before the run counts as finished, so that whoever waits for the
        // run (`waitForRuns`) finds it reported too.
        if let failure, let onFailure { onFailure(failure) }
        condition.lock()
        record.runs += 1
        record.lastAt = Timestamp.now()
        record.logPages = Int(max(logPages, 0))
        record.copiedPages = Int(max(copiedPages, 0))
        record.lastFailure = failure
        if failure != nil { record.failures += 1 }
        condition.broadcast()
        condition.unlock()
    }

    /// What the checkpoints have done so far.
    var status: CheckpointStatus {
        condition.lock()
        defer { condition.unlock() }
        return record
    }

    /// Asks the thread for a checkpoint now (tests; the hook asks past the threshold).
    func wake() {
        condition.lock()
        wanted = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while !wanted && !stopping { condition.wait() }
            if stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            wanted = false
            condition.unlock()
            checkpoint(connection, inLine: false)
        }
    }

    /// Waits until `count` checkpoints have run in all (the thread's, and the writer's in line);
    /// false if not by `deadline`.
    func waitForRuns(_ count: Int, before deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while record.runs < count { if !condition.wait(until: deadline) { break } }
        return record.runs >= count
    }

    /// Stops the thread and closes its connection. Detach the hook from the writer first.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
        sqlite3_close(connection)
        connection = nil
    }

    static func detach(from db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, nil, nil)
    }
}

/// What the store's checkpoints (copying the write-ahead log into the database file) have done
/// since it was opened: a failing one leaves the log growing, and says why here.
public struct CheckpointStatus: Equatable, Sendable {
    public var runs = 0
    public var failures = 0
    /// When the last one finished, the log's length then and how much of it was copied (a
    /// PASSIVE checkpoint copies what no reader still needs), in pages.
    public var lastAt: Timestamp?
    public var logPages = 0
    public var copiedPages = 0
    /// Why the last one failed, in one line; nil when it succeeded.
    public var lastFailure: String?

    public init() {}
}
