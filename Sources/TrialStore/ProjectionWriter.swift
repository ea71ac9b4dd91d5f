import GRDB
import TrialDomain

/// Writes a trial's fold into the projection tables: only what changed since `old`.
///
/// Made once per transaction (append batch or rebuild) on the writer's connection: it holds
/// that connection's prepared statements and binds rows (`ProjectionRows.swift`) with the C
/// API (`RawStatement`).
struct ProjectionWriter {
    static let projectionTables = [
        "trials", "registrations", "trial_aliases", "timeline", "expectations", "event_counts", "trial_count",
        "trial_terms",
    ]

    private let upsertTrial, insertTimeline, deleteTimeline, insertExpectation, deleteExpectations: Statement
    private let upsertRegistration, deleteRegistration, upsertAlias, deleteAlias: Statement
    private let insertTerm, deleteTerms: Statement

    init(_ db: Database) throws {
        upsertTrial = try db.cachedStatement(sql: WriterSQL.upsertTrial)
        insertTimeline = try db.cachedStatement(sql: WriterSQL.insertTimeline)
        deleteTimeline = try db.cachedStatement(sql: "DELETE FROM timeline WHERE trial = ?")
        insertExpectation = try db.cachedStatement(sql: WriterSQL.insertExpectation)
        deleteExpectations = try db.cachedStatement(sql: "DELETE FROM expectations WHERE trial = ?")
        upsertRegistration = try db.cachedStatement(sql: WriterSQL.upsertRegistration)
        deleteRegistration = try db.cachedStatement(sql: "DELETE FROM registrations WHERE trial = ?")
        upsertAlias = try db.cachedStatement(sql: WriterSQL.upsertAlias)
        deleteAlias = try db.cachedStatement(sql: "DELETE FROM trial_aliases WHERE alias = ? AND trial = ?")
        insertTerm = try db.cachedStatement(sql: ProjectionInsert.terms.sql(rows: 1))
        deleteTerms = try db.cachedStatement(sql: "DELETE FROM trial_terms WHERE trial = ?")
    }

    /// How `new` was made from `old`.
    enum Change {
        /// `old` with one fact applied in world order: the timeline only gained what
        /// `new.timeline` holds beyond `old.timeline`, and expectations kept their positions.
        case inOrder
        /// `old` with the fact `seq` merged among its recent facts (`TrialFold.merge`): the
        /// timeline gained that fact's entry at most (an entry depends on its fact alone), and
        /// expectations kept their positions (the new fact's seq is the greatest; forecasts are
        /// kept in seq order) though their states may have changed.
        case merged(seq: Int64)
        /// Refolded from the history: the trial's timeline and expectations are rewritten.
        case replayed
    }

    /// - Parameters:
    ///   - old: the trial's fold before the append (nil for a trial not yet in the tables).
    ///   - change: how `new` was made from `old`.
    ///
    /// The `trials` row is not written here: the writer writes each trial's row once per
    /// transaction (`writeTrialRow`), however many of its events the transaction holds.
    func write(old: TrialFold?, new: TrialFold, change: Change) throws {
        guard let old else {
            try write(TrialRows(new, trialRow: false))
            return
        }
        let s = new.summary

        // Registration and aliases change only with registrations.
        if !old.summary.hasSameRegistration(as: s) {
            if let registration = s.registration {
                try writeRegistration(registrationJSON(registration), trial: s.key)
            } else {
                try run(deleteRegistration, s.key)
            }
            try writeAliases(old: AliasRow.of(old.summary), new: AliasRow.of(s), trial: s.key)
            try writeTerms(TermRow.of(s), replacing: true, trial: s.key)
        }

        switch change {
        case .inOrder, .merged:
            if case .merged(let seq) = change {
                for e in new.timeline where e.seq == seq { try insert(TimelineRow(e), trial: s.key) }
            } else {
                for e in new.timeline.dropFirst(old.timeline.count) { try insert(TimelineRow(e), trial: s.key) }
            }
            for (i, x) in new.expectations.enumerated() where i >= old.expectations.count || old.expectations[i] != x {
                try insert(ExpectationRow(x), trial: s.key)
            }
        case .replayed:
            try run(deleteTimeline, s.key)
            try run(deleteExpectations, s.key)
            for e in new.timeline { try insert(TimelineRow(e), trial: s.key) }
            for x in new.expectations { try insert(ExpectationRow(x), trial: s.key) }
        }
    }

    /// Writes a trial not yet in the tables from its rows (a new trial, or a rebuild whose
    /// reader thread made them).
    func write(_ rows: TrialRows) throws {
        let key = rows.key
        if let row = rows.trial { try writeTrialRow(row) }
        if let r = rows.registration { try writeRegistration(r, trial: key) }
        try writeAliases(old: [], new: rows.aliases, trial: key)
        try writeTerms(rows.terms, replacing: false, trial: key)
        for row in rows.timeline { try insert(row, trial: key) }
        for row in rows.expectations { try insert(row, trial: key) }
    }

    /// Upserts the trial's `trials` row.
    func writeTrialRow(_ r: TrialRow) throws { try run(upsertTrial, r, Self.bind) }

