import Foundation
import CSQLiteConfig
import GRDB
import TrialDomain

/// Settings of an `EventStore`, with documented defaults.
public struct StoreConfiguration: Sendable {
    /// How many trials' folded states the writer keeps in memory (least recently used go first).
    /// Memory stays bounded whatever the size of the log. Default 10 000.
    public var foldCacheCapacity = 10_000
    /// How many aliases (names and registry identifiers → trial) the writer keeps in memory;
    /// when full it forgets them all and reads them from the table again. 0 keeps none.
    /// Default 100 000.
    public var aliasCacheCapacity = 100_000
    /// Concurrent reader connections (WAL lets them read while the writer writes). Default 4.
    public var maximumReaderCount = 4
    /// How long a connection waits for a lock held by another process. Default 10 s.
    public var busyTimeout: TimeInterval = 10
    /// SQLite page cache per connection, in KiB. Default 32 MiB.
    public var cacheKibibytes = 32 * 1024
    /// Memory-mapped reads, in bytes. Default 0 (off): read(2) keeps the daemon's resident
    /// memory independent of the file's size.
    public var mmapBytes = 0
    /// Checkpoint the write-ahead log on a thread of its own (`Checkpointer`) rather than in
    /// the writer's commits. Default on.
    public var backgroundCheckpoints = true
    /// WAL pages (4 KiB) that wake the checkpoint thread. Default 8192 (32 MiB).
    public var checkpointPages: Int32 = 8192
    /// WAL pages past which the writer checkpoints in line. Default 32768 (128 MiB).
    public var checkpointLimitPages: Int32 = 32_768
    /// A rebuild of a log with at least this many events splits the trials between two
    /// reader threads (`EventStore.rebuild`); a smaller one is read by one. Default 10 000.
    public var rebuildSplitEvents: Int64 = 10_000
    /// Rows a rebuild writes with one INSERT statement (`BulkInsert`). Default 32.
    public var rebuildRowsPerStatement = 32
    /// Called with one line when a checkpoint fails (e.g. the disk is full): the write-ahead
    /// log then grows until one succeeds. Default: nothing (`EventStore.checkpointStatus`
    /// still records it).
    public var onCheckpointFailure: (@Sendable (String) -> Void)?
    /// Refuse an event that names a trial the log does not know unless it is a registration or
    /// expects the trial to be new (`expectedVersion` 0): `AppendError.noSuchTrial`. Default
    /// off for the library (a caller may load any history); trialsd turns it on, so that a
    /// misspelt name never starts a trial for ever.
    public var newTrialsNeedRegistration = false
    /// The clock, replaceable in tests.
    public var clock: @Sendable () -> Timestamp = { Timestamp.now() }

    public init() {}
}

/// The event log of every trial in one SQLite file (WAL, `synchronous=FULL`): one writer that
/// commits many queued appends in one transaction, readers on their own connections, and the
/// projections kept in the append's transaction.
public final class EventStore: @unchecked Sendable {  // `writer` touched only in the pool's serialised writes
    /// The database, for this package's tests (they read and attack it with SQL of their own).
    package let pool: DatabasePool
    public let path: String
    let configuration: StoreConfiguration
    /// Touched only inside `pool.write…` closures, which GRDB serialises.
    let writer: WriterState
    let checkpointer: Checkpointer?
    let rebuildMonitor = RebuildMonitor()
    /// `PRAGMA synchronous` of every connection that writes (`makeDurable`): 2 is FULL, which
    /// in WAL mode syncs the log on every commit (a rebuild alone runs NORMAL, and comes back
    /// to this). Set as the number, which is also what the pragma reads back.
    static let durableSynchronous = 2

    /// trialtrack's mark in the database header (`PRAGMA application_id`, set by migration
    /// 0005): "TRTK" in ASCII. A database with tables and another mark is refused unopened.
    public static let applicationID: Int32 = 0x5452_544B

    /// Makes SQLite's process-wide settings before the process's first connection opens (no
    /// memory statistics: `CSQLiteConfig`); once SQLite is in use it changes nothing. `init`
    /// calls it; a tool that opens SQLite itself before any store (the benchmark's raw side)
    /// calls it first, so that both run with the same settings. SPI: for Benchmarks/ only.
    @_spi(Benchmarks) public static func configureSQLite() { _ = sqliteConfigured }
    private static let sqliteConfigured: Int32 = trialtrack_sqlite_configure()

