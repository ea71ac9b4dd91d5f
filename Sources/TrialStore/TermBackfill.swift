import GRDB
import TrialDomain

extension EventStore {
    /// Makes the `trial_terms` of a database migrated to 0008 with trials in it, from their
    /// registrations, as the projection writer makes them (the migration's SQL cannot
    /// normalise names as `TrialFilter.words` does), and deletes the migration's
    /// `projection_backfill` row in the same transaction; a database without that row is only
    /// read. The terms depend on the registration alone, so they equal a rebuild's.
    static func backfillTerms(_ pool: DatabasePool) throws {
        let pending = try pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM projection_backfill WHERE name = 'trial_terms')")
                ?? false
        }
        guard pending else { return }
        try pool.write { db in
            try db.execute(sql: "DELETE FROM trial_terms")
            let writer = try ProjectionWriter(db)
            let rows = try Row.fetchCursor(db, sql: "SELECT trial, registration FROM registrations")
            while let row = try rows.next() {
                let registration = try decodeProjection(row[1] as String) { try Registered(json: $0) }
                try writer.writeTerms(TermRow.of(registration), replacing: false, trial: row[0])
            }
            try db.execute(sql: "DELETE FROM projection_backfill WHERE name = 'trial_terms'")
        }
    }
}
