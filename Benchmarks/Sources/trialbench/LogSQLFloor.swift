import ArgumentParser
import Foundation
import GRDBSQLite
import TrialDomain
@_spi(Benchmarks) import TrialStore

/// The log's own SQL alone: what SQLite costs for the rows trialtrack writes, without any of
/// trialtrack's own work.
///
/// The rows the store wrote in the batched run are read back from its file before the clock
/// starts and written, with the writer's very statements (`WriterSQL`) and the C API, into an
/// empty database made by the same migrations (so with the gapless and append-only
/// triggers), in transactions of the same events: each event's row and timeline row, its
/// expectation, a registration's row and aliases (each alias looked up first, as the writer
/// checks it names no other trial), each trial's `trials` row once per transaction, the event
/// counts and the trial count. What this leaves out is trialtrack's domain work (the fold,
/// the JSON, the hash chain, the checks); what it cannot reproduce exactly: each trial's
/// `trials` row and expectations are written in their final form, and an expectation the
/// writer rewrote when it was met is written once.
///
/// So the batched figure sits between two baselines: raw SQLite (a bare table of the log's
/// size) and this one (the schema's SQL). The gap to raw is the schema's, the gap to this one
/// trialtrack's.
struct LogSQLFloor {
    /// A value of a column as read, bound as it was read.
    enum Value {
        case null, int(Int64), text(String), blob([UInt8])
    }

    typealias Row = [Value]

    /// One event's rows.
    struct Event {
        let values: Row
        let trial: String
        /// The trial key's look-up key, as the writer looks it up (`TrialReference.lookupKey`).
        let lookup: String
        let type: String
        let first: Bool
        var timeline: Row?
        var expectation: Row?
        var registration: Row?
        var aliases: [Row] = []
    }

    let events: [Event]
    let trials: [String: Row]
    /// Each table read, and its rows.
    let sourceCounts: [(table: String, rows: Int)]

    /// Reads every row of the store's file at `path`, each table's columns in the order its
    /// insert binds them (`WriterSQL.columns`).
    init(reading path: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            throw RawSQLite.RawError(message: "open \(path)")
        }
        defer { sqlite3_close(db) }
        var counts: [(String, Int)] = []
        /// Calls `each` with every row of `table` and a function that finds a column's value.
        func rows(_ table: String, orderedBy order: String? = nil, _ each: (Row, (String) -> Value) -> Void) throws {
            let columns = WriterSQL.columns[table]!
            let sql =
                "SELECT \(columns.joined(separator: ", ")) FROM \(table)" + (order.map { " ORDER BY \($0)" } ?? "")
            var stmt: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else {
                throw RawSQLite.RawError(message: String(cString: sqlite3_errmsg(db)))
            }
            defer { sqlite3_finalize(stmt) }
            var n = 0
            while sqlite3_step(stmt) == SQLITE_ROW {
                n += 1
                let row: Row = (0..<sqlite3_column_count(stmt)).map { c in
                    switch sqlite3_column_type(stmt, c) {
                    case SQLITE_NULL: .null
                    case SQLITE_INTEGER: .int(sqlite3_column_int64(stmt, c))
                    case SQLITE_BLOB:
                        .blob(
                            Array(
                                UnsafeRawBufferPointer(
                                    start: sqlite3_column_blob(stmt, c), count: Int(sqlite3_column_bytes(stmt, c)))))
                    default: .text(String(cString: sqlite3_column_text(stmt, c)))
                    }
                }
                each(row) { row[columns.firstIndex(of: $0)!] }
            }
            counts.append((table, n))
        }
        func text(_ v: Value) -> String { if case .text(let s) = v { s } else { "" } }
        func int(_ v: Value) -> Int64 { if case .int(let n) = v { n } else { 0 } }

