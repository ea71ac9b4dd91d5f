/// One schema migration as built into the binary from `Migrations/NNNN_name.sql`.
public struct EmbeddedMigration: Sendable, Equatable {
    /// The file name without `.sql`, e.g. `0001_event_log`.
    public let identifier: String
    /// The SQL text exactly as in the file.
    public let sql: String

    public init(identifier: String, sql: String) {
        self.identifier = identifier
        self.sql = sql
    }
}

/// The migrations of this build, in the order they apply.
public let embeddedMigrations: [EmbeddedMigration] = embeddedMigrationFiles.map {
    EmbeddedMigration(identifier: $0.identifier, sql: $0.sql)
}
