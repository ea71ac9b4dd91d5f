/// The SQL the writer runs for an append, in one place: the writer prepares these, and the
/// benchmark's "the log's own SQL" baseline (`trialbench store`) runs the very same
/// statements with the C API, so the two can be set side by side.
public enum WriterSQL {
    /// One event. OR FAIL: a one-row insert checked before it is written needs no statement
    /// journal, which SQLite keeps for an ABORT inside a transaction (migration 0004).
    public static let insertEvent = """
        INSERT OR FAIL INTO events (seq, event_id, trial, version, type, occurred, recorded, recorded_by, source, payload, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    /// The trial an alias names.
    public static let lookUpAlias = "SELECT trial FROM trial_aliases WHERE alias = ?"
    /// A trial's `trials` row, once per transaction.
    public static var upsertTrial: String { ProjectionInsert.trials.sql(rows: 1) }
    public static var insertTimeline: String { ProjectionInsert.timeline.sql(rows: 1) }
    public static var insertExpectation: String { ProjectionInsert.expectations.sql(rows: 1) }
    public static var upsertRegistration: String { ProjectionInsert.registrations.sql(rows: 1) }
    public static var upsertAlias: String { ProjectionInsert.aliases.sql(rows: 1) }
    /// Events of one type, once per type per transaction.
    public static let addEventCount = """
        INSERT INTO event_counts (type, count) VALUES (?, ?) ON CONFLICT (type) DO UPDATE SET count = count + excluded.count
        """
    /// The trials a transaction made, once per transaction.
    public static let addTrials = """
        INSERT INTO trial_count (one, count) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET count = count + excluded.count
        """
}
