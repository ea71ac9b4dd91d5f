/// The SQL the writer runs for an append, in one place: the writer prepares these, and the
/// benchmark's "the log's own SQL" baseline (`trialbench store`) runs the very same
/// statements with the C API, so the two can be set side by side. SPI: for Benchmarks/ only.
@_spi(Benchmarks) public enum WriterSQL {
    /// The columns each table's insert below binds, in order: a tool that copies the store's
    /// rows reads them in this order.
    public static let columns: [String: [String]] = [
        "events": eventColumns,
        "trials": ProjectionInsert.trials.columns,
        "timeline": ProjectionInsert.timeline.columns,
        "expectations": ProjectionInsert.expectations.columns,
        "registrations": ProjectionInsert.registrations.columns,
        "trial_aliases": ProjectionInsert.aliases.columns,
    ]
    private static let eventColumns = EventRows.columns.split(separator: ", ").map(String.init)

    /// One event. OR FAIL: a one-row insert checked before it is written needs no statement
    /// journal, which SQLite keeps for an ABORT inside a transaction (migration 0004).
    public static let insertEvent =
        "INSERT OR FAIL INTO events (\(EventRows.columns)) VALUES (\(eventColumns.map { _ in "?" }.joined(separator: ", ")))"
    /// The trial an alias names.
    public static let lookUpAlias = "SELECT trial FROM trial_aliases WHERE alias = ?"
    /// A trial's `trials` row, once per transaction.
    public static let upsertTrial = ProjectionInsert.trials.sql(rows: 1)
    public static let insertTimeline = ProjectionInsert.timeline.sql(rows: 1)
    public static let insertExpectation = ProjectionInsert.expectations.sql(rows: 1)
    public static let upsertRegistration = ProjectionInsert.registrations.sql(rows: 1)
    public static let upsertAlias = ProjectionInsert.aliases.sql(rows: 1)
    /// Events of one type, once per type per transaction.
    public static let addEventCount = """
        INSERT INTO event_counts (type, count) VALUES (?, ?) ON CONFLICT (type) DO UPDATE SET count = count + excluded.count
        """
    /// The trials a transaction made, once per transaction.
    public static let addTrials = """
        INSERT INTO trial_count (one, count) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET count = count + excluded.count
        """
}
