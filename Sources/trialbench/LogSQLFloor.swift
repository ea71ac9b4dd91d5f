import ArgumentParser
import Foundation
import GRDBSQLite
import TrialStore

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

    /// Reads every row of the store's file at `path`.
    init(reading path: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw RawSQLite.RawError(message: "open \(path)") }
        defer { sqlite3_close(db) }
        var counts: [(String, Int)] = []
        func rows(_ sql: String, _ each: (Row) -> Void) throws {
            let words = sql.split(separator: " ")
            counts.append((String(words[words.firstIndex(of: "FROM")! + 1]), 0))
            var stmt: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else { throw RawSQLite.RawError(message: String(cString: sqlite3_errmsg(db))) }
            defer { sqlite3_finalize(stmt) }
            while sqlite3_step(stmt) == SQLITE_ROW {
                counts[counts.count - 1].1 += 1
                each((0..<sqlite3_column_count(stmt)).map { c in
                    switch sqlite3_column_type(stmt, c) {
                    case SQLITE_NULL: .null
                    case SQLITE_INTEGER: .int(sqlite3_column_int64(stmt, c))
                    case SQLITE_BLOB: .blob(Array(UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt, c), count: Int(sqlite3_column_bytes(stmt, c)))))
                    default: .text(String(cString: sqlite3_column_text(stmt, c)))
                    }
                })
            }
        }
        func text(_ v: Value) -> String { if case .text(let s) = v { s } else { "" } }
        func int(_ v: Value) -> Int64 { if case .int(let n) = v { n } else { 0 } }

        var events: [Event] = []
        var firstOf: [String: Int] = [:]
        try rows("SELECT seq, event_id, trial, version, type, occurred, recorded, recorded_by, source, payload, hash FROM events ORDER BY seq") { r in
            let trial = text(r[2]), first = int(r[3]) == 1
            if first { firstOf[trial] = events.count }
            events.append(Event(values: r, trial: trial, type: text(r[4]), first: first))
        }
        func index(_ seq: Int64) -> Int? { seq >= 1 && seq <= events.count ? Int(seq - 1) : nil }
        try rows("SELECT trial, seq, window_start, window_end, corrected_by, corrected_payload FROM timeline") { r in
            if let i = index(int(r[1])) { events[i].timeline = r }
        }
        try rows("SELECT seq, trial, milestone, window, window_start, window_end, state, entry FROM expectations") { r in
            if let i = index(int(r[0])) { events[i].expectation = r }
        }
        try rows("SELECT trial, registration FROM registrations") { r in
            if let i = firstOf[text(r[0])] { events[i].registration = r }
        }
        try rows("SELECT alias, trial, registry, id FROM trial_aliases") { r in
            if let i = firstOf[text(r[1])] { events[i].aliases.append(r) }
        }
        var trials: [String: Row] = [:]
        try rows("SELECT trial, acronym, title, sponsor, phases, status, status_since, last_milestone, next_expected, version, last_seq, summary FROM trials") { r in
            trials[text(r[0])] = r
        }
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
    }

    /// Writes every row into an empty database of the log's schema at `path`, `batch` events
    /// per transaction (but the parts `omitting` names); returns events/s.
    func write(to path: String, batch: Int, omitting: Set<Part> = []) throws -> Double {
        try EventStore(path: path).close()  // the schema, by the migrations
        let raw = try RawSQLite(path: path)  // the same pragmas as the raw side
        defer { raw.close() }
        let statements = try [WriterSQL.insertEvent, WriterSQL.lookUpAlias, WriterSQL.insertTimeline, WriterSQL.insertExpectation,
                              WriterSQL.upsertRegistration, WriterSQL.upsertAlias, WriterSQL.upsertTrial, WriterSQL.addEventCount,
                              WriterSQL.addTrials].map(raw.prepare)
        defer { for s in statements { sqlite3_finalize(s) } }
        let (insertEvent, lookUp, timeline, expectation, registration, alias, trialRow, eventCount, trialCount) =
            (statements[0], statements[1], statements[2], statements[3], statements[4], statements[5], statements[6], statements[7], statements[8])
        let transient = raw.transient
        func run(_ stmt: OpaquePointer?, _ values: Row, expecting code: Int32 = SQLITE_DONE) throws {
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
            guard rc == code || rc == SQLITE_DONE else { throw RawSQLite.RawError(message: String(cString: sqlite3_errmsg(raw.db))) }
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
                if e.first {
                    // The writer looks up the event's trial, then each identifier it brings.
                    try run(lookUp, [.text(e.trial.lowercased())], expecting: SQLITE_ROW)
                    for a in e.aliases { try run(lookUp, [a[0]], expecting: SQLITE_ROW) }
                    newTrials += 1
                }
                try run(insertEvent, e.values)
                if !omitting.contains(.timeline), let t = e.timeline { try run(timeline, t) }
                if let x = e.expectation { try run(expectation, x) }
                if let r = e.registration { try run(registration, r) }
                for a in e.aliases { try run(alias, a) }
                if seen.insert(e.trial).inserted { touched.append(e.trial) }
                counts[e.type, default: 0] += 1
            }
            if !omitting.contains(.trials) { for t in touched { if let row = trials[t] { try run(trialRow, row) } } }
            for (type, n) in counts { try run(eventCount, [.text(type), .int(n)]) }
            if newTrials > 0 { try run(trialCount, [.int(newTrials)]) }
            try raw.exec("COMMIT")
            from = to
        }
        let rate = Double(events.count) / (now() - start)
        try checkSameRows(raw, omitting: omitting)
        return rate
    }

    /// Every table holds as many rows as the store's did: nothing was left out of the figure.
    private func checkSameRows(_ raw: RawSQLite, omitting: Set<Part>) throws {
        for (table, n) in sourceCounts where Part(rawValue: table).map({ !omitting.contains($0) }) ?? true {
            let stmt = try raw.prepare("SELECT COUNT(*) FROM \(table)")
            defer { sqlite3_finalize(stmt) }
            guard sqlite3_step(stmt) == SQLITE_ROW, sqlite3_column_int64(stmt, 0) == n else {
                throw RawSQLite.RawError(message: "the log's own SQL wrote \(sqlite3_column_int64(stmt, 0)) rows into \(table), the store \(n)")
            }
        }
    }
}
