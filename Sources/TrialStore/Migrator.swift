import GRDB
import TrialDomain
import TrialMigrations

/// Applies the migrations built into the binary, in order, one transaction each, and records
/// each with the SHA-256 of its SQL. Refuses a database whose applied migrations this build
/// does not have, or has with other SQL.
public struct Migrator: Sendable {
    public let migrations: [EmbeddedMigration]

    public init(migrations: [EmbeddedMigration] = embeddedMigrations) {
        self.migrations = migrations
    }

    /// The bookkeeping table is the migrator's own; the schema itself lives in Migrations/.
    static let bookkeeping = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            identifier TEXT PRIMARY KEY,
            checksum   TEXT NOT NULL,
            applied    TEXT NOT NULL
        ) STRICT
        """

    /// Checks what is applied, then applies what is missing. Returns the identifiers applied now.
    @discardableResult
    public func migrate(_ writer: some DatabaseWriter) throws -> [String] {
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: Migrator.bookkeeping)
            let applied = try Row.fetchAll(db, sql: "SELECT identifier, checksum FROM schema_migrations ORDER BY identifier")
            let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.identifier, $0) })
            for row in applied {
                let id: String = row[0]
                guard let m = known[id] else { throw StoreError.newerDatabase(identifier: id) }
                if SHA256Digest.hex(m.sql) != (row[1] as String) { throw StoreError.migrationChanged(identifier: id) }
            }
            let appliedIDs = Set(applied.map { $0[0] as String })
            if let lastApplied = applied.last.map({ $0[0] as String }) {
                for m in migrations where m.identifier < lastApplied && !appliedIDs.contains(m.identifier) {
                    throw StoreError.migrationGap(identifier: m.identifier)
                }
            }
            var done: [String] = []
            for m in migrations where !appliedIDs.contains(m.identifier) {
                try db.inTransaction(.immediate) {
                    try db.execute(sql: m.sql)
                    try db.execute(
                        sql: "INSERT INTO schema_migrations (identifier, checksum, applied) VALUES (?, ?, ?)",
                        arguments: [m.identifier, SHA256Digest.hex(m.sql), Timestamp.now().description])
                    return .commit
                }
                done.append(m.identifier)
            }
            return done
        }
    }
}
