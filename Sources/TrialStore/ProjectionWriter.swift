import GRDB
import TrialDomain

/// Writes a trial's fold into the projection tables: only what changed since `old`.
enum ProjectionWriter {
    static let projectionTables = ["trials", "trial_aliases", "timeline", "expectations"]

    /// - Parameter appendedInOrder: the new fold is `old` plus one fact applied in world order,
    ///   so earlier timeline entries are unchanged.
    static func write(old: TrialFold?, new: TrialFold, appendedInOrder: Bool, db: Database) throws {
        let s = new.summary
        try db.cachedStatement(sql: """
            INSERT INTO trials (trial, acronym, title, sponsor, phases, status, status_since, last_milestone, next_expected, version, last_seq, summary)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (trial) DO UPDATE SET acronym = excluded.acronym, title = excluded.title, sponsor = excluded.sponsor,
                phases = excluded.phases, status = excluded.status, status_since = excluded.status_since,
                last_milestone = excluded.last_milestone, next_expected = excluded.next_expected, version = excluded.version,
                last_seq = excluded.last_seq, summary = excluded.summary
            """).execute(arguments: [
                s.key, s.acronym, s.title, s.registration?.sponsor, s.phases.map(\.rawValue).joined(separator: ","),
                s.status?.rawValue, s.statusSince?.description,
                s.lastMilestone.map { "\($0.type.rawValue) \($0.occurred)" },
                s.nextExpected.map { "\($0.milestone) \($0.window)" },
                s.version, s.lastSeq, s.json.canonicalText,
            ])

        // Aliases.
        let oldAliases = Dictionary(old?.summary.aliases.map { ($0.id.lowercased(), $0) } ?? [], uniquingKeysWith: { a, _ in a })
        let newAliases = Dictionary(s.aliases.map { ($0.id.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        for (alias, a) in newAliases where oldAliases[alias] == nil || oldAliases[alias]! != a {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO trial_aliases (alias, trial, registry, id) VALUES (?, ?, ?, ?)")
                .execute(arguments: [alias, s.key, a.registry, a.id])
        }
        for alias in oldAliases.keys where newAliases[alias] == nil {
            try db.cachedStatement(sql: "DELETE FROM trial_aliases WHERE alias = ? AND trial = ?").execute(arguments: [alias, s.key])
        }

        // Timeline.
        let oldTimeline = old?.timeline ?? []
        if appendedInOrder, new.timeline.count >= oldTimeline.count {
            for e in new.timeline[oldTimeline.count...] { try upsert(e, trial: s.key, db) }
        } else {
            let before = Dictionary(oldTimeline.map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a })
            var kept = Set<Int64>()
            for e in new.timeline {
                kept.insert(e.seq)
                if before[e.seq] != e { try upsert(e, trial: s.key, db) }
            }
            for e in oldTimeline where !kept.contains(e.seq) {
                try db.cachedStatement(sql: "DELETE FROM timeline WHERE trial = ? AND seq = ?").execute(arguments: [s.key, e.seq])
            }
        }

        // Expectations.
        let oldExpected = Dictionary((old?.expectations ?? []).map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a })
        var keptExpected = Set<Int64>()
        for x in new.expectations {
            keptExpected.insert(x.seq)
            if oldExpected[x.seq] != x { try upsert(x, trial: s.key, db) }
        }
        for seq in oldExpected.keys where !keptExpected.contains(seq) {
            try db.cachedStatement(sql: "DELETE FROM expectations WHERE seq = ?").execute(arguments: [seq])
        }
    }

    static func upsert(_ e: TimelineEntry, trial: String, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO timeline (trial, seq, type, occurred, sort_key, entry) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [trial, e.seq, e.type.rawValue, e.occurred.description, sortKey(e.occurred, e.seq), e.json.canonicalText])
    }

    static func upsert(_ x: Expectation, trial: String, _ db: Database) throws {
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
