import GRDB
import TrialDomain

/// A `TrialFilter` as SQL: one `IN (…)` condition a filter on a trial key column, each a read
/// of an index (`trial_terms`' primary key, `trials_status`, `follows_active` and the
/// aliases' key), so that a filtered listing costs what it lists, not the log's size.
struct FilterSQL {
    /// `AND …` conditions to append to a WHERE clause; empty for an empty filter.
    var conditions = ""
    var arguments: [any DatabaseValueConvertible] = []

    init(_ filter: TrialFilter, trial column: String) {
        if !filter.statuses.isEmpty {
            add(column, "SELECT trial FROM trials WHERE status IN (\(marks(filter.statuses.count)))", filter.statuses.map(\.rawValue))
        }
        if !filter.phases.isEmpty {
            add(column, "SELECT trial FROM trial_terms WHERE kind = 'phase' AND term IN (\(marks(filter.phases.count)))",
                filter.phases.map(\.rawValue))
        }
        for (kind, values) in filter.names where !values.isEmpty {
            // A name's words from some word on begin with the filter's words: the term is
            // those words, or they and a space and more. Normalised terms hold only letters,
            // digits and single spaces, so that is the key range [words, words + "!").
            let one = "SELECT trial FROM trial_terms WHERE kind = '\(kind.rawValue)' AND term >= ? AND term < ?"
            add(column, Array(repeating: one, count: values.count).joined(separator: " UNION "),
                values.flatMap { v -> [String] in let w = TrialFilter.words(v); return [w, w + "!"] })
        }
        if filter.followed {
            add(column, """
                SELECT a.trial FROM follows f JOIN trial_aliases a ON a.alias = lower(f.target) \
                WHERE f.kind = 'trial' AND f.removed_at IS NULL
                """, [])
        }
    }

    private mutating func add(_ column: String, _ select: String, _ args: [String]) {
        conditions += " AND \(column) IN (\(select))"
        arguments += args as [any DatabaseValueConvertible]
    }

    private func marks(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ", ") }
}
