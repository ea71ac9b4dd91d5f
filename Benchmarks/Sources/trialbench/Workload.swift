import Foundation
import GRDBSQLite
import TrialDomain
@_spi(Benchmarks) import TrialStore

/// A deterministic history: each trial registers, changes status, gets dates, a forecast, an
/// interim analysis, a readout and a presentation, in world order.
struct Workload {
    struct Item {
        let event: NewEvent
        let trial: String
        let version: Int64
        let payloadText: String
        let occurred: String
    }

    let events: [Item]
    let meanPayloadBytes: Double

    func key(_ i: Int) -> String { String(format: "NCT%08d", i) }

    init(trials: Int, eventsPerTrial: Int, order: TrialBench.Order) {
        var out: [Item] = []
        out.reserveCapacity(trials * eventsPerTrial)
        switch order {
        case .interleaved:
            for k in 0..<eventsPerTrial { for i in 0..<trials { out.append(Self.item(i, k)) } }
        case .clustered:
            for i in 0..<trials { for k in 0..<eventsPerTrial { out.append(Self.item(i, k)) } }
        }
        events = out
        meanPayloadBytes = Double(out.reduce(0) { $0 + $1.payloadText.utf8.count }) / Double(max(1, out.count))
    }

    /// Trial `i`'s event `k` (its version is k + 1), validated.
    static func item(_ i: Int, _ k: Int) -> Item {
        let start = Day(year: 2012, month: 1, day: 1)!
        let trial = String(format: "NCT%08d", i)
        let occurred = PartialDate(day: start.adding(days: k * 60 + i % 30))
        let payload: Payload
        switch k {
        case 0:
            payload = .registered(
                Registered(
                    title:
                        "Trial \(i): an investigational antibody with chemotherapy versus chemotherapy in advanced NSCLC",
                    acronym: "T-\(i)", identifiers: [try! TrialIdentifier(registry: .nct, id: trial)],
                    sponsor: "Sponsor \(i % 500)",
                    phases: [.phase3], conditions: ["Non-small cell lung cancer"], primaryEndpoints: ["PFS"],
                    enrollment: Enrollment(count: 400, type: .estimated),
                    design: .init(allocation: .randomized, masking: .double)))
        case 1: payload = .statusChanged(StatusChanged(status: .notYetRecruiting))
        case 2:
            payload = .datesUpdated(
                DatesUpdated(
                    start: StudyDate(date: PartialDate(day: start.adding(days: 200)), type: .estimated),
                    primaryCompletion: StudyDate(date: PartialDate(year: 2016, precision: .month(6))!, type: .estimated)
                ))
        case 3: payload = .statusChanged(StatusChanged(status: .recruiting))
        case 4:
            payload = .milestoneExpected(
                MilestoneExpected(
                    milestone: MilestoneSpec(type: .readout, qualifier: "PFS"),
                    window: PartialDate(year: 2014, precision: .half(2))!))
        case 5: payload = .enrollmentUpdated(Enrollment(count: 398, type: .actual))
        case 6:
            payload = .interimAnalysis(
                InterimAnalysis(
                    analysis: "first interim", endpoints: ["PFS"], outcome: .continue,
                    results: [
                        EndpointResult(
                            endpoint: "PFS", hazardRatio: .init(value: 0.51, ciLow: 0.38, ciHigh: 0.69, ciLevel: 95),
                            pValue: .init(value: 0.0001, comparator: .less, sided: 1))
                    ]))
        case 7: payload = .statusChanged(StatusChanged(status: .activeNotRecruiting))
        case 8:
            payload = .readout(
                Readout(
                    kind: .primary, outcome: .positive, endpoints: ["PFS"],
                    results: [
                        EndpointResult(
                            endpoint: "PFS", arms: ["experimental", "control"],
                            values: [
                                .init(arm: "experimental", value: 11.1, unit: "months"),
                                .init(arm: "control", value: 5.8, unit: "months"),
                            ],
                            hazardRatio: .init(value: 0.51, ciLow: 0.38, ciHigh: 0.69, ciLevel: 95), n: 398)
                    ]))
        case 9: payload = .presented(Presented(venue: "ASCO \(2012 + k / 6)", abstract: "\(8000 + i % 1000)"))
        default:
            payload =
                k % 2 == 0
                ? .published(
                    Published(
                        citation: "J Clin Oncol \(2012 + k / 6);\(i % 50):\(i % 9000)", doi: "10.1200/JCO.\(i).\(k)"))
                : .enrollmentUpdated(Enrollment(count: Int64(398 + k), type: .actual))
        }
        // Validated here, before the clock starts, as the daemon validates a client's event
        // on its connection before queueing it for the writer (and an importer where it
        // makes the event): the raw side's row values are made beforehand too.
        var event = NewEvent(
            trial: try! TrialReference(trial), payload: payload, occurred: occurred,
            source: "ClinicalTrials.gov \(trial), last update \(occurred)")
        let payloadText = try! event.validate()  // the canonical text the store writes
        return Item(
            event: event, trial: trial, version: Int64(k + 1), payloadText: payloadText, occurred: occurred.description)
    }
}

