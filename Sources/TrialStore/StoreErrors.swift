import GRDB
import TrialDomain

/// Why an append was refused. Nothing of a refused append reaches the log.
public enum AppendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The event is malformed: the field and the reason.
    case invalid(ValidationError)
    /// `expectedVersion` did not match the trial's current version.
    case wrongExpectedVersion(trial: String, expected: Int64, current: Int64)
    /// The event id was used before for another event.
    case idConflict(id: String, seq: Int64)
    /// The event contradicts the trial's history.
    case contradiction(LifecycleViolation)
    /// An identifier or acronym the event gives already names another trial.
    case identifierTaken(identifier: String, trial: String)
    /// A correction or retraction names a seq that is not in the log.
    case noSuchEvent(seq: Int64)
    /// A correction or retraction names an event it cannot amend.
    case notAmendable(seq: Int64, reason: String)
    /// The trial named for a correction or retraction is not the target's.
    case wrongTrial(seq: Int64, trial: String, given: String)
    /// The whole group was refused because another event of it was (all or nothing).
    case groupAborted(index: Int)
    /// No trial goes by the name, and the event cannot start one: only a registration, or an
    /// event that expects the trial to be new (`expectedVersion` 0), does. A misspelt name
    /// would otherwise start a trial for ever. With the closest known name, if one is close.
    case noSuchTrial(trial: String, didYouMean: String?)

    public var description: String {
        switch self {
        case .invalid(let e): return "invalid event: \(e)"
        case .wrongExpectedVersion(let t, let expected, let current):
            return "\(t) is at version \(current), not \(expected)"
        case .idConflict(let id, let seq): return "event id \(id) was already used for a different event (seq \(seq))"
        case .contradiction(let v): return "contradiction: \(v)"
        case .identifierTaken(let id, let trial): return "identifier \(id) already names trial \(trial)"
        case .noSuchEvent(let seq): return "no event with seq \(seq)"
        case .notAmendable(let seq, let reason): return "seq \(seq) cannot be amended: \(reason)"
        case .wrongTrial(let seq, let trial, let given): return "seq \(seq) belongs to \(trial), not \(given)"
        case .groupAborted(let i): return "not appended: event \(i + 1) of the same group was refused"
        case .noSuchTrial(let t, let suggestion):
            return "no such trial: \(t)\(suggestion.map { " (did you mean \($0)?)" } ?? "")"
        }
    }
}

/// Why a database cannot be used.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An applied migration's SQL no longer matches the file it was applied from.
    case migrationChanged(identifier: String)
    /// The database has a migration this build does not know: a newer trialtrack wrote it.
    case newerDatabase(identifier: String)
    /// The database lacks a migration that comes before applied ones.
    case migrationGap(identifier: String)
    /// The file is another application's SQLite database (its tables and header mark).
    case notTrialtrack(path: String, applicationID: Int32, tables: [String])
    /// A stored event could not be read back (the file was altered outside trialtrack).
    case corruptEvent(seq: Int64, reason: String)
    /// SQLite said no.
    case database(String)

    public var description: String {
        switch self {
        case .migrationChanged(let id):
            return
                "migration \(id) was changed after it was applied to this database; restore Migrations/\(id).sql or use a matching trialtrack"
        case .newerDatabase(let id):
            return "this database was written by a newer trialtrack (it has migration \(id), unknown to this build)"
        case .migrationGap(let id):
            return "this database skipped migration \(id); it was not made by trialtrack's migrator"
        case .notTrialtrack(let path, let id, let tables):
            let shown =
                tables.count > 6
                ? tables.prefix(6).joined(separator: ", ") + " and \(tables.count - 6) more"
                : tables.joined(separator: ", ")
            return
                "\(path) is not a trialtrack database (application_id \(String(format: "0x%08X", UInt32(bitPattern: id))), tables: \(tables.isEmpty ? "none" : shown)); give another --database"
        case .corruptEvent(let seq, let reason): return "event seq \(seq) cannot be read: \(reason)"
        case .database(let m): return "database error: \(m)"
        }
    }
}

extension StoreError {
    /// Any error a store call throws, in one line for a person: SQLite's result code and
    /// message without the statement's SQL (which may span lines).
    public static func oneLine(_ error: Error) -> String {
        if let e = error as? DatabaseError {
            return "SQLite error \(e.resultCode.rawValue): \(e.message ?? "\(e.resultCode)")"
        }
        return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
