import GRDB
import GRDBSQLite
import TrialDomain

/// Filters for reading the log.
public struct LogQuery: Sendable, Equatable {
    /// Only this trial (any of its identifiers).
    public var trial: String?
    /// Only events with seq greater than this.
    public var afterSeq: Int64 = 0
    /// Only these types (all when empty).
    public var types: [EventType] = []
    /// At most this many events.
    public var limit: Int = 100
    /// Only events of the trials it lets through.
    public var filter = TrialFilter()

    public init(
        trial: String? = nil, afterSeq: Int64 = 0, types: [EventType] = [], limit: Int = 100,
        filter: TrialFilter = TrialFilter()
    ) {
        self.trial = trial
        self.afterSeq = afterSeq
        self.types = types
        self.limit = limit
        self.filter = filter
    }
}

/// A point in time to look at the trials from.
public struct PointInTime: Sendable, Equatable {
    /// World time: only facts that had certainly happened by the end of this day (their whole
    /// `occurred` window lies on or before it). Corrections apply whenever they were recorded.
    public var asOf: Day?
    /// Recording time: only what the log held at this instant, corrections included.
    public var knownAt: Timestamp?

    public init(asOf: Day? = nil, knownAt: Timestamp? = nil) {
        self.asOf = asOf
        self.knownAt = knownAt
    }

    public var isNow: Bool { asOf == nil && knownAt == nil }

    func includes(_ e: RecordedEvent) -> Bool {
        if let k = knownAt, e.recorded > k { return false }
        if let d = asOf, !e.type.isAmendment, e.occurred.end > d { return false }
        return true
    }
}

extension EventStore {
    static func resolve(_ db: Database, _ reference: String) throws -> String? {
        let stmt = try db.cachedStatement(sql: "SELECT trial FROM trial_aliases WHERE alias = ?")
        let trimmed = (try? TrialReference(reference).lookupKey) ?? reference.lowercased()
        return try String.fetchOne(stmt, arguments: [trimmed])
    }

    static func closestTrialName(_ db: Database, to reference: String) throws -> String? {
        let lookup = (try? TrialReference(reference).lookupKey) ?? reference.lowercased()
        guard let first = lookup.unicodeScalars.first, let next = Unicode.Scalar(first.value + 1) else { return nil }
        let stmt = try db.cachedStatement(sql: "SELECT id FROM trial_aliases WHERE alias >= ? AND alias < ? LIMIT 5000")
        let names = try String.fetchAll(stmt, arguments: [String(first), String(next)])
        return Suggestion.closest(to: reference, among: names)
    }

    static func view(_ db: Database, key: String) throws -> TrialView? {
        guard let summary = try summary(db, key: key) else { return nil }
        let timeline = try timelineEntries(db, key: key)
        let expectations = try String.fetchAll(
            db.cachedStatement(sql: "SELECT entry FROM expectations WHERE trial = ? ORDER BY seq"), arguments: [key]
        ).map { try decodeProjection($0) { try Expectation(json: $0) } }
        return TrialView(summary: summary, timeline: timeline, expectations: expectations)
    }

    /// The trial's timeline in world order: each row's event, with the correction's payload
    /// in place of its own. The query's first columns are `EventRows.foldColumns`.
    static func timelineEntries(_ db: Database, key: String) throws -> [TimelineEntry] {
        var entries: [TimelineEntry] = []
        var statement = RawStatement(
            try db.cachedStatement(
                sql: """
                    SELECT e.seq, e.trial, e.version, e.type, e.occurred, e.source, COALESCE(t.corrected_payload, e.payload), t.corrected_by
                    FROM timeline t JOIN events e ON e.seq = t.seq
                    WHERE t.trial = ? ORDER BY t.window_start, t.window_end, t.seq
                    """))
        statement.bind(key)
        try statement.forEachRow { row in
            let e: RecordedEvent
            do { e = try EventRows.decode(row, forFold: true) } catch {
                throw StoreError.database(
                    "the timeline entry of seq \(sqlite3_column_int64(row, 0)) cannot be read (\(error)); run `trialctl rebuild`"
                )
            }
            entries.append(
                TimelineEntry(
                    seq: e.seq, occurred: e.occurred, payload: e.payload, source: e.source,
                    correctedBy: sqlite3_column_type(row, 7) == SQLITE_NULL ? nil : sqlite3_column_int64(row, 7)))
        }
        return entries
    }

    /// The projections' columns a summary is made of (`summary(_:)`), from `trials t`.
    static let summarySelect = "SELECT t.summary, r.registration FROM trials t LEFT JOIN registrations r USING (trial)"

    /// One trial's summary now, from the projections; nil when no trial has that key.
    static func summary(_ db: Database, key: String) throws -> TrialSummary? {
        try Row.fetchOne(db.cachedStatement(sql: summarySelect + " WHERE t.trial = ?"), arguments: [key]).map(summary)
    }

