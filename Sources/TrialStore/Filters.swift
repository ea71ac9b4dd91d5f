import GRDB
import TrialDomain

/// A `TrialFilter` as SQL conditions on a trial key column, each read through an index
/// (`trial_terms`' `(kind, term)` index and its `(trial, kind, term)` key, `trials_status`,
/// `follows_active`, the aliases), so that a filtered listing costs what it lists rather than
/// the log's size.
///
/// One filter drives: its trials are found by an `IN (…)` of its index range, and the others
/// are checked for each of them by an `EXISTS (…)` on the trial's own rows. The driver is the
/// filter with the fewest trials, as a count of at most `probeLimit` index entries finds
/// (`NSCLC` has a few thousand trials, a sponsor a few dozen): made an `IN` too, a broad
/// filter would be listed whole into a temporary table before the narrow one could help.
///
/// A listing in an order of its own that is read a page at a time (Log: seq order, a limit)
/// asks for `ordered`: when even the narrowest filter reaches `probeLimit` trials, every
/// filter is an `EXISTS`, so that SQLite walks the listing in its order and stops at the
/// limit, instead of reading all events of thousands of trials to sort them.
struct FilterSQL {
    /// `AND …` conditions to append to a WHERE clause; empty for an empty filter.
    private(set) var conditions = ""
    private(set) var arguments: [any DatabaseValueConvertible] = []

    /// Index entries counted, at most, to choose the driving filter.
    static let probeLimit = 2_000

    /// One filter: the trials it lets through as a subquery, and as a check of one trial.
    private struct Part {
        var select: String
        var selectArguments: [String]
        /// `EXISTS (…)` of the trial in `column`.
        var exists: (String) -> String
        var existsArguments: [String]
    }

    /// `column` is qualified by its table (`events.trial`, `t.trial`): the checks' subqueries
    /// have a `trial` column of their own. `checksOnly`: the query has its few trials already
    /// (a subscription's batch), so each filter is a check of them and none is probed to drive.
    init(
        _ filter: TrialFilter, trial column: String, ordered: Bool = false, checksOnly: Bool = false,
        probeLimit: Int = FilterSQL.probeLimit, _ db: Database
    ) throws {
        var parts = Self.parts(filter)
        guard !parts.isEmpty else { return }
        if checksOnly {
            for p in parts { add(p.exists(column), p.existsArguments) }
            return
        }
        if parts.count > 1 || ordered {
            var counts: [Int] = []
            for p in parts {
                let sql = "SELECT COUNT(*) FROM (\(p.select) LIMIT \(probeLimit))"
                counts.append(try Int.fetchOne(db, sql: sql, arguments: StatementArguments(p.selectArguments)) ?? 0)
            }
            let driver = counts.indices.min { counts[$0] < counts[$1] }!
            parts.swapAt(0, driver)
            if ordered && counts[driver] >= probeLimit {
                for p in parts { add(p.exists(column), p.existsArguments) }
                return
            }
        }
        add("\(column) IN (\(parts[0].select))", parts[0].selectArguments)
        for p in parts.dropFirst() { add(p.exists(column), p.existsArguments) }
    }

    private mutating func add(_ condition: String, _ args: [String]) {
        conditions += " AND " + condition
        arguments += args as [any DatabaseValueConvertible]
    }

    private static func parts(_ filter: TrialFilter) -> [Part] {
        var parts: [Part] = []
        if !filter.statuses.isEmpty {
            let v = filter.statuses.map(\.rawValue), m = marks(v.count)
            parts.append(
                Part(
                    select: "SELECT trial FROM trials WHERE status IN (\(m))", selectArguments: v,
                    exists: { "EXISTS (SELECT 1 FROM trials s WHERE s.trial = \($0) AND s.status IN (\(m)))" },
                    existsArguments: v))
        }
        if !filter.phases.isEmpty {
            let v = filter.phases.map(\.rawValue), m = marks(v.count)
            parts.append(
                Part(
                    select: "SELECT trial FROM trial_terms WHERE kind = 'phase' AND term IN (\(m))", selectArguments: v,
                    exists: {
                        "EXISTS (SELECT 1 FROM trial_terms WHERE trial = \($0) AND kind = 'phase' AND term IN (\(m)))"
                    },
                    existsArguments: v))
        }
        for (kind, values) in filter.names where !values.isEmpty {
            // A name's words from some word on begin with the filter's words: the term is
            // those words, or they and a space and more. Normalised terms hold only letters,
            // digits and single spaces, so that is the key range [words, words + "!").
            let ranges = values.flatMap { v -> [String] in
                let w = TrialFilter.words(v); return [w, w + "!"]
            }
            let one = "SELECT trial FROM trial_terms WHERE kind = '\(kind.rawValue)' AND term >= ? AND term < ?"
            let any = Array(repeating: "term >= ? AND term < ?", count: values.count).joined(separator: " OR ")
            parts.append(
                Part(
                    select: Array(repeating: one, count: values.count).joined(separator: " UNION "),
                    selectArguments: ranges,
                    exists: {
                        "EXISTS (SELECT 1 FROM trial_terms WHERE trial = \($0) AND kind = '\(kind.rawValue)' AND (\(any)))"
                    },
                    existsArguments: ranges))
        }
        if filter.followed {
            // follows_active is (kind, target) of the active follows; an NCT alias is the
            // number in lower case.
            parts.append(
                Part(
                    select:
                        "SELECT a.trial FROM follows f JOIN trial_aliases a ON a.alias = lower(f.target) WHERE f.kind = 'trial' AND f.removed_at IS NULL",
                    selectArguments: [],
                    exists: {
                        """
                        EXISTS (SELECT 1 FROM trial_aliases a JOIN follows f ON f.kind = 'trial' AND f.target = upper(a.alias) \
                        AND f.removed_at IS NULL WHERE a.trial = \($0) AND a.registry = 'nct')
                        """
                    },
                    existsArguments: []))
        }
        return parts
    }

    private static func marks(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ", ") }
}

extension EventStore {
    /// The SQL `trials(filter:)` runs for this filter, its values written in, for the sqlite3
    /// shell to run beside the store (`trialbench scale`).
    @_spi(Benchmarks) public func trialsSQL(filter: TrialFilter) throws -> String {
        try pool.read { db in
            let f = try FilterSQL(filter, trial: "t.trial", db)
            var sql = ""
            var args = f.arguments.makeIterator()
            for c in "\(Self.summarySelect) WHERE 1\(f.conditions) \(Self.listOrder)" {
                // Every argument of a filter is text.
                if c == "?", let v = args.next(), let text = String.fromDatabaseValue(v.databaseValue) {
                    sql += "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
                } else {
                    sql.append(c)
                }
            }
            return sql
        }
    }
}
