import GRDB
import TrialDomain

/// Writes a trial's fold into the projection tables: only what changed since `old`.
///
/// Made once per transaction (append batch or rebuild) on the writer's connection: it holds
/// that connection's prepared statements and one reusable JSON buffer, and binds rows with
/// the C API (`RawStatement`), so a row costs an insert and no allocations beyond its text.
struct ProjectionWriter {
    static let projectionTables = ["trials", "registrations", "trial_aliases", "timeline", "expectations"]

    private let upsertTrial, insertTimeline, deleteTimeline, insertExpectation, deleteExpectations: Statement
    private let upsertRegistration, deleteRegistration, upsertAlias, deleteAlias: Statement
    private var json = JSONWriter(capacity: 1024)
    private var key: [UInt8] = []

    init(_ db: Database) throws {
        upsertTrial = try db.cachedStatement(sql: """
            INSERT INTO trials (trial, acronym, title, sponsor, phases, status, status_since, last_milestone, next_expected, version, last_seq, summary)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (trial) DO UPDATE SET acronym = excluded.acronym, title = excluded.title, sponsor = excluded.sponsor,
                phases = excluded.phases, status = excluded.status, status_since = excluded.status_since,
                last_milestone = excluded.last_milestone, next_expected = excluded.next_expected, version = excluded.version,
                last_seq = excluded.last_seq, summary = excluded.summary
            """)
        insertTimeline = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO timeline (trial, seq, type, occurred, sort_key, entry, corrected_payload) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        deleteTimeline = try db.cachedStatement(sql: "DELETE FROM timeline WHERE trial = ?")
        insertExpectation = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO expectations (seq, trial, milestone, window, window_start, window_end, state, entry)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        deleteExpectations = try db.cachedStatement(sql: "DELETE FROM expectations WHERE trial = ?")
        upsertRegistration = try db.cachedStatement(sql: "INSERT OR REPLACE INTO registrations (trial, registration) VALUES (?, ?)")
        deleteRegistration = try db.cachedStatement(sql: "DELETE FROM registrations WHERE trial = ?")
        upsertAlias = try db.cachedStatement(sql: "INSERT OR REPLACE INTO trial_aliases (alias, trial, registry, id) VALUES (?, ?, ?, ?)")
        deleteAlias = try db.cachedStatement(sql: "DELETE FROM trial_aliases WHERE alias = ? AND trial = ?")
    }

    /// - Parameters:
    ///   - old: the trial's fold before the append (nil for a trial not yet in the tables).
    ///   - appendedInOrder: `new` is `old` with one fact applied in world order, so the timeline
    ///     only gained what `new.timeline` holds beyond `old.timeline`, and expectations kept
    ///     their positions. Otherwise the trial's timeline and expectations are rewritten.
    ///   - trialRow: write the `trials` row now; the writer passes false and writes each
    ///     trial's row once per transaction instead (`writeTrialRow`).
    mutating func write(old: TrialFold?, new: TrialFold, appendedInOrder: Bool, trialRow: Bool = true) throws {
        let s = new.summary
        let registration = s.registration
        if trialRow { try writeTrialRow(s) }

        // Registration and aliases change only with registrations (or for a new trial).
        if old == nil || old!.summary.registration != registration {
            if let registration {
                var st = RawStatement(upsertRegistration)
                st.bind(s.key)
                json.reset()
                json.value(registration.json)
                st.bindText(json.bytes)
                try st.run()
            } else if old != nil {
                try run(deleteRegistration, s.key)
            }
            try writeAliases(old: old?.summary.aliases ?? [], new: new.summary.aliases, trial: s.key)
        }

        if let old, appendedInOrder {
            for e in new.timeline.dropFirst(old.timeline.count) { try insert(e, trial: s.key) }
            for (i, x) in new.expectations.enumerated() where i >= old.expectations.count || old.expectations[i] != x {
                try insert(x, trial: s.key)
            }
        } else {
            if old != nil {
                try run(deleteTimeline, s.key)
                try run(deleteExpectations, s.key)
            }
            for e in new.timeline { try insert(e, trial: s.key) }
            for x in new.expectations { try insert(x, trial: s.key) }
        }
    }