/// The raw limit: the sqlite3 C API, prepared statements, a table with the log's columns and
/// indexes, the store's pragmas (WAL, synchronous=FULL).
final class RawSQLite {
    var db: OpaquePointer?
    let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(path: String) throws {
        // As GRDB opens the store's connections: without a per-connection mutex.
        guard
            sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
                == SQLITE_OK
        else {
            throw RawError(message: "open \(path)")
        }
        try exec("PRAGMA journal_mode = WAL")
        try exec("PRAGMA synchronous = FULL")
        try exec("PRAGMA cache_size = -32768")  // the store's pragmas
        try exec("PRAGMA secure_delete = OFF")
        // No checkpoint while measured (the store's run on a thread of its own, concurrently):
        // the most favourable setting for the baseline.
        try exec("PRAGMA wal_autocheckpoint = 0")
        try exec(
            """
            CREATE TABLE IF NOT EXISTS events (
                seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, trial TEXT NOT NULL, version INTEGER NOT NULL,
                type TEXT NOT NULL, occurred TEXT NOT NULL, recorded TEXT NOT NULL, recorded_by TEXT NOT NULL,
                source TEXT, payload TEXT NOT NULL, hash BLOB NOT NULL, UNIQUE (trial, version)) STRICT
            """)
    }

    struct RawError: Error, CustomStringConvertible {
        let message: String
        var description: String { "raw SQLite: \(message)" }
    }

    func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw RawError(message: String(cString: sqlite3_errmsg(db)))
        }
    }

    func prepare(_ sql: String) throws -> OpaquePointer? {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else {
            throw RawError(message: String(cString: sqlite3_errmsg(db)))
        }
        return stmt
    }

    /// Inserts rows of the same size as the log's, `batch` per transaction; returns rows/s.
    /// Row values (ids, hashes, times) are made before the clock starts: this is SQLite alone.
    func insert(_ items: ArraySlice<Workload.Item>, batch: Int, orderedIDs: Bool) throws -> Double {
        let stmt = try prepare("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        defer { sqlite3_finalize(stmt) }
        var rng = SystemRandomNumberGenerator()
        // By default ids of the kind the store makes for events that come without one (its own
        // generator: time-ordered, each sorting after the one before). Random ones
        // (`--raw-ids random`) land on a random page of the unique index each.
        var ids = EventIDGenerator()
        let rows = items.map { item in
            let recorded = Timestamp.now()  // one clock read for the id and the row, as the store
            return (
                id: orderedIDs ? ids.next(at: recorded) : UUID().uuidString.lowercased(),
                recorded: recorded.description, occurred: item.occurred,
                hash: (0..<4).flatMap { _ in withUnsafeBytes(of: rng.next() as UInt64) { Array($0) } }
            )
        }
        let start = now()
        var seq: Int64 = 0
        var inTransaction = 0
        for (item, row) in zip(items, rows) {
            if inTransaction == 0 { try exec("BEGIN IMMEDIATE") }
            seq += 1
            sqlite3_bind_int64(stmt, 1, seq)
            sqlite3_bind_text(stmt, 2, row.id, -1, transient)
            sqlite3_bind_text(stmt, 3, item.trial, -1, transient)
            sqlite3_bind_int64(stmt, 4, item.version)
            sqlite3_bind_text(stmt, 5, item.event.type.rawValue, -1, transient)
            sqlite3_bind_text(stmt, 6, row.occurred, -1, transient)
            sqlite3_bind_text(stmt, 7, row.recorded, -1, transient)
            sqlite3_bind_text(stmt, 8, "bench", -1, transient)
            sqlite3_bind_text(stmt, 9, item.event.source, -1, transient)
            sqlite3_bind_text(stmt, 10, item.payloadText, -1, transient)
            sqlite3_bind_blob(stmt, 11, row.hash, 32, transient)
            guard sqlite3_step(stmt) == SQLITE_DONE else {
                throw RawError(message: String(cString: sqlite3_errmsg(db)))
            }
            sqlite3_reset(stmt)
            inTransaction += 1
            if inTransaction == batch {
                try exec("COMMIT")
                inTransaction = 0
            }
        }
        if inTransaction > 0 { try exec("COMMIT") }
        return Double(items.count) / (now() - start)
    }

    /// Reads every row in (trial, version) order, touching each column; returns rows/s.
    func scan() throws -> Double {
        let stmt = try prepare(
            "SELECT seq, event_id, trial, version, type, occurred, recorded, recorded_by, source, payload, hash FROM events ORDER BY trial, version"
        )
        defer { sqlite3_finalize(stmt) }
        let start = now()
        var rows = 0
        var bytes = 0
        while sqlite3_step(stmt) == SQLITE_ROW {
            for c in Int32(0)..<11 { bytes += Int(sqlite3_column_bytes(stmt, c)) }
            _ = sqlite3_column_text(stmt, 9)
            rows += 1
        }
        precondition(bytes > 0)
        return Double(rows) / (now() - start)
    }

    /// Point queries of one row by key; returns each latency in seconds.
    func pointQueries(_ n: Int, maxSeq: Int64) throws -> [Double] {
        let stmt = try prepare("SELECT * FROM events WHERE seq = ?")
        defer { sqlite3_finalize(stmt) }
        var out: [Double] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            let s = now()
            sqlite3_bind_int64(stmt, 1, Int64.random(in: 1...maxSeq))
            guard sqlite3_step(stmt) == SQLITE_ROW else { throw RawError(message: "no row") }
            _ = String(cString: sqlite3_column_text(stmt, 9))
            sqlite3_reset(stmt)
            out.append(now() - s)
        }
        return out.sorted()
    }

    func close() { sqlite3_close(db) }
}