    /// A summary from a row of `summarySelect`.
    static func summary(_ row: Row) throws -> TrialSummary {
        var summary = try decodeProjection(row[0] as String) { try TrialSummary(json: $0) }
        if let r = row[1] as String? { summary.registration = try decodeProjection(r) { try Registered(json: $0) } }
        return summary
    }

    static func decodeProjection<T>(_ text: String, _ decode: (JSONValue) throws -> T) throws -> T {
        do { return try decode(try JSONValue.parse(text)) } catch {
            throw StoreError.database("a projection row cannot be read (\(error)); run `trialctl rebuild`")
        }
    }

    /// The order trials are listed in: by acronym, else key, ignoring case; then by key.
    static let listOrder = "ORDER BY COALESCE(t.acronym, t.trial) COLLATE NOCASE, t.trial"

    /// The trial as it stood at `point`, folded from its events in the log; nil when it had no
    /// facts yet then.
    static func pastView(_ db: Database, key: String, at point: PointInTime) throws -> TrialView? {
        let events = try EventRows.trialEvents(db, trial: key).filter(point.includes)
        guard events.contains(where: { !$0.type.isAmendment }) else { return nil }
        return (try? TrialFold.fold(key: key, events: events, lenient: true))?.view
    }

    /// Streams the log trial by trial (memory: one trial's events at a time); `forFold`: only
    /// what a fold reads (`EventRows.foldColumns`).
    /// `trials`: only the trials whose keys lie in this range (a rebuild's reader's share).
    static func forEachTrial(
        _ db: Database, forFold: Bool = false, detail: PayloadDetail = .full, trials: TrialKeyRange = TrialKeyRange(),
        _ body: (String, [RecordedEvent]) throws -> Void
    ) throws {
        var current: String?
        var batch: [RecordedEvent] = []
        var rest = "FROM events"
        let bounds = [trials.from.map { ("trial >= ?", $0) }, trials.before.map { ("trial < ?", $0) }].compactMap { $0 }
        if !bounds.isEmpty { rest += " WHERE " + bounds.map(\.0).joined(separator: " AND ") }
        rest += " ORDER BY trial, version"
        let bind: (inout RawStatement) -> Void = { st in for (_, key) in bounds { st.bind(key) } }
        try EventRows.forEach(db, rest, forFold: forFold, detail: detail, bind) { e in
            if e.trial != current {
                if let c = current { try body(c, batch) }
                current = e.trial
                batch.removeAll(keepingCapacity: true)
            }
            batch.append(consume e)  // moved, not copied: the last use
        }
        if let c = current { try body(c, batch) }
    }

}

/// An expected milestone on the calendar, with its trial.
public struct UpcomingMilestone: Equatable, Sendable {
    public var trial: String
    /// The acronym, else the key.
    public var name: String
    public var expectation: Expectation

    public var json: JSONValue {
        let x = expectation
        var o = JSONObject()
        o["trial"] = .string(trial)
        o["name"] = .string(name)
        o["seq"] = .int(x.seq)
        o["milestone"] = .string(x.milestone.description)
        o["window"] = .string(x.window.description)
        o["windowStart"] = .string(x.window.start.description)
        o["windowEnd"] = .string(x.window.end.description)
        o["state"] = .string(x.state.rawValue)
        o["madeOn"] = .string(x.madeOn.description)
        if let s = x.source { o["source"] = .string(s) }
        return .object(o)
    }
}

extension EventStore {
    static let upcomingSelect =
        "SELECT x.trial, COALESCE(t.acronym, x.trial), x.entry FROM expectations x JOIN trials t USING (trial)"

    /// The WHERE and ORDER BY of `upcoming`, with their arguments.
    static func upcomingFilter(_ db: Database, within days: Int?, all: Bool, today: Day, trials: TrialFilter)
        throws -> (String, StatementArguments)
    {
        var sql = " WHERE 1"
        var args: [any DatabaseValueConvertible] = []
        if !all { sql += " AND x.state IN ('pending', 'overdue')" }
        if let days {
            sql += " AND x.window_start <= ?"
            args.append(today.adding(days: days).description)
        }
        let f = try FilterSQL(trials, trial: "x.trial", db)
        sql += f.conditions
        args += f.arguments
        return (sql + " ORDER BY x.window_start, x.window_end, x.seq", StatementArguments(args))
    }

    static func upcomingMilestone(_ row: Row) throws -> UpcomingMilestone {
        UpcomingMilestone(
            trial: row[0], name: row[1],
            expectation: try decodeProjection(row[2] as String) { try Expectation(json: $0) })
    }
}

extension EventStore {
    static func keptTrialCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count FROM trial_count") ?? 0
    }
}

/// Trial keys from `from` (included) to `before` (excluded); nil: no bound on that side.
struct TrialKeyRange: Sendable {
    var from: String?
    var before: String?
}