    /// Upserts the trial's `trials` row (its registration lives in `registrations`).
    mutating func writeTrialRow(_ s: TrialSummary) throws {
        let registration = s.registration
        var st = RawStatement(upsertTrial)
        st.bind(s.key)
        st.bind(registration?.acronym)
        st.bind(registration?.title)
        st.bind(registration?.sponsor)
        st.bind((registration?.phases ?? []).map { $0.rawValue }.joined(separator: ","))
        st.bind(s.status?.rawValue)
        st.bind(s.statusSince?.description)
        st.bind(s.lastMilestone.map { "\($0.type.rawValue) \($0.occurred)" })
        st.bind(s.nextExpected.map { "\($0.milestone) \($0.window)" })
        st.bind(s.version)
        st.bind(s.lastSeq)
        json.reset()
        s.write(withRegistration: false, to: &json)
        st.bindText(json.bytes)
        try st.run()
    }

    mutating func writeAliases(old: [(registry: String, id: String)], new: [(registry: String, id: String)], trial: String) throws {
        let before = Dictionary(old.map { ($0.id.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.map { ($0.id.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        for (alias, a) in after where before[alias].map({ $0 != a }) ?? true {
            var st = RawStatement(upsertAlias)
            st.bind(alias)
            st.bind(trial)
            st.bind(a.registry)
            st.bind(a.id)
            try st.run()
        }
        for alias in before.keys where after[alias] == nil {
            var st = RawStatement(deleteAlias)
            st.bind(alias)
            st.bind(trial)
            try st.run()
        }
    }

    mutating func insert(_ e: TimelineEntry, trial: String) throws {
        // The payload is the event's own unless corrected: it is read from `events` then.
        var st = RawStatement(insertTimeline)
        st.bind(trial)
        st.bind(e.seq)
        st.bind(e.type.rawValue)
        key.removeAll(keepingCapacity: true)
        e.occurred.write(to: &key)
        st.bindText(key)
        key.removeAll(keepingCapacity: true)
        Self.writeSortKey(e.occurred, e.seq, to: &key)
        st.bindText(key)
        json.reset()
        e.write(withPayload: false, to: &json)
        st.bindText(json.bytes)
        st.bind(e.correctedBy == nil ? nil : e.payload.json.canonicalText)
        try st.run()
    }

    mutating func insert(_ x: Expectation, trial: String) throws {
        var st = RawStatement(insertExpectation)
        st.bind(x.seq)
        st.bind(trial)
        st.bind(x.milestone.description)
        st.bind(x.window.description)
        key.removeAll(keepingCapacity: true)
        x.window.start.write(to: &key)
        st.bindText(key)
        key.removeAll(keepingCapacity: true)
        x.window.end.write(to: &key)
        st.bindText(key)
        st.bind(x.state.rawValue)
        json.reset()
        x.write(to: &json)
        st.bindText(json.bytes)
        try st.run()
    }

    private func run(_ statement: Statement, _ trial: String) throws {
        var st = RawStatement(statement)
        st.bind(trial)
        try st.run()
    }

    /// World order as text: window start, window end, seq (19 digits).
    static func sortKey(_ occurred: PartialDate, _ seq: Int64) -> String {
        var out: [UInt8] = []
        writeSortKey(occurred, seq, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func writeSortKey(_ occurred: PartialDate, _ seq: Int64, to out: inout [UInt8]) {
        occurred.start.write(to: &out)
        out.append(UInt8(ascii: "/"))
        occurred.end.write(to: &out)
        out.append(UInt8(ascii: "/"))
        JSONWriter.appendPadded(Int(seq), width: 19, to: &out)
    }

    /// Empties every projection table (the log is untouched).
    static func clear(_ db: Database) throws {
        for t in projectionTables { try db.execute(sql: "DELETE FROM \(t)") }
    }
}
