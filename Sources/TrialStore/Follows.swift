import GRDB
import TrialDomain

/// One following of a trial or a saved search on ClinicalTrials.gov (migration 0007), with
/// who started it and when, who ended it and when (an unfollowed row is kept), and how far
/// the sync got.
public struct Follow: Equatable, Sendable, Identifiable {
    public var id: Int64
    public var target: FollowTarget
    /// When it was recorded (UTC) and by whom (`alice (uid 1000)`, as events' `recordedBy`).
    public var addedAt: Timestamp
    public var addedBy: String
    /// Set by an unfollow; nil while it is followed.
    public var removedAt: Timestamp?
    public var removedBy: String?
    /// nil until the sync has reported on it.
    public var sync: FollowSyncState?

    public var isActive: Bool { removedAt == nil }

    public init(
        id: Int64, target: FollowTarget, addedAt: Timestamp, addedBy: String, removedAt: Timestamp? = nil,
        removedBy: String? = nil, sync: FollowSyncState? = nil
    ) {
        self.id = id
        self.target = target
        self.addedAt = addedAt
        self.addedBy = addedBy
        self.removedAt = removedAt
        self.removedBy = removedBy
        self.sync = sync
    }
}

/// What the sync last reported for a follow.
public struct FollowSyncState: Equatable, Sendable {
    /// The registry's data date up to which everything was fetched, from the last success.
    public var watermark: Day?
    public var lastSuccessAt: Timestamp?
    /// The last sync attempt, success or failure.
    public var lastAttemptAt: Timestamp
    /// The last failure's reason (one line) and time; kept after a later success.
    public var lastError: String?
    public var lastErrorAt: Timestamp?
    /// Who reported the last attempt.
    public var lastSyncedBy: String
    /// Of the last successful sync.
    public var studiesChecked: Int64?
    public var eventsRecorded: Int64?

    public init(
        watermark: Day?, lastSuccessAt: Timestamp?, lastAttemptAt: Timestamp, lastError: String?,
        lastErrorAt: Timestamp?,
        lastSyncedBy: String, studiesChecked: Int64?, eventsRecorded: Int64?
    ) {
        self.watermark = watermark
        self.lastSuccessAt = lastSuccessAt
        self.lastAttemptAt = lastAttemptAt
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.lastSyncedBy = lastSyncedBy
        self.studiesChecked = studiesChecked
        self.eventsRecorded = eventsRecorded
    }

    /// The last attempt failed: an error later than any success.
    public var isFailing: Bool {
        guard let lastErrorAt else { return false }
        return lastSuccessAt.map { lastErrorAt > $0 } ?? true
    }
}

extension EventStore {
    /// Follows each target (validated and normalised first: `FollowTarget.validated`), in one
    /// transaction of the store's writer. Idempotent: a target followed already is not
    /// followed again; its existing row comes back with `alreadyFollowed` true. Results are in
    /// the order of `targets`. `at` defaults to the store's clock. Throws
    /// `AppendError.invalid` (nothing written) when a target or `by` is refused.
    @discardableResult
    public func follow(_ targets: [FollowTarget], by: String, at time: Timestamp? = nil) throws
        -> [(follow: Follow, alreadyFollowed: Bool)]
    {
        let valid = try Self.validate(targets)
        try Self.validate(by: by)
        return try followsWrite(at: time) { db, now in
            var out: [(follow: Follow, alreadyFollowed: Bool)] = []
            out.reserveCapacity(valid.count)
            for target in valid {
                if let existing = try Self.activeFollow(db, target) {
                    out.append((existing, true))
                    continue
                }
                try db.execute(
                    sql: "INSERT INTO follows (kind, target, added_at, added_by) VALUES (?, ?, ?, ?)",
                    arguments: [target.kind, target.text, now.description, by])
                let made = try Self.readFollows(db, where: "f.id = ?", [db.lastInsertedRowID])
                guard let follow = made.first else {
                    throw StoreError.database("the new follow of \(target) cannot be read back")
                }
                out.append((follow, false))
            }
            return out
        }
    }

