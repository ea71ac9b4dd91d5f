import Foundation
import GRDB
import GRDBSQLite
import TrialDomain

// The store's reads (`StoreRead`), one per question trialsd and the tools ask: each is one
// read transaction. `EventStore` has a blocking method of the same name for each.

extension StoreRead where Value == String? {
    /// The trial's stream key for any identifier, acronym or key (case-insensitive).
    public static func resolve(_ reference: String) -> Self {
        Self { db in try EventStore.resolve(db, reference) }
    }

    /// The name of a trial closest to a reference no trial goes by ("did you mean …?"): among
    /// the names (keys, identifiers, acronyms) that begin as it does, at most 5,000 of them, so
    /// that a typo costs a bounded read however many trials the log holds.
    public static func closestTrialName(to reference: String) -> Self {
        Self { db in try EventStore.closestTrialName(db, to: reference) }
    }
}

extension StoreRead where Value == TrialView? {
    /// One trial now, from the projections, or as it stood at a point in time, folded from the
    /// log; nil when no trial has that name, or it had no facts yet then.
    public static func status(_ reference: String, at point: PointInTime = PointInTime()) -> Self {
        Self { db in
            guard let key = try EventStore.resolve(db, reference) else { return nil }
            return point.isNow ? try EventStore.view(db, key: key) : try EventStore.pastView(db, key: key, at: point)
        }
    }
}

extension StoreRead where Value == [TrialView?] {
    /// `status` of each reference, in the order given, from one snapshot.
    public static func statuses(_ references: [String], at point: PointInTime = PointInTime()) -> Self {
        Self { store, db in try references.map { try StoreRead<TrialView?>.status($0, at: point).body(store, db) } }
    }
}

extension StoreRead where Value == [TrialSummary] {
    /// Every trial that `filter` lets through, now (from the projections) or as it stood at a
    /// point in time, ordered by name: by acronym, else key, ignoring case; then by key (the
    /// name each has now, the order `Status` pages them in). The filter looks at the trials as
    /// they are now.
    public static func trials(at point: PointInTime = PointInTime(), filter: TrialFilter = TrialFilter()) -> Self {
        Self { store, db in
            guard point.isNow else {
                let keys = try StoreRead<[String]>.trialKeys(filter: filter).body(store, db)
                return try trials(keys: keys, at: point).body(store, db)
            }
            let f = try FilterSQL(filter, trial: "t.trial", db)
            return try Row.fetchAll(
                db, sql: "\(EventStore.summarySelect) WHERE 1\(f.conditions) \(EventStore.listOrder)",
                arguments: StatementArguments(f.arguments)
            ).map(EventStore.summary)
        }
    }

    /// The trials with these keys, in the order given, as they are now or as they stood at
    /// `point`; a key no trial has (any more), or a trial with no facts yet at `point`, is left out.
    public static func trials(keys: some Collection<String> & Sendable, at point: PointInTime = PointInTime()) -> Self {
        Self { db in
            try keys.compactMap { key in
                point.isNow
                    ? try EventStore.summary(db, key: key) : try EventStore.pastView(db, key: key, at: point)?.summary
            }
        }
    }
}

extension StoreRead where Value == [String] {
    /// Every trial's key that `filter` lets through, in the order `trials` lists them: a
    /// listing too large for one reply is made a page of keys at a time (`trials(keys:at:)`),
    /// so that no side holds every trial at once.
    public static func trialKeys(filter: TrialFilter = TrialFilter()) -> Self {
        Self { db in
            let f = try FilterSQL(filter, trial: "t.trial", db)
            return try String.fetchAll(
                db, sql: "SELECT t.trial FROM trials t WHERE 1\(f.conditions) \(EventStore.listOrder)",
                arguments: StatementArguments(f.arguments))
        }
    }
}

extension StoreRead where Value == Set<String> {
    /// Which of these trials (by key) `filter` lets through now: a subscription's filter,
    /// judged for the trials of each batch it is sent.
    public static func matching(_ trials: some Collection<String> & Sendable, filter: TrialFilter) -> Self {
        Self { db in
            var matched = Set<String>()
            let keys = Array(trials)
            let f = try FilterSQL(filter, trial: "t.trial", checksOnly: true, db)
            for start in stride(from: 0, to: keys.count, by: 500) {
                let chunk = keys[start..<min(start + 500, keys.count)]
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let rows = try String.fetchAll(
                    db, sql: "SELECT t.trial FROM trials t WHERE t.trial IN (\(marks))\(f.conditions)",
                    arguments: StatementArguments(chunk.map { $0 as any DatabaseValueConvertible } + f.arguments))
                matched.formUnion(rows)
            }
            return matched
        }
    }
}