    private func writeRegistration(_ json: [UInt8], trial: String) throws {
        try run(upsertRegistration, (trial, json), Self.bind)
    }

    func writeAliases(old: [AliasRow], new: [AliasRow], trial: String) throws {
        for a in new where !old.contains(a) { try run(upsertAlias, (trial, a), Self.bind) }
        for a in old where !new.contains(where: { $0.alias == a.alias }) {
            var st = RawStatement(deleteAlias)
            st.bind(a.alias)
            st.bind(trial)
            try st.run()
        }
    }

    /// Writes the trial's filter terms; `replacing`: after deleting those it had (a
    /// registration changes rarely, and a trial has a few dozen terms).
    func writeTerms(_ terms: [TermRow], replacing: Bool, trial: String) throws {
        if replacing { try run(deleteTerms, trial) }
        for t in terms { try run(insertTerm, (trial, t), Self.bind) }
    }

    func insert(_ r: TimelineRow, trial: String) throws { try run(insertTimeline, (trial, r), Self.bind) }

    func insert(_ r: ExpectationRow, trial: String) throws { try run(insertExpectation, (trial, r), Self.bind) }

    /// Binds one row with `bind` and runs the statement.
    private func run<Row>(_ statement: Statement, _ row: Row, _ bind: (inout RawStatement, Row) -> Void) throws {
        var st = RawStatement(statement)
        bind(&st, row)
        try st.run()
    }

    // Each row's values in the order of its `ProjectionInsert`'s columns.

    static func bind(_ st: inout RawStatement, _ r: TrialRow) {
        st.bind(r.key)
        st.bind(r.acronym)
        st.bind(r.title)
        st.bind(r.sponsor)
        st.bind(r.phases)
        st.bind(r.status)
        st.bind(r.statusSince)
        st.bind(r.lastMilestone)
        st.bind(r.nextExpected)
        st.bind(r.version)
        st.bind(r.lastSeq)
        st.bindText(r.summary)
    }

    static func bind(_ st: inout RawStatement, _ r: (trial: String, json: [UInt8])) {
        st.bind(r.trial)
        st.bindText(r.json)
    }

    static func bind(_ st: inout RawStatement, _ r: (trial: String, alias: AliasRow)) {
        st.bind(r.alias.alias)
        st.bind(r.trial)
        st.bind(r.alias.registry)
        st.bind(r.alias.id)
    }

    static func bind(_ st: inout RawStatement, _ r: (trial: String, term: TermRow)) {
        st.bind(r.trial)
        st.bind(r.term.kind)
        st.bind(r.term.term)
    }

    static func bind(_ st: inout RawStatement, _ r: (trial: String, row: TimelineRow)) {
        st.bind(r.trial)
        st.bind(r.row.seq)
        st.bind(r.row.windowStart)
        st.bind(r.row.windowEnd)
        st.bind(r.row.correctedBy)
        st.bind(r.row.correctedPayload)
    }

    static func bind(_ st: inout RawStatement, _ r: (trial: String, row: ExpectationRow)) {
        st.bind(r.row.seq)
        st.bind(r.trial)
        st.bind(r.row.milestone)
        st.bind(r.row.window)
        st.bindText(r.row.start)
        st.bindText(r.row.end)
        st.bind(r.row.state)
        st.bindText(r.row.entry)
    }

    private func run(_ statement: Statement, _ trial: String) throws {
        var st = RawStatement(statement)
        st.bind(trial)
        try st.run()
    }

    /// Drops the projection tables' secondary indexes and returns the SQL that makes them
    /// again, as the migrations wrote it (`sqlite_master`): a rebuild fills the tables
    /// without them, in its own transaction, and makes each index at the end in one sorted
    /// pass, instead of a B-tree insert at a random place per row.
    static func dropSecondaryIndexes(_ db: Database) throws -> [String] {
        let rows = try SQLRequest<Row>(
            literal: """
                SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN \(projectionTables) ORDER BY name
                """
        ).fetchAll(db)
        for row in rows { try db.execute(sql: "DROP INDEX \((row[0] as String).quotedDatabaseIdentifier)") }
        return rows.map { $0[1] }
    }

    /// Adds events of each type to `event_counts` (once per type per transaction).
    static func addEventCounts(_ counts: [EventType: Int64], _ db: Database) throws {
        guard !counts.isEmpty else { return }
        let statement = try db.cachedStatement(sql: WriterSQL.addEventCount)
        for (type, n) in counts {
            var st = RawStatement(statement)
            st.bind(type.rawValue)
            st.bind(n)
            try st.run()
        }
    }

    /// Adds `n` trials to `trial_count` (once per transaction).
    static func addTrials(_ n: Int, _ db: Database) throws {
        guard n != 0 else { return }
        var st = RawStatement(try db.cachedStatement(sql: WriterSQL.addTrials))
        st.bind(Int64(n))
        try st.run()
    }

    /// Sets `trial_count` (a rebuild, which counted them).
    static func setTrials(_ n: Int, _ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO trial_count (one, count) VALUES (1, ?)", arguments: [n])
    }

    /// Empties every projection table (the log is untouched).
    static func clear(_ db: Database) throws {
        for t in projectionTables { try db.execute(sql: "DELETE FROM \(t)") }
    }
}
