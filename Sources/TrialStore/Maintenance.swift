import Foundation
import GRDB
import TrialDomain

/// What `verify` found.
public struct VerifyReport: Equatable, Sendable {
    /// Events whose chain link was checked.
    public var checked: Int64
    /// The last seq and its hash: anchor these elsewhere to detect a truncated log.
    public var lastSeq: Int64
    public var headHash: String
    /// The first seq whose link is broken, if any.
    public var firstBroken: Int64?
    /// What is wrong, in one line; nil when the log is intact.
    public var problem: String?

    public var ok: Bool { problem == nil }
}

/// What `rebuild` did.
public struct RebuildReport: Equatable, Sendable {
    public var trials: Int
    public var events: Int64
    public var seconds: Double
}

/// Figures about the store.
public struct StoreStats: Equatable, Sendable {
    public var events: Int64
    public var trials: Int64
    public var lastSeq: Int64
    public var lastRecorded: String?
    public var eventsByType: [String: Int64]
    public var expectationsByState: [String: Int64]
    public var databaseBytes: Int64
    public var walBytes: Int64
    public var schema: [String]
    public var checkpoints: CheckpointStatus?
    /// Trials and saved searches followed now (migration 0007).
    public var activeFollows: Int64 = 0
    /// The oldest last successful sync among the active follows that have had one; nil when
    /// none has. How stale the least recently synced follow is.
    public var oldestFollowSuccess: Timestamp?
    /// Active follows the sync has never succeeded on (they are older than any success).
    public var followsNeverSynced: Int64 = 0
}

extension EventStore {
    static let appendOnlyTriggers = ["events_no_update", "events_no_delete", "events_gapless", "events_no_replace"]

