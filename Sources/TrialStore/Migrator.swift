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

    /// Refuses applied migrations this build does not have, has with other SQL, or that skip
    /// one of its own. `applied` in identifier order.
    public func check(applied: [(identifier: String, checksum: String)]) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.identifier, $0) })
        for row in applied {
            guard let m = known[row.identifier] else { throw StoreError.newerDatabase(identifier: row.identifier) }
            if SHA256Digest.hex(m.sql) != row.checksum { throw StoreError.migrationChanged(identifier: row.identifier) }
        }
        let appliedIDs = Set(applied.map(\.identifier))
        if let lastApplied = applied.last?.identifier {
            for m in migrations where m.identifier < lastApplied && !appliedIDs.contains(m.identifier) {
                throw StoreError.migrationGap(identifier: m.identifier)
            }
        }
    }

    /// Checks what is applied, then applies what is missing. Returns the identifiers applied
    /// now. A database with nothing to apply is only read.
    @discardableResult
    public func migrate(_ writer: some DatabaseWriter) throws -> [String] {
        try writer.writeWithoutTransaction { db in
            let applied =
                try db.tableExists("schema_migrations")
                ? try Row.fetchAll(db, sql: "SELECT identifier, checksum FROM schema_migrations ORDER BY identifier")
                    .map { (identifier: $0[0] as String, checksum: $0[1] as String) }
                : []
            try check(applied: applied)
            let appliedIDs = Set(applied.map(\.identifier))
            let pending = migrations.filter { !appliedIDs.contains($0.identifier) }
            guard !pending.isEmpty else { return [] }
            try db.execute(sql: Migrator.bookkeeping)
            var done: [String] = []
            for m in pending {
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