        var events: [Event] = []
        var firstOf: [String: Int] = [:]
        try rows("events", orderedBy: "seq") { r, column in
            let trial = text(column("trial")), first = int(column("version")) == 1
            if first { firstOf[trial] = events.count }
            events.append(
                Event(
                    values: r, trial: trial, lookup: (try? TrialReference(trial).lookupKey) ?? trial,
                    type: text(column("type")), first: first))
        }
        // Every other row goes with the event that wrote it: by seq, or a trial's first event.
        func index(_ seq: Value) -> Int? { int(seq) >= 1 && int(seq) <= events.count ? Int(int(seq) - 1) : nil }
        try rows("timeline") { r, column in if let i = index(column("seq")) { events[i].timeline = r } }
        try rows("expectations") { r, column in if let i = index(column("seq")) { events[i].expectation = r } }
        try rows("registrations") { r, column in
            if let i = firstOf[text(column("trial"))] { events[i].registration = r }
        }
        try rows("trial_aliases") { r, column in
            if let i = firstOf[text(column("trial"))] { events[i].aliases.append(r) }
        }
        var trials: [String: Row] = [:]
        try rows("trials") { r, column in trials[text(column("trial"))] = r }
        self.events = events
        self.trials = trials
        self.sourceCounts = counts
    }

    /// What a diagnostic run may leave out, to see what each costs (`--floor-omit`).
    enum Part: String, CaseIterable, ExpressibleByArgument {
        /// The gapless trigger on `events`.
        case trigger
        /// The `timeline` rows.
        case timeline
        /// The `trials` rows.
        case trials
        /// The `expectations` rows (a forecast's).
        case expectations
        /// The `registrations` rows (a trial's first event's).
        case registrations
        /// The `trial_aliases` rows and the look-ups before them (the trial's key, then each
        /// identifier it brings).
        case aliases
        /// The `event_counts` and `trial_count` updates, once per transaction.
        case counts

        /// The tables this part fills (left out of the row check when the part is).
        var tables: [String] {
            switch self {
            case .trigger: []
            case .timeline, .trials, .expectations, .registrations: [rawValue]  // named as their tables
            case .aliases: ["trial_aliases"]
            case .counts: ["event_counts", "trial_count"]
            }
        }
    }

    /// Writes every row into an empty database of the log's schema at `path`, `batch` events
    /// per transaction (but the parts `omitting` names); returns events/s.
    func write(to path: String, batch: Int, omitting: Set<Part> = []) throws -> Double {
        try EventStore(path: path).close()  // the schema, by the migrations
        let raw = try RawSQLite(path: path)  // the same pragmas as the raw side
        defer { raw.close() }
        var prepared: [OpaquePointer?] = []
        defer { for p in prepared { sqlite3_finalize(p) } }
        func statement(_ sql: String) throws -> OpaquePointer? {
            prepared.append(try raw.prepare(sql))
            return prepared.last!
        }
        let insertEvent = try statement(WriterSQL.insertEvent), lookUp = try statement(WriterSQL.lookUpAlias)
        let timeline = try statement(WriterSQL.insertTimeline), expectation = try statement(WriterSQL.insertExpectation)
        let registration = try statement(WriterSQL.upsertRegistration), alias = try statement(WriterSQL.upsertAlias)
        let trialRow = try statement(WriterSQL.upsertTrial)
        let eventCount = try statement(WriterSQL.addEventCount), trialCount = try statement(WriterSQL.addTrials)
        let transient = raw.transient
        /// Binds every parameter of `stmt` from `values` and steps it once (a look-up's row is
        /// not read: the writer reads it, but that is not SQLite's cost).
        func run(_ stmt: OpaquePointer?, _ values: Row) throws {
            guard sqlite3_bind_parameter_count(stmt) == Int32(values.count) else {
                throw RawSQLite.RawError(
                    message:
                        "\(values.count) values for \(sqlite3_bind_parameter_count(stmt)) parameters of \(String(cString: sqlite3_sql(stmt)))"
                )
            }
            for (i, v) in values.enumerated() {
                let n = Int32(i + 1)
                switch v {
                case .null: sqlite3_bind_null(stmt, n)
                case .int(let x): sqlite3_bind_int64(stmt, n, x)
                case .text(let s): sqlite3_bind_text(stmt, n, s, -1, transient)
                case .blob(let b): sqlite3_bind_blob(stmt, n, b, Int32(b.count), transient)
                }
            }
            let rc = sqlite3_step(stmt)
            sqlite3_reset(stmt)
            guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
                throw RawSQLite.RawError(message: String(cString: sqlite3_errmsg(raw.db)))
            }
        }

        if omitting.contains(.trigger) { try raw.exec("DROP TRIGGER events_gapless") }
        let start = now()
        var from = 0
        while from < events.count {
            let to = min(from + batch, events.count)
            try raw.exec("BEGIN IMMEDIATE")
            var touched: [String] = []
            var seen = Set<String>()
            var counts: [String: Int64] = [:]
            var newTrials: Int64 = 0
            for e in events[from..<to] {
                if e.first { newTrials += 1 }
                if e.first, !omitting.contains(.aliases) {
                    // The writer looks up the event's trial, then each identifier it brings.
                    try run(lookUp, [.text(e.lookup)])
                    for a in e.aliases { try run(lookUp, [a[0]]) }  // the alias, its first column
                }
                try run(insertEvent, e.values)
                if !omitting.contains(.timeline), let t = e.timeline { try run(timeline, t) }
                if !omitting.contains(.expectations), let x = e.expectation { try run(expectation, x) }
                if !omitting.contains(.registrations), let r = e.registration { try run(registration, r) }
                if !omitting.contains(.aliases) { for a in e.aliases { try run(alias, a) } }
                if seen.insert(e.trial).inserted { touched.append(e.trial) }
                counts[e.type, default: 0] += 1
            }
            if !omitting.contains(.trials) { for t in touched { if let row = trials[t] { try run(trialRow, row) } } }
            if !omitting.contains(.counts) {
                for (type, n) in counts { try run(eventCount, [.text(type), .int(n)]) }
                if newTrials > 0 { try run(trialCount, [.int(newTrials)]) }
            }
            try raw.exec("COMMIT")
            from = to
        }
        let rate = Double(events.count) / (now() - start)
        try checkSameRows(raw, omitting: omitting)
        return rate
    }

    /// Every table holds as many rows as the store's did: nothing was left out of the figure.
    private func checkSameRows(_ raw: RawSQLite, omitting: Set<Part>) throws {
        // The tables of a part left out are not compared.
        let skipped = Set(omitting.flatMap(\.tables))
        for (table, n) in sourceCounts where !skipped.contains(table) {
            let stmt = try raw.prepare("SELECT COUNT(*) FROM \(table)")
            defer { sqlite3_finalize(stmt) }
            guard sqlite3_step(stmt) == SQLITE_ROW, sqlite3_column_int64(stmt, 0) == n else {
                throw RawSQLite.RawError(
                    message:
                        "the log's own SQL wrote \(sqlite3_column_int64(stmt, 0)) rows into \(table), the store \(n)")
            }
        }
    }
}
