import GRDB

/// One projection table's insert, described once: its columns and what a conflicting key does.
/// The appender binds one row a statement; a rebuild binds many (`BulkInsert`).
struct ProjectionInsert {
    let table: String
    let columns: [String]
    /// `OR REPLACE`, or empty.
    let or: String
    /// An `ON CONFLICT …` clause, or empty.
    let upsert: String

    /// `INSERT … VALUES (?, …)` with `rows` rows of placeholders.
    func sql(rows: Int) -> String {
        let conflict = upsert.isEmpty ? "" : " " + upsert
        return
            "INSERT \(or.isEmpty ? "" : or + " ")INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(values(rows))\(conflict)"
    }

    /// `INSERT OR FAIL … VALUES` with `rows` rows, for tables being filled from empty, where
    /// every key comes once. Not `OR REPLACE`, nor the default `ABORT`: either makes SQLite
    /// keep a statement journal for a statement of several rows (a copy of every page it
    /// touches that the transaction had dirtied already, which a rebuild's reused pages all
    /// are); a key written twice fails the rebuild instead of passing unseen.
    func fillSQL(rows: Int) -> String {
        "INSERT OR FAIL INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(values(rows))"
    }

    private func values(_ rows: Int) -> String {
        let one = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return Array(repeating: one, count: rows).joined(separator: ", ")
    }

    static let trials: ProjectionInsert = {
        let columns = [
            "trial", "acronym", "title", "sponsor", "phases", "status", "status_since", "last_milestone",
            "next_expected",
            "version", "last_seq", "summary",
        ]
        let set = columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return ProjectionInsert(
            table: "trials", columns: columns, or: "", upsert: "ON CONFLICT (trial) DO UPDATE SET \(set)")
    }()
    static let timeline = ProjectionInsert(
        table: "timeline",
        columns: ["trial", "seq", "window_start", "window_end", "corrected_by", "corrected_payload"],
        or: "OR REPLACE", upsert: "")
    static let expectations = ProjectionInsert(
        table: "expectations",
        columns: ["seq", "trial", "milestone", "window", "window_start", "window_end", "state", "entry"],
        or: "OR REPLACE", upsert: "")
    static let registrations = ProjectionInsert(
        table: "registrations", columns: ["trial", "registration"], or: "OR REPLACE", upsert: "")
    static let aliases = ProjectionInsert(
        table: "trial_aliases", columns: ["alias", "trial", "registry", "id"], or: "OR REPLACE", upsert: "")
    static let terms = ProjectionInsert(
        table: "trial_terms", columns: ["trial", "kind", "term"], or: "OR REPLACE", upsert: "")
}

/// Rows of one table inserted `width` to a statement, in the order given.
///
/// A rebuild writes more rows than events; with one statement a row SQLite spent about as
/// much setting each statement up and tearing it down as inserting the row (callgrind, in a
/// C program on the same table: benchmarks/README.md).
/// Rows wait here until `width` of them fill a statement; `flush` writes the rest one by one.
struct BulkInsert<Row> {
    private let one, many: Statement
    private let width: Int
    private let bind: (inout RawStatement, Row) -> Void
    private var pending: [Row] = []

    init(_ db: Database, _ insert: ProjectionInsert, width: Int, bind: @escaping (inout RawStatement, Row) -> Void)
        throws
    {
        one = try db.cachedStatement(sql: insert.fillSQL(rows: 1))
        many = try db.cachedStatement(sql: insert.fillSQL(rows: width))
        self.width = width
        self.bind = bind
        pending.reserveCapacity(width)
    }

    mutating func add(_ row: Row) throws {
        pending.append(row)
        if pending.count == width {
            var st = RawStatement(many)
            for r in pending { bind(&st, r) }
            try st.run()
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// Writes the rows still waiting.
    mutating func flush() throws {
        for r in pending {
            var st = RawStatement(one)
            bind(&st, r)
            try st.run()
        }
        pending.removeAll(keepingCapacity: true)
    }
}

/// The rebuild's writer: trials not yet in the tables, every table's rows `width` to a
/// statement. `finish` writes what is still waiting; the tables are complete only after it.
struct BulkProjectionWriter {
    private var trials: BulkInsert<TrialRow>
    private var registrations: BulkInsert<(trial: String, json: [UInt8])>
    private var aliases: BulkInsert<(trial: String, alias: AliasRow)>
    private var terms: BulkInsert<(trial: String, term: TermRow)>
    private var timeline: BulkInsert<(trial: String, row: TimelineRow)>
    private var expectations: BulkInsert<(trial: String, row: ExpectationRow)>

    init(_ db: Database, width: Int = 32) throws {
        trials = try BulkInsert(db, .trials, width: width, bind: ProjectionWriter.bind)
        registrations = try BulkInsert(db, .registrations, width: width, bind: ProjectionWriter.bind)
        aliases = try BulkInsert(db, .aliases, width: width, bind: ProjectionWriter.bind)
        terms = try BulkInsert(db, .terms, width: width, bind: ProjectionWriter.bind)
        timeline = try BulkInsert(db, .timeline, width: width, bind: ProjectionWriter.bind)
        expectations = try BulkInsert(db, .expectations, width: width, bind: ProjectionWriter.bind)
    }

    mutating func write(_ rows: TrialRows) throws {
        let key = rows.key
        if let row = rows.trial { try trials.add(row) }
        if let r = rows.registration { try registrations.add((key, r)) }
        for a in rows.aliases { try aliases.add((key, a)) }
        for t in rows.terms { try terms.add((key, t)) }
        for r in rows.timeline { try timeline.add((key, r)) }
        for r in rows.expectations { try expectations.add((key, r)) }
    }

    mutating func finish() throws {
        try trials.flush()
        try registrations.flush()
        try aliases.flush()
        try terms.flush()
        try timeline.flush()
        try expectations.flush()
    }
}