extension StoreRead where Value == [RecordedEvent]? {
    /// Events in seq order; nil when `query.trial` names no trial.
    public static func events(_ query: LogQuery) -> Self {
        Self { db in
            var sql = "SELECT \(EventRows.columns) FROM events WHERE seq > ?"
            var args: [any DatabaseValueConvertible] = [query.afterSeq]
            if let t = query.trial {
                guard let key = try EventStore.resolve(db, t) else { return nil }
                sql += " AND trial = ?"
                args.append(key)
            }
            if !query.types.isEmpty {
                sql += " AND type IN (\(query.types.map { _ in "?" }.joined(separator: ",")))"
                args.append(contentsOf: query.types.map(\.rawValue))
            }
            let f = try FilterSQL(query.filter, trial: "events.trial", ordered: true, db)
            sql += f.conditions
            args += f.arguments
            sql += " ORDER BY seq LIMIT ?"
            args.append(max(0, query.limit))
            let statement = try db.makeStatement(sql: sql)
            try statement.setArguments(StatementArguments(args))
            var out: [RecordedEvent] = []
            try EventRows.forEach(statement) { e in out.append(consume e) }
            return out
        }
    }
}

extension StoreRead where Value == RecordedEvent? {
    /// One event by its seq.
    public static func event(seq: Int64) -> Self { Self { db in try EventRows.event(db, seq: seq) } }
}

extension StoreRead where Value == Int64 {
    /// The highest seq in the log (0 when empty): also its size, the log being gapless from 1.
    public static var lastSeq: Self {
        Self { db in try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(seq), 0) FROM events") ?? 0 }
    }
}

