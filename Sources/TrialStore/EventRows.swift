import Foundation
import GRDB
import GRDBSQLite
import TrialDomain

/// Reading events back from rows of the `events` table, with the C API directly: replays and
/// rebuilds read every event, and GRDB's row boxing would cost more than the decoding.
enum EventRows {
    static let columns = "seq, event_id, trial, version, type, occurred, recorded, recorded_by, source, payload, hash"

    /// Runs `SELECT columns rest` (with `forFold`, `SELECT foldColumns rest`: the columns and
    /// their decoding always agree), its arguments bound by `bind`, and hands each decoded event
    /// to `body`. `rest`: from `FROM events` on.
    /// `detail`: how much of each payload to read (`.lifecycle` only for replays).
    static func forEach(
        _ db: Database, _ rest: String, forFold: Bool = false, detail: PayloadDetail = .full,
        _ bind: (inout RawStatement) -> Void = { _ in }, _ body: (consuming RecordedEvent) throws -> Void
    ) throws {
        var statement = RawStatement(try db.cachedStatement(sql: "SELECT \(forFold ? foldColumns : columns) \(rest)"))
        bind(&statement)
        try statement.forEachRow { try body(try decode($0, forFold: forFold, detail: detail)) }
    }

    /// Steps a statement whose arguments are bound already.
    static func forEach(_ statement: Statement, _ body: (consuming RecordedEvent) throws -> Void) throws {
        try RawStatement(statement).forEachRow { try body(try decode($0)) }
    }

    static func text(_ stmt: OpaquePointer?, _ i: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, i) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, i))), as: UTF8.self)
    }

    /// The columns a fold reads: replays (the writer's, the rebuild's) select only these, and
    /// `decode(_:forFold:)` leaves the event's id, recording time, recorder and hash empty.
    static let foldColumns = "seq, trial, version, type, occurred, source, payload"

    /// An event from a row of `columns`, or with `forFold` of `foldColumns`; its payload read
    /// to `detail` (`.lifecycle`: for a fold whose timeline nobody reads the results of).
    static func decode(_ stmt: OpaquePointer?, forFold: Bool = false, detail: PayloadDetail = .full) throws
        -> RecordedEvent
    {
        // Column positions: full rows, or fold rows.
        let (trialCol, versionCol, typeCol, occurredCol, sourceCol, payloadCol):
            (Int32, Int32, Int32, Int32, Int32, Int32) =
                forFold ? (1, 2, 3, 4, 5, 6) : (2, 3, 4, 5, 8, 9)
        let seq = sqlite3_column_int64(stmt, 0)
        do {
            let typeName = text(stmt, typeCol)
            guard let type = EventType.named(typeName) else {
                throw StoreError.corruptEvent(seq: seq, reason: "unknown type '\(typeName)'")
            }
            guard let p = sqlite3_column_text(stmt, payloadCol) else {
                throw StoreError.corruptEvent(seq: seq, reason: "no payload")
            }
            let payloadBytes = UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, payloadCol)))
            let payloadJSON = try JSONValue.parse(payloadBytes)
            let payload = try Payload(type: type, json: payloadJSON, detail: detail)
            let occurred = try PartialDate(parsing: text(stmt, occurredCol))
            let source = sqlite3_column_type(stmt, sourceCol) == SQLITE_NULL ? nil : text(stmt, sourceCol)
            if forFold {
                return RecordedEvent(
                    seq: seq, id: "", trial: text(stmt, trialCol), version: sqlite3_column_int64(stmt, versionCol),
                    payload: payload,
                    occurred: occurred, recorded: Timestamp(microseconds: 0), recordedBy: "", source: source, hash: [])
            }
            var hash = [UInt8](repeating: 0, count: Int(sqlite3_column_bytes(stmt, 10)))
            if let b = sqlite3_column_blob(stmt, 10) {
                hash.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: b, count: $0.count)) }
            }
            return RecordedEvent(
                seq: seq, id: text(stmt, 1), trial: text(stmt, trialCol),
                version: sqlite3_column_int64(stmt, versionCol), payload: payload,
                occurred: occurred, recorded: try Timestamp(parsing: text(stmt, 6)),
                recordedBy: text(stmt, 7), source: source, hash: hash,
                // The stored text is the canonical one the writer made (and the hash covers).
                payloadText: String(decoding: payloadBytes, as: UTF8.self))
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.corruptEvent(seq: seq, reason: "\(error)")
        }
    }

    /// Every event of one trial, in version order; `forFold`: only what a fold reads
    /// (`foldColumns`), its payloads to `detail`.
    static func trialEvents(_ db: Database, trial: String, forFold: Bool = false, detail: PayloadDetail = .full) throws
        -> [RecordedEvent]
    {
        var out: [RecordedEvent] = []
        try forEach(
            db, "FROM events WHERE trial = ? ORDER BY version", forFold: forFold, detail: detail, { $0.bind(trial) }
        ) { e in
            out.append(consume e)
        }
        return out
    }

    static func event(_ db: Database, seq: Int64) throws -> RecordedEvent? {
        var out: RecordedEvent?
        try forEach(db, "FROM events WHERE seq = ?", { $0.bind(seq) }) { out = $0 }
        return out
    }

    static func event(_ db: Database, id: String) throws -> RecordedEvent? {
        var out: RecordedEvent?
        try forEach(db, "FROM events WHERE event_id = ?", { $0.bind(id) }) { out = $0 }
        return out
    }
}