    /// Opens (creating if needed) and migrates the database at `path`.
    public init(path: String, configuration: StoreConfiguration = StoreConfiguration()) throws {
        Self.configureSQLite()
        self.path = path
        self.configuration = configuration
        var config = Configuration()
        config.busyMode = .timeout(configuration.busyTimeout)
        config.maximumReaderCount = configuration.maximumReaderCount
        config.label = "trialtrack"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = \(-configuration.cacheKibibytes)")
            try db.execute(sql: "PRAGMA mmap_size = \(configuration.mmapBytes)")
            // Debian builds SQLite with SECURE_DELETE on: every freed page zeroed and written
            // to the log again, every deleted row overwritten. The store never deletes from
            // the log, and what it deletes from the projections (a rebuild clears them; a
            // correction replaces rows) is derived from the log, which keeps all of it: there
            // is nothing to shred, so the store turns it off (a rebuild's clearing is the
            // faster for it: benchmarks/README.md).
            try db.execute(sql: "PRAGMA secure_delete = OFF")
        }
        // Nothing is written before the file has been checked through a read-only connection
        // (`Admission`), nor by the pool's opening (`WALProbe`).
        let migrator = Migrator()
        try Admission(migrator: migrator).check(path: path, busyTimeout: configuration.busyTimeout)
        let probeHold = try WALProbe.avert(path: path, busyTimeout: configuration.busyTimeout)
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch let e as DatabaseError {
            throw StoreError.database("cannot open \(path): \(e.message ?? e.description)")
        }
        withExtendedLifetime(probeHold) {}
        writer = WriterState(
            cacheCapacity: configuration.foldCacheCapacity, aliasCacheCapacity: configuration.aliasCacheCapacity,
            newTrialsNeedRegistration: configuration.newTrialsNeedRegistration)
        try pool.writeWithoutTransaction { try Self.makeDurable($0) }
        try migrator.migrate(pool)
        try Self.backfillTerms(pool)
        checkpointer =
            configuration.backgroundCheckpoints
            ? try Checkpointer(
                path: path, threshold: configuration.checkpointPages, limit: configuration.checkpointLimitPages,
                busyTimeout: configuration.busyTimeout,
                onFailure: configuration.onCheckpointFailure) : nil
        try pool.writeWithoutTransaction { db in
            try writer.load(db)
            checkpointer?.attach(to: db)
        }
    }

    deinit { stopCheckpoints() }

    /// What the checkpoints have done; nil with `backgroundCheckpoints` off (SQLite's own run
    /// in the commits, unrecorded).
    public var checkpointStatus: CheckpointStatus? { checkpointer?.status }

    /// Sets the writer's connection to sync the log on every commit, and checks that it does.
    /// `prepareDatabase` is not enough: GRDB's DatabasePool sets `synchronous = NORMAL` on its
    /// writer after that hook has run, when it turns WAL on, and NORMAL commits without a sync
    /// (a power cut could lose acknowledged events).
    static func makeDurable(_ db: Database) throws {
        try db.execute(sql: "PRAGMA synchronous = \(durableSynchronous)")
        let level = try Int.fetchOne(db, sql: "PRAGMA synchronous")
        guard level == durableSynchronous else {
            throw StoreError.database(
                "the database connection refused synchronous=FULL (it reports \(level.map(String.init) ?? "nothing")): commits would not be durable"
            )
        }
    }

    private let stopping = NSLock()
    private var checkpointsStopped = false

    private func stopCheckpoints() {
        stopping.lock()
        defer { stopping.unlock() }
        guard let checkpointer, !checkpointsStopped else { return }
        checkpointsStopped = true
        pool.writeWithoutTransaction { db in Checkpointer.detach(from: db) }
        checkpointer.stop()
    }

    /// Copies the whole WAL into the database file and empties it, then closes the
    /// connections: after a clean close the database file alone holds everything (GRDB closes
    /// the writer before its readers, so SQLite's own checkpoint on close never happens).
    /// The store is unusable afterwards.
    public func close() throws {
        stopCheckpoints()
        try? pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try pool.close()
    }

    /// Appends one event. Throws `AppendError` when it is refused.
    @discardableResult
    public func append(_ event: NewEvent, recordedBy: String) throws -> AppendOutcome {
        switch try append(groups: [[event]], recordedBy: recordedBy)[0] {
        case .success(let outcomes): return outcomes[0]
        case .failure(let e): throw e.error
        }
    }

    /// Appends groups of events in one transaction (one fsync): each group is all or nothing,
    /// and a refused group does not stop the others. `recordedBy` applies to every group.
    public func append(groups: [[NewEvent]], recordedBy: String) throws -> [Result<[AppendOutcome], GroupError>] {
        try append(groups: groups.map { ($0, recordedBy) })
    }

    /// Appends groups from several writers in one transaction (group commit).
    public func append(groups: [(events: [NewEvent], recordedBy: String)]) throws -> [Result<
        [AppendOutcome], GroupError
    >] {
        do {
            return try pool.writeWithoutTransaction { db in
                try writer.append(groups, db: db, clock: configuration.clock)
            }
        } catch let e as DatabaseError {
            throw StoreError.database(e.message ?? e.description)
        }
    }
}

/// What an append did: the event as recorded and the trial's state after it.
public struct AppendOutcome: Equatable, Sendable {
    public var event: RecordedEvent
    /// The trial after the append.
    public var trial: TrialSummary
    /// True when the event id had been appended before with the same content: nothing new was
    /// written, and this is the first result.
    public var replayed: Bool
}