    /// Stops following each target, in one transaction of the store's writer: the active row
    /// gets `removedAt` and `removedBy` and is kept. The answer, keyed by the normalised
    /// target, is false for a target that was not followed (nothing written for it).
    /// Throws `AppendError.invalid` (nothing written) when a target or `by` is refused.
    @discardableResult
    public func unfollow(_ targets: [FollowTarget], by: String, at time: Timestamp? = nil) throws -> [FollowTarget:
        Bool]
    {
        let valid = try Self.validate(targets)
        try Self.validate(by: by)
        return try followsWrite(at: time) { db, now in
            var out: [FollowTarget: Bool] = [:]
            for target in valid {
                try db.execute(
                    sql:
                        "UPDATE follows SET removed_at = ?, removed_by = ? WHERE kind = ? AND target = ? AND removed_at IS NULL",
                    arguments: [now.description, by, target.kind, target.text])
                // The same target twice: the first unfollowed it.
                out[target] = (out[target] ?? false) || db.changesCount > 0
            }
            return out
        }
    }

    /// Records a successful sync of the follows: their watermark (the registry's data date up
    /// to which everything was fetched, taken as given, so a resync may move it back), the
    /// time, who reported it and the run's figures. An earlier failure's reason stays as
    /// history (`FollowSyncState.isFailing` turns false). A follow unfollowed meanwhile is
    /// recorded too. Throws `AppendError.invalid` (nothing written) for an id no follow has,
    /// a negative figure or an empty `by`. Returns the follows as recorded.
    @discardableResult
    public func recordSyncSuccess(
        followIDs: [Int64], watermark: Day, studiesChecked: Int64, eventsRecorded: Int64,
        by: String, at time: Timestamp? = nil
    ) throws -> [Follow] {
        try Self.validate(by: by)
        for (name, value) in [("studiesChecked", studiesChecked), ("eventsRecorded", eventsRecorded)] where value < 0 {
            throw AppendError.invalid(ValidationError(field: name, reason: "must not be negative (it is \(value))"))
        }
        return try followsWrite(at: time) { db, now in
            try Self.checkExist(followIDs, db)
            for id in followIDs {
                try db.execute(
                    sql: """
                        INSERT INTO follow_sync
                            (follow_id, watermark, last_success_at, last_attempt_at, last_synced_by, studies_checked, events_recorded)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (follow_id) DO UPDATE SET
                            watermark = excluded.watermark, last_success_at = excluded.last_success_at,
                            last_attempt_at = excluded.last_attempt_at, last_synced_by = excluded.last_synced_by,
                            studies_checked = excluded.studies_checked, events_recorded = excluded.events_recorded
                        """,
                    arguments: [
                        id, watermark.description, now.description, now.description, by, studiesChecked, eventsRecorded,
                    ])
            }
            return try Self.readFollows(db, ids: followIDs)
        }
    }

    /// Records a failed sync of the follows: the reason (made one line: control characters and
    /// runs of white space as one space, at most 1000 characters), the time and who reported
    /// it. The watermark, the last success and its figures stay as they were. Throws
    /// `AppendError.invalid` (nothing written) for an id no follow has, or an empty reason or
    /// `by`. Returns the follows as recorded.
    @discardableResult
    public func recordSyncFailure(followIDs: [Int64], error: String, by: String, at time: Timestamp? = nil) throws
        -> [Follow]
    {
        try Self.validate(by: by)
        let reason = Self.oneLine(error, limit: 1000)
        guard !reason.isEmpty else {
            throw AppendError.invalid(ValidationError(field: "error", reason: "a failed sync needs its reason"))
        }
        return try followsWrite(at: time) { db, now in
            try Self.checkExist(followIDs, db)
            for id in followIDs {
                try db.execute(
                    sql: """
                        INSERT INTO follow_sync (follow_id, last_attempt_at, last_error, last_error_at, last_synced_by)
                        VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (follow_id) DO UPDATE SET
                            last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error,
                            last_error_at = excluded.last_error_at, last_synced_by = excluded.last_synced_by
                        """,
                    arguments: [id, now.description, reason, now.description, by])
            }
            return try Self.readFollows(db, ids: followIDs)
        }
    }

