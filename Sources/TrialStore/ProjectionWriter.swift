import GRDB
import TrialDomain

/// Writes a trial's fold into the projection tables: only what changed since `old`.
enum ProjectionWriter {
    static let projectionTables = ["trials", "registrations", "trial_aliases", "timeline", "expectations"]

    /// - Parameters:
    ///   - old: the trial's fold before the append (nil for a trial not yet in the tables).
    ///   - appendedInOrder: `new` is `old` with one fact applied in world order, so the timeline
    ///     only gained what `new.timeline` holds beyond `old.timeline`, and expectations kept
    ///     their positions. Otherwise the trial's timeline and expectations are rewritten.
    ///   - trialRow: write the `trials` row now; the writer passes false and writes each
    ///     trial's row once per transaction instead (`writeTrialRow`).
    static func write(old: TrialFold?, new: TrialFold, appendedInOrder: Bool, trialRow: Bool = true, db: Database) throws {
        let s = new.summary
        let registration = s.registration
        if trialRow { try writeTrialRow(s, db) }

        // Registration and aliases change only with registrations (or for a new trial).
        if old == nil || old!.summary.registration != registration {
            if let registration {
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO registrations (trial, registration) VALUES (?, ?)")
                    .execute(arguments: [s.key, registration.json.canonicalText])
            } else if old != nil {
                try db.cachedStatement(sql: "DELETE FROM registrations WHERE trial = ?").execute(arguments: [s.key])
            }
            try writeAliases(old: old?.summary.aliases ?? [], new: new.summary.aliases, trial: s.key, db)
        }

        if let old, appendedInOrder {
            for e in new.timeline.dropFirst(old.timeline.count) { try insert(e, trial: s.key, db) }
            for (i, x) in new.expectations.enumerated() where i >= old.expectations.count || old.expectations[i] != x {
                try insert(x, trial: s.key, db)
            }
        } else {
            if old != nil {
                try db.cachedStatement(sql: "DELETE FROM timeline WHERE trial = ?").execute(arguments: [s.key])
                try db.cachedStatement(sql: "DELETE FROM expectations WHERE trial = ?").execute(arguments: [s.key])
            }
            for e in new.timeline { try insert(e, trial: s.key, db) }
            for x in new.expectations { try insert(x, trial: s.key, db) }
        }
    }

    /// Upserts the trial's `trials` row (its registration lives in `registrations`).
    static func writeTrialRow(_ summary: TrialSummary, _ db: Database) throws {
        var s = summary
        let registration = s.registration
        s.registration = nil
        var upsert = try RawStatement(db, """
            INSERT INTO trials (trial, acronym, title, sponsor, phases, status, status_since, last_milestone, next_expected, version, last_seq, summary)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (trial) DO UPDATE SET acronym = excluded.acronym, title = excluded.title, sponsor = excluded.sponsor,
                phases = excluded.phases, status = excluded.status, status_since = excluded.status_since,
                last_milestone = excluded.last_milestone, next_expected = excluded.next_expected, version = excluded.version,
                last_seq = excluded.last_seq, summary = excluded.summary
            """)
        upsert.bind(s.key)
        upsert.bind(registration?.acronym)
        upsert.bind(registration?.title)
        upsert.bind(registration?.sponsor)
        upsert.bind((registration?.phases ?? []).map { $0.rawValue }.joined(separator: ","))
        upsert.bind(s.status?.rawValue)
        upsert.bind(s.statusSince?.description)
        upsert.bind(s.lastMilestone.map { "\($0.type.rawValue) \($0.occurred)" })
        upsert.bind(s.nextExpected.map { "\($0.milestone) \($0.window)" })
        upsert.bind(s.version)
        upsert.bind(s.lastSeq)
        upsert.bind(s.json.canonicalText)
        try upsert.run()
    }

    static func writeAliases(old: [(registry: String, id: String)], new: [(registry: String, id: String)], trial: String, _ db: Database) throws {
        let before = Dictionary(old.map { ($0.id.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.map { ($0.id.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        for (alias, a) in after where before[alias].map({ $0 != a }) ?? true {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO trial_aliases (alias, trial, registry, id) VALUES (?, ?, ?, ?)")
                .execute(arguments: [alias, trial, a.registry, a.id])
        }
        for alias in before.keys where after[alias] == nil {
            try db.cachedStatement(sql: "DELETE FROM trial_aliases WHERE alias = ? AND trial = ?").execute(arguments: [alias, trial])
        }
    }

    static func insert(_ e: TimelineEntry, trial: String, _ db: Database) throws {
        // The payload is the event's own unless corrected: it is read from `events` then.
        var stmt = try RawStatement(db, "INSERT OR REPLACE INTO timeline (trial, seq, type, occurred, sort_key, entry, corrected_payload) VALUES (?, ?, ?, ?, ?, ?, ?)")
        stmt.bind(trial)
        stmt.bind(e.seq)
        stmt.bind(e.type.rawValue)
        stmt.bind(e.occurred.description)
        stmt.bind(sortKey(e.occurred, e.seq))
        stmt.bind(e.json(withPayload: false).canonicalText)
        stmt.bind(e.correctedBy == nil ? nil : e.payload.json.canonicalText)
        try stmt.run()
    }

    static func insert(_ x: Expectation, trial: String, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO expectations (seq, trial, milestone, window, window_start, window_end, state, entry)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                x.seq, trial, x.milestone.description, x.window.description, x.window.start.description,
                x.window.end.description, x.state.rawValue, x.json.canonicalText,
            ])
    }

    /// World order as text: window start, window end, seq.
    static func sortKey(_ occurred: PartialDate, _ seq: Int64) -> String {
        let s = String(seq)
        return occurred.sortKey + "/" + String(repeating: "0", count: max(0, 19 - s.count)) + s
    }

    /// Empties every projection table (the log is untouched).
    static func clear(_ db: Database) throws {
        for t in projectionTables { try db.execute(sql: "DELETE FROM \(t)") }
    }
}