extension StoreRead where Value == Int {
    /// How many trials the projections hold (a count of the `trials` table).
    public static var trialCount: Self { Self { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trials") ?? 0 } }

    /// How many trials the committed log holds, as the writer keeps count in `trial_count`
    /// (one more for each trial's first event; set by a rebuild): one row to read, for a line
    /// that is made often (trialsd's STATUS=, with every watchdog ping), where a count of the
    /// table reads all of it (benchmarks/README.md, "Counts kept by the writer").
    public static var knownTrialCount: Self { Self { db in try EventStore.keptTrialCount(db) } }
}

extension StoreRead where Value == [UpcomingMilestone] {
    /// Expected milestones in window order: the open ones (pending or overdue) whose window
    /// starts by `today + within` days (all of them when `within` is nil); with `all`, met and
    /// superseded ones too.
    public static func upcoming(within days: Int?, all: Bool, today: Day, filter trials: TrialFilter = TrialFilter())
        -> Self
    {
        Self { db in
            let (filter, args) = try EventStore.upcomingFilter(db, within: days, all: all, today: today, trials: trials)
            return try Row.fetchAll(db, sql: EventStore.upcomingSelect + filter, arguments: args)
                .map(EventStore.upcomingMilestone)
        }
    }

    /// The expected milestones of these seqs, in the order given; one no longer there is left out.
    public static func upcoming(seqs: some Collection<Int64> & Sendable) -> Self {
        Self { db in
            let statement = try db.cachedStatement(sql: EventStore.upcomingSelect + " WHERE x.seq = ?")
            return try seqs.compactMap { seq in
                try Row.fetchOne(statement, arguments: [seq]).map(EventStore.upcomingMilestone)
            }
        }
    }
}

extension StoreRead where Value == [Int64] {
    /// The seqs of what `upcoming` lists, in its order: a calendar too large for one reply is
    /// made a page at a time (`upcoming(seqs:)`), as `trialKeys` pages trials.
    public static func upcomingSeqs(
        within days: Int?, all: Bool, today: Day, filter trials: TrialFilter = TrialFilter()
    )
        -> Self
    {
        Self { db in
            let (filter, args) = try EventStore.upcomingFilter(db, within: days, all: all, today: today, trials: trials)
            return try Int64.fetchAll(db, sql: "SELECT x.seq FROM expectations x" + filter, arguments: args)
        }
    }
}

/// A forecast still pending whose window has ended: its trial, its seq, its window.
public typealias OverdueCandidate = (trial: String, seq: Int64, window: String)

extension StoreRead where Value == [OverdueCandidate] {
    /// Forecasts still pending whose window ended before `today`, in seq order.
    public static func overdueCandidates(today: Day) -> Self {
        Self { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT trial, seq, window FROM expectations WHERE state = 'pending' AND window_end < ? ORDER BY seq",
                arguments: [today.description]
            ).map { ($0[0], $0[1], $0[2]) }
        }
    }
}

extension StoreRead where Value == [Follow] {
    /// The follows, in the order they were made: the active ones, or with `includeRemoved`
    /// every row (unfollowed ones and those a later follow replaced too).
    public static func follows(includeRemoved: Bool = false) -> Self {
        Self { db in try EventStore.readFollows(db, where: includeRemoved ? "1" : "f.removed_at IS NULL", []) }
    }
}

extension StoreRead where Value == VerifyReport {
    /// Walks the hash chain from seq 1 and reports the first broken link: a changed, missing
    /// or inserted event. Also checks that the append-only triggers are in place.
    public static var verify: Self { Self { db in try EventStore.verify(db) } }
}

extension StoreRead where Value == StoreStats {
    /// Counts and sizes: the log's, the projections', the files', the follows' and the
    /// checkpoints'.
    public static var stats: Self {
        Self { store, db in
            // Kept by the writer (`event_counts`): a count of the log itself would read all of it.
            let byType = try Row.fetchAll(db, sql: "SELECT type, count FROM event_counts WHERE count > 0")
            // The log is gapless from seq 1 (the events_gapless trigger): its last seq is its size.
            let lastSeq = try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(seq), 0) FROM events") ?? 0
            let byState = try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM expectations GROUP BY state")
            let fm = FileManager.default
            func size(_ p: String) -> Int64 {
                ((try? fm.attributesOfItem(atPath: p))?[.size] as? NSNumber)?.int64Value ?? 0
            }
            // An aggregate without GROUP BY: always one row.
            let follows = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*), MIN(s.last_success_at), COUNT(*) - COUNT(s.last_success_at)
                    FROM follows f LEFT JOIN follow_sync s ON s.follow_id = f.id WHERE f.removed_at IS NULL
                    """)
            var stats = StoreStats(
                events: lastSeq,
                trials: Int64(try EventStore.keptTrialCount(db)),
                lastSeq: lastSeq,
                lastRecorded: try String.fetchOne(db, sql: "SELECT recorded FROM events ORDER BY seq DESC LIMIT 1"),
                eventsByType: Dictionary(uniqueKeysWithValues: byType.map { ($0[0] as String, $0[1] as Int64) }),
                expectationsByState: Dictionary(
                    uniqueKeysWithValues: byState.map { ($0[0] as String, $0[1] as Int64) }),
                databaseBytes: size(store.path), walBytes: size(store.path + "-wal"),
                schema: try String.fetchAll(db, sql: "SELECT identifier FROM schema_migrations ORDER BY identifier"),
                checkpoints: store.checkpointStatus)
            if let follows {
                stats.activeFollows = follows[0]
                if let text = follows[1] as String? {
                    do { stats.oldestFollowSuccess = try Timestamp(parsing: text) } catch {
                        throw StoreError.database("a follow's last_success_at '\(text)' is not a time")
                    }
                }
                stats.followsNeverSynced = follows[2]
            }
            return stats
        }
    }
}

extension StoreRead where Value == ExportPage {
    /// The export's lines of the events after seq `after` up to seq `end`, at most `limit`
    /// (`export(since:to:)` reads its pages the same way).
    public static func exportPage(after: Int64, through end: Int64, limit: Int = 1_000) -> Self {
        Self { db in
            var page = ExportPage(lines: [], lastSeq: after)
            guard after < end else { return page }
            var w = JSONWriter(capacity: 4096)
            var st = RawStatement(
                try db.cachedStatement(
                    sql: "SELECT \(EventRows.columns) FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?"))
            st.bind(after)
            st.bind(end)
            st.bind(Int64(max(1, limit)))
            try st.forEachRow { row in
                w.reset()
                _ = EventStore.writeLine(row, to: &w)
                page.lines.append(String(decoding: w.bytes, as: UTF8.self))
                page.lastSeq = sqlite3_column_int64(row, 0)
            }
            return page
        }
    }
}