    // MARK: - The writer's transaction

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction on the writer's connection (serialised
    /// with the appends, synced on commit like them), at `time` or the store's clock.
    private func followsWrite<T>(at time: Timestamp?, _ body: (Database, Timestamp) throws -> T) throws -> T {
        do {
            return try pool.writeWithoutTransaction { db in
                let now = time ?? configuration.clock()
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db, now)
                    return .commit
                }
                return result!
            }
        } catch let e as DatabaseError {
            throw StoreError.database(e.message ?? e.description)
        }
    }

    // MARK: - Validation

    static func validate(_ targets: [FollowTarget]) throws -> [FollowTarget] {
        var valid: [FollowTarget] = []
        valid.reserveCapacity(targets.count)
        for (i, t) in targets.enumerated() {
            do throws(ValidationError) { valid.append(try t.validated()) } catch {
                throw AppendError.invalid(error.under("targets[\(i)]"))
            }
        }
        return valid
    }

    static func validate(by: String) throws {
        guard !by.allSatisfy(\.isWhitespace) else {
            throw AppendError.invalid(ValidationError(field: "by", reason: "who records it must be given"))
        }
        guard !by.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw AppendError.invalid(
                ValidationError(field: "by", reason: "who records it must be one line without control characters"))
        }
    }

    static func checkExist(_ ids: [Int64], _ db: Database) throws {
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM follows WHERE id = ?")
        for (i, id) in ids.enumerated() {
            guard try Bool.fetchOne(statement, arguments: [id]) == nil else { continue }
            throw AppendError.invalid(ValidationError(field: "followIDs[\(i)]", reason: "no follow has id \(id)"))
        }
    }

    /// `text` in one line: control characters and runs of white space as one space, trimmed,
    /// at most `limit` characters (the last one `…` when cut).
    static func oneLine(_ text: String, limit: Int) -> String {
        var out = String.UnicodeScalarView()
        var space = false
        for s in text.unicodeScalars {
            if s.properties.generalCategory == .control || s.properties.isWhitespace {
                space = !out.isEmpty
                continue
            }
            if space { out.append(" ") }
            space = false
            out.append(s)
        }
        let line = String(out)
        return line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
    }

    // MARK: - Reading

    static func activeFollow(_ db: Database, _ target: FollowTarget) throws -> Follow? {
        try readFollows(db, where: "f.kind = ? AND f.target = ? AND f.removed_at IS NULL", [target.kind, target.text])
            .first
    }

    /// The rows of `ids`, in the order given, once each.
    static func readFollows(_ db: Database, ids: [Int64]) throws -> [Follow] {
        var seen = Set<Int64>()
        return try ids.filter { seen.insert($0).inserted }.compactMap {
            try readFollows(db, where: "f.id = ?", [$0]).first
        }
    }

    static func readFollows(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [Follow]
    {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT f.id, f.kind, f.target, f.added_at, f.added_by, f.removed_at, f.removed_by,
                       s.follow_id, s.watermark, s.last_success_at, s.last_attempt_at, s.last_error, s.last_error_at,
                       s.last_synced_by, s.studies_checked, s.events_recorded
                FROM follows f LEFT JOIN follow_sync s ON s.follow_id = f.id
                WHERE \(condition) ORDER BY f.id
                """,
            arguments: arguments)
        return try rows.map(follow)
    }

    private static func follow(_ row: Row) throws -> Follow {
        let id: Int64 = row[0]
        func bad(_ what: String) -> StoreError { .database("follow \(id) cannot be read: \(what)") }
        func time(_ index: Int) throws -> Timestamp? {
            guard let text = row[index] as String? else { return nil }
            do { return try Timestamp(parsing: text) } catch { throw bad("'\(text)' is not a time") }
        }
        let target: FollowTarget
        do { target = try FollowTarget(kind: row[1], target: row[2]) } catch { throw bad("\(error)") }
        guard let addedAt = try time(3) else { throw bad("no added_at") }
        var sync: FollowSyncState?
        if (row[7] as Int64?) != nil {
            guard let attempt = try time(10) else { throw bad("no last_attempt_at") }
            var watermark: Day?
            if let text = row[8] as String? {
                guard let day = Day(text) else { throw bad("watermark '\(text)' is not a day") }
                watermark = day
            }
            sync = FollowSyncState(
                watermark: watermark, lastSuccessAt: try time(9), lastAttemptAt: attempt, lastError: row[11],
                lastErrorAt: try time(12), lastSyncedBy: row[13], studiesChecked: row[14], eventsRecorded: row[15])
        }
        return Follow(
            id: id, target: target, addedAt: addedAt, addedBy: row[4], removedAt: try time(5), removedBy: row[6],
            sync: sync)
    }
}
