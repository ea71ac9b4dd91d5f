import Foundation
import GRDB
import TrialDomain

/// Reading events back from rows of the `events` table.
enum EventRows {
    static let columns = "seq, event_id, trial, version, type, occurred, recorded, recorded_by, source, payload, hash"

    static func decode(_ row: Row) throws -> RecordedEvent {
        let seq: Int64 = row[0]
        do {
            let typeName: String = row[4]
            guard let type = EventType(rawValue: typeName) else {
                throw StoreError.corruptEvent(seq: seq, reason: "unknown type '\(typeName)'")
            }
            let payloadText: String = row[9]
            let payload = try Payload(type: type, json: try JSONValue.parse(payloadText))
            let hash: Data = row[10]
            return RecordedEvent(
                seq: seq, id: row[1], trial: row[2], version: row[3], payload: payload,
                occurred: try PartialDate(parsing: row[5]), recorded: try Timestamp(parsing: row[6]),
                recordedBy: row[7], source: row[8], hash: [UInt8](hash))
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.corruptEvent(seq: seq, reason: "\(error)")
        }
    }

    /// Every event of one trial, in version order.
    static func trialEvents(_ db: Database, trial: String) throws -> [RecordedEvent] {
        let stmt = try db.cachedStatement(sql: "SELECT \(columns) FROM events WHERE trial = ? ORDER BY version")
        return try Row.fetchAll(stmt, arguments: [trial]).map(decode)
    }

    static func event(_ db: Database, seq: Int64) throws -> RecordedEvent? {
        let stmt = try db.cachedStatement(sql: "SELECT \(columns) FROM events WHERE seq = ?")
        return try Row.fetchOne(stmt, arguments: [seq]).map(decode)
    }

    static func event(_ db: Database, id: String) throws -> RecordedEvent? {
        let stmt = try db.cachedStatement(sql: "SELECT \(columns) FROM events WHERE event_id = ?")
        return try Row.fetchOne(stmt, arguments: [id]).map(decode)
    }
}