    /// `verify()` on any connection to a store's database: the live pool's readers, or a
    /// read-only connection to a copy (`backup(to:)` checks its copy with it before it
    /// reports success).
    static func verify(_ db: Database) throws -> VerifyReport {
        var report = VerifyReport(checked: 0, lastSeq: 0, headHash: hexString(SHA256Digest.zero))
        let triggers = try Set(
            String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"))
        let missing = Self.appendOnlyTriggers.filter { !triggers.contains($0) }
        var previous = SHA256Digest.zero
        let hasher = ChainHasher()
        var expected: Int64 = 1
        let cursor = try Row.fetchCursor(db, sql: "SELECT \(EventRows.columns) FROM events ORDER BY seq")
        while let row = try cursor.next() {
            let seq: Int64 = row[0]
            func broken(_ why: String) {
                report.firstBroken = seq
                report.problem = "seq \(seq): \(why)"
            }
            if seq != expected {
                report.firstBroken = expected
                report.problem = "seq \(expected) is missing (the next event is seq \(seq))"
                break
            }
            let typeName: String = row[4]
            let occurredText: String = row[5], recordedText: String = row[6]
            guard let type = EventType.named(typeName), (try? PartialDate(parsing: occurredText)) != nil,
                (try? Timestamp(parsing: recordedText)) != nil
            else {
                broken("the row is malformed")
                break
            }
            let content = RecordedEvent.hashedContent(
                seq: seq, id: row[1], trial: row[2], version: row[3], type: type, occurredText: occurredText,
                recordedText: recordedText, recordedBy: row[7], source: row[8], payloadText: row[9])
            let hash = hasher.link(previous: previous, content: content)
            guard let stored = row[10] as Data?, [UInt8](stored) == hash else {
                broken("the hash does not match the content: the event was changed after it was written")
                break
            }
            previous = hash
            report.checked += 1
            report.lastSeq = seq
            expected += 1
        }
        report.headHash = hexString(previous)
        if report.problem == nil, !missing.isEmpty {
            report.problem =
                "append-only trigger\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) missing: the log is not protected"
        }
        return report
    }

    /// Drops the projections and rebuilds them from the log, in one transaction.
    ///
    /// Three threads share the work: two readers, each on a connection of its own and with
    /// half of the trials (`readerRanges`), stream the log trial by trial, fold each trial and
    /// serialise its rows (decoding is most of a replay's cost), while the writer connection
    /// clears the tables and binds the rows as they come, a chunk from each reader in turn. The
    /// secondary indexes are dropped for the fill and made again at the end, in the same
    /// transaction (`ProjectionWriter.dropSecondaryIndexes`). The readers start after the
    /// writer holds the write lock, so they see exactly the log the rebuild is for.
    @discardableResult
    public func rebuild() throws -> RebuildReport {
        let start = Timestamp.now()
        return try pool.writeWithoutTransaction { db in
            rebuildMonitor.begin()
            defer { rebuildMonitor.end() }
            // The projections are derived: a power cut during a rebuild may lose the rebuild
            // (the transaction rolls back, the old projections stay), never the log. NORMAL
            // keeps WAL consistent and spares an fsync of the whole rewrite.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            let filled: (trials: Int, events: Int64)
            do {
                filled = try fill(db)
            } catch {
                try? Self.makeDurable(db)  // the rebuild's own error is the one to report
                throw error
            }
            writer.forget()
            // Durable again before the next append, and said so if the connection refuses.
            try Self.makeDurable(db)
            let seconds = Double(Timestamp.now().microseconds - start.microseconds) / 1e6
            return RebuildReport(trials: filled.trials, events: filled.events, seconds: seconds)
        }
    }

    /// The rebuild's transaction: clears the projections and writes them again from the log;
    /// returns how many trials and events it wrote.
    private func fill(_ db: Database) throws -> (trials: Int, events: Int64) {
        var trials = 0
        var events: Int64 = 0
        try db.inTransaction(.immediate) {
            let pipes = startReaders(
                ranges: try Self.readerRanges(db, events: writer.lastSeq, splitFrom: configuration.rebuildSplitEvents))
            defer { for p in pipes { p.cancelAndWait() } }  // never leave a reader running
            try ProjectionWriter.clear(db)
            let secondary = try ProjectionWriter.dropSecondaryIndexes(db)
            var projections = try BulkProjectionWriter(db, width: max(1, configuration.rebuildRowsPerStatement))
            // A chunk from each reader in turn: each fills its own stretch of every table,
            // in key order.
            var open = pipes, next = 0
            var counts: [EventType: Int64] = [:]
            while !open.isEmpty {
                next %= open.count
                guard let chunk = try open[next].take() else {
                    counts.merge(open[next].counts, uniquingKeysWith: +)
                    open.remove(at: next)
                    continue
                }
                for (rows, count) in chunk {
                    try projections.write(rows)
                    trials += 1
                    events += Int64(count)
                }
                rebuildMonitor.wrote(trials: trials)
                next += 1
            }
            try projections.finish()
            try ProjectionWriter.addEventCounts(counts, db)
            try ProjectionWriter.setTrials(trials, db)
            for sql in secondary { try db.execute(sql: sql) }
            return .commit
        }
        return (trials, events)
    }

    /// The rebuild's readers' shares of the trials: the log split in two at the trial key of
    /// its middle event (one share when it has fewer than `splitFrom` events), so that decoding
    /// and folding, most of a rebuild's work, run on two threads beside the writer. A share
    /// may be empty (one trial holds the first half of the log): its reader just finishes.
    static func readerRanges(_ db: Database, events: Int64, splitFrom: Int64) throws -> [TrialKeyRange] {
        guard events > 0, events >= splitFrom,
            let middle = try String.fetchOne(
                db, sql: "SELECT trial FROM events ORDER BY trial, version LIMIT 1 OFFSET ?", arguments: [events / 2])
        else { return [TrialKeyRange()] }
        return [TrialKeyRange(before: middle), TrialKeyRange(from: middle)]
    }

    /// Starts a reader thread per range: each streams its trials from the log on a connection
    /// of its own, folds each trial and serialises its rows into its pipe. They start while
    /// the caller holds the write lock, so all of them see exactly the log the rebuild is for.
    private func startReaders(ranges: [TrialKeyRange]) -> [FoldPipe] {
        let pool = self.pool
        return ranges.enumerated().map { n, range in
            let pipe = FoldPipe(capacity: 8)
            let reader = Thread {
                do {
                    var counts: [EventType: Int64] = [:]
                    try pool.read { rdb in
                        var chunk: FoldPipe.Chunk = []
                        try Self.forEachTrial(rdb, forFold: true, detail: .lifecycle, trials: range) { key, history in
                            for e in history { counts[e.type, default: 0] += 1 }
                            let fold =
                                (try? TrialFold.fold(key: key, events: history, lenient: true)) ?? TrialFold(key: key)
                            chunk.append((TrialRows(fold), history.count))
                            if chunk.count == FoldPipe.chunkSize {
                                try pipe.put(chunk)
                                chunk.removeAll(keepingCapacity: true)
                            }
                        }
                        if !chunk.isEmpty { try pipe.put(chunk) }
                    }
                    pipe.finish(nil, counts: counts)
                } catch {
                    pipe.finish(error)
                }
            }
            reader.name = "trialtrack-rebuild-reader-\(n + 1)"
            reader.start()
            return pipe
        }
    }

    /// How far the running rebuild has got; nil when none runs.
    public var rebuildProgress: RebuildProgress? { rebuildMonitor.progress }
}
