import Foundation
import GRDB
import GRDBSQLite
import TrialDomain

/// Reading events back from rows of the `events` table, with the C API directly: replays and
/// rebuilds read every event, and GRDB's row boxing would cost more than the decoding.
enum EventRows {
    static let columns = "seq, event_id, trial, version, type, occurred, recorded, recorded_by, source, payload, hash"

    /// Runs a SELECT of `columns` and hands each decoded event to `body`.
    static func forEach(_ db: Database, _ sql: String, _ bind: (OpaquePointer?) -> Void = { _ in }, _ body: (RecordedEvent) throws -> Void) throws {
        let statement = try db.cachedStatement(sql: sql)
        sqlite3_reset(statement.sqliteStatement)
        bind(statement.sqliteStatement)
        try forEach(statement, body)
    }

    /// Steps a statement whose arguments are bound already.
    static func forEach(_ statement: Statement, _ body: (RecordedEvent) throws -> Void) throws {
        let stmt = statement.sqliteStatement
        defer {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }
        while true {
            let code = sqlite3_step(stmt)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(stmt))), sql: statement.sql)
            }
            try body(try decode(stmt))
        }
    }

    static func text(_ stmt: OpaquePointer?, _ i: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, i) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, i))), as: UTF8.self)
    }

    static func decode(_ stmt: OpaquePointer?) throws -> RecordedEvent {
        let seq = sqlite3_column_int64(stmt, 0)
        do {
            let typeName = text(stmt, 4)
            guard let type = EventType(rawValue: typeName) else {
                throw StoreError.corruptEvent(seq: seq, reason: "unknown type '\(typeName)'")
            }
            let payloadJSON: JSONValue
            if let p = sqlite3_column_text(stmt, 9) {
                payloadJSON = try JSONValue.parse(UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, 9))))
            } else {
                throw StoreError.corruptEvent(seq: seq, reason: "no payload")
            }
            let payload = try Payload(type: type, json: payloadJSON)
            var hash = [UInt8](repeating: 0, count: Int(sqlite3_column_bytes(stmt, 10)))
            if let b = sqlite3_column_blob(stmt, 10) { hash.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: b, count: $0.count)) } }
            return RecordedEvent(
                seq: seq, id: text(stmt, 1), trial: text(stmt, 2), version: sqlite3_column_int64(stmt, 3), payload: payload,
                occurred: try PartialDate(parsing: text(stmt, 5)), recorded: try Timestamp(parsing: text(stmt, 6)),
                recordedBy: text(stmt, 7), source: sqlite3_column_type(stmt, 8) == SQLITE_NULL ? nil : text(stmt, 8), hash: hash)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.corruptEvent(seq: seq, reason: "\(error)")
        }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Every event of one trial, in version order.
    static func trialEvents(_ db: Database, trial: String) throws -> [RecordedEvent] {
        var out: [RecordedEvent] = []
        try forEach(db, "SELECT \(columns) FROM events WHERE trial = ? ORDER BY version", { sqlite3_bind_text($0, 1, trial, -1, transient) }) {
            out.append($0)
        }
        return out
    }

    static func event(_ db: Database, seq: Int64) throws -> RecordedEvent? {
        var out: RecordedEvent?
        try forEach(db, "SELECT \(columns) FROM events WHERE seq = ?", { sqlite3_bind_int64($0, 1, seq) }) { out = $0 }
        return out
    }

    static func event(_ db: Database, id: String) throws -> RecordedEvent? {
        var out: RecordedEvent?
        try forEach(db, "SELECT \(columns) FROM events WHERE event_id = ?", { sqlite3_bind_text($0, 1, id, -1, transient) }) { out = $0 }
        return out
    }
}
