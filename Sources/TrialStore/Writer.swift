import Foundation
import GRDB
import TrialDomain

/// A refused group: which of its events was refused, and why.
public struct GroupError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The index of the refused event within its group.
    public var index: Int
    public var error: AppendError
    public var description: String { index == 0 ? error.description : "event \(index + 1): \(error)" }
}

/// The single writer's state: the chain head and the fold cache. Only touched inside the
/// pool's serialised write closures.
final class WriterState {
    var lastSeq: Int64 = 0
    var lastHash = SHA256Digest.zero
    var lastRecorded = Timestamp(microseconds: 0)
    var cache: FoldCache
    var ids = EventIDGenerator()
    private let hasher = ChainHasher()
    /// The histories (lifecycle detail) replays read in the open transaction, each with the
    /// events appended to its trial since: another replay of the same trial in the same
    /// transaction reads no history again. Dropped at its end, and when a group is refused.
    var histories: [String: [RecordedEvent]] = [:]
    /// Appends applied by each path since the store opened (in order, merged among the recent
    /// facts, replayed with the history; the last split by where the history came from).
    var paths = (inOrder: 0, merged: 0, replayed: 0, historiesRead: 0)
    /// Trials appended to in the open transaction: their `trials` rows are written once, at
    /// its end, however many of their events it holds.
    var dirty: [String: TrialSummary] = [:]
    /// Events of each type appended in the open transaction: `event_counts` gets them once, at
    /// its end.
    var typeCounts: [EventType: Int64] = [:]
    /// Trials the open transaction made (their first event): added to `trial_count` at its end.
    private var newTrials = 0
    /// Alias → trial key, as the writer wrote them (bounded; cleared with the cache).
    private var aliasCache: [String: String] = [:]
    /// How many aliases `aliasCache` holds before it is cleared; 0 keeps none.
    private let aliasCacheCapacity: Int
    /// The last recording time written and its text: a batch's events share one time.
    private var recordedText = (Timestamp(microseconds: -1), "")

    /// The open transaction's prepared statements.
    private struct Statements {
        let projections: ProjectionWriter
        let insertEvent: Statement
    }

    /// What a group changed in memory, put back if the group is refused (its savepoint is
    /// rolled back): each trial's cached fold and pending `trials` row as they were before it.
    private struct GroupUndo {
        /// False for a group of one event, which is checked in full before anything changes.
        var recording: Bool
        var trials: [String: (fold: TrialFold?, summary: TrialSummary?)] = [:]
        var aliasesChanged = false
    }

    /// Whether only a registration (or an event expecting version 0) may start a trial.
    let newTrialsNeedRegistration: Bool

    init(cacheCapacity: Int, aliasCacheCapacity: Int = 100_000, newTrialsNeedRegistration: Bool = false) {
        cache = FoldCache(capacity: cacheCapacity)
        self.aliasCacheCapacity = max(0, aliasCacheCapacity)
        self.newTrialsNeedRegistration = newTrialsNeedRegistration
    }

    /// Forgets everything derived from the tables (after a rebuild).
    func forget() {
        cache.removeAll()
        histories.removeAll()
        dirty.removeAll()
        typeCounts.removeAll()
        newTrials = 0
        aliasCache.removeAll()
    }

    /// Reads the chain head from the file.
    func load(_ db: Database) throws {
        if let row = try Row.fetchOne(db, sql: "SELECT seq, hash, recorded FROM events ORDER BY seq DESC LIMIT 1") {
            lastSeq = row[0]
            lastHash = [UInt8](row[1] as Data)
            lastRecorded = (try? Timestamp(parsing: row[2])) ?? Timestamp(microseconds: 0)
        } else {
            lastSeq = 0
            lastHash = SHA256Digest.zero
            lastRecorded = Timestamp(microseconds: 0)
        }
        forget()
    }

    func append(_ groups: [(events: [NewEvent], recordedBy: String)], db: Database, clock: () -> Timestamp) throws
        -> [Result<[AppendOutcome], GroupError>]
    {
        var results: [Result<[AppendOutcome], GroupError>] = []
        results.reserveCapacity(groups.count)
        let now = clock()
        do {
            let statements = Statements(
                projections: try ProjectionWriter(db), insertEvent: try db.cachedStatement(sql: WriterSQL.insertEvent))
            try db.inTransaction(.immediate) {
                for group in groups {
                    results.append(
                        try appendGroup(group.events, recordedBy: group.recordedBy, db: db, statements, now: now))
                }
                for summary in dirty.values { try statements.projections.writeTrialRow(TrialRow(summary)) }
                dirty.removeAll(keepingCapacity: true)
                try ProjectionWriter.addEventCounts(typeCounts, db)
                typeCounts.removeAll(keepingCapacity: true)
                try ProjectionWriter.addTrials(newTrials, db)
                newTrials = 0
                histories.removeAll()
                return .commit
            }
        } catch {
            // The transaction did not commit: memory must match the file again.
            try? load(db)
            throw error
        }
        return results
    }

    private func appendGroup(
        _ events: [NewEvent], recordedBy: String, db: Database, _ statements: Statements, now: Timestamp
    ) throws
        -> Result<[AppendOutcome], GroupError>
    {
        let head = (lastSeq, lastHash, lastRecorded)
        var undo = GroupUndo(recording: events.count > 1)
        var outcomes: [AppendOutcome] = []
        var failure: GroupError?
        let body = {
            for (i, e) in events.enumerated() {
                do {
                    outcomes.append(
                        try self.appendOne(e, recordedBy: recordedBy, db: db, statements, now: now, undo: &undo))
                } catch let error as AppendError {
                    failure = GroupError(index: i, error: error)
                    break
                }
            }
        }
        if events.count == 1 {
            // A single event is checked in full before anything is written: no savepoint needed.
            try body()
        } else {
            try db.inSavepoint {
                try body()
                return failure == nil ? .commit : .rollback
            }
        }
        if let failure {
            (lastSeq, lastHash, lastRecorded) = head
            for (key, was) in undo.trials {
                cache.put(key, was.fold)
                dirty[key] = was.summary
                histories[key] = nil  // it holds the group's events, taken back
            }
            if undo.aliasesChanged { aliasCache.removeAll() }
            return .failure(failure)
        }
        // Counted once the group stands: a refused group's savepoint took its events back.
        for o in outcomes where !o.replayed {
            typeCounts[o.event.type, default: 0] += 1
            if o.event.version == 1 { newTrials += 1 }
        }
        return .success(outcomes)
    }

    /// The trial an alias names, if any, by its look-up key (`caseFolded`).
    func resolve(_ db: Database, lookup: String) throws -> String? {
        if let key = aliasCache[lookup] { return key }
        var st = RawStatement(try db.cachedStatement(sql: WriterSQL.lookUpAlias))
        st.bind(lookup)
        let key = try st.firstText()
        if let key { cacheAlias(lookup, key) }
        return key
    }

    /// Remembers an alias's trial, clearing the cache first when it is full.
    private func cacheAlias(_ lookup: String, _ key: String) {
        guard aliasCacheCapacity > 0 else { return }
        if aliasCache.count >= aliasCacheCapacity { aliasCache.removeAll(keepingCapacity: true) }
        aliasCache[lookup] = key
    }

    /// The trial's fold: from the cache, else replayed from the log (`history`: the events that
    /// replay read, which an out-of-order append replays again with its new event).
    func fold(_ db: Database, key: String) throws -> (fold: TrialFold, history: [RecordedEvent]?) {
        if let f = cache.get(key) { return (f, nil) }
        let events = try EventRows.trialEvents(db, trial: key, forFold: true, detail: .lifecycle)
        var f = ((try? TrialFold.fold(key: key, events: events, lenient: true)) ?? TrialFold(key: key)).compacted()
        // Without its recent facts: most trials are only appended to in world order; one that
        // is not replays once (with `events`, read here) and keeps them from then on.
        f.forgetRecent()
        cache.put(key, f)
        return (f, events)
    }

    private func appendOne(
        _ submitted: NewEvent, recordedBy: String, db: Database, _ statements: Statements, now: Timestamp,
        undo: inout GroupUndo
    ) throws -> AppendOutcome {
        // 0. Events built in code (an importer, the overdue watcher) get the checks parsed ones
        // got: the payload is validated through its JSON, and what is stored is that form.
        var e = submitted
        let payloadText: String
        do { payloadText = try e.validate() } catch { throw AppendError.invalid(error) }
        do { try e.checkDate(today: now.day) } catch { throw AppendError.invalid(error) }

        // 1. Which trial.
        let key: String
        var target: RecordedEvent?
        // No alias names it: a trial with no events yet (every trial's key is an alias), so
        // there is nothing to replay.
        var isNew = false
        switch e.payload {
        case .corrected(let c):
            target = try amendable(db, seq: c.target, given: e.trial)
            do { _ = try Payload(type: target!.type, json: c.payload) } catch {
                throw AppendError.invalid(error.under("payload.payload"))
            }
            key = target!.trial
        case .retracted(let r):
            target = try amendable(db, seq: r.target, given: e.trial)
            key = target!.trial
        default:
            guard let ref = e.trial else {
                throw AppendError.invalid(ValidationError(field: "trial", reason: "missing (required)"))
            }
            if let known = try resolve(db, lookup: ref.lookupKey) {
                key = known
            } else {
                // Only a registration, or an event that says the trial is new, starts a trial.
                guard !newTrialsNeedRegistration || e.type == .registered || e.expectedVersion == 0 else {
                    throw AppendError.noSuchTrial(
                        trial: ref.text, didYouMean: try EventStore.closestTrialName(db, to: ref.text))
                }
                key = ref.text
                isNew = true
            }
        }

        // 2. Idempotency: the same id and content is the first result; other content is refused.
        if let id = e.id, let existing = try EventRows.event(db, id: id) {
            guard existing.trial == key, existing.payload == e.payload, existing.occurred == e.occurred,
                existing.source == e.source
            else {
                throw AppendError.idConflict(id: id, seq: existing.seq)
            }
            return AppendOutcome(event: existing, trial: try fold(db, key: key).fold.summary, replayed: true)
        }

        // 3. Optimistic concurrency.
        let (old, replayed) = isNew ? (TrialFold(key: key), [RecordedEvent]()) : try fold(db, key: key)
        if let expected = e.expectedVersion, expected != old.summary.version {
            throw AppendError.wrongExpectedVersion(trial: key, expected: expected, current: old.summary.version)
        }

        // 4. The record.
        let seq = lastSeq + 1
        let recorded = max(now, lastRecorded)
        var record = RecordedEvent(
            seq: seq, id: e.id ?? ids.next(at: recorded), trial: key, version: old.summary.version + 1,
            payload: e.payload, occurred: e.occurred, recorded: recorded, recordedBy: recordedBy, source: e.source,
            hash: [],
            payloadText: payloadText)

        // 5. The lifecycle: in order, apply; otherwise replay the trial with the new event.
        // A fact that sorts among the trial's recent facts (a forecast made lately, the last few
        // events: what imports and backfills append) is merged by refolding those alone; only
        // an amendment, or a fact older than all of them, replays the trial's history.
        var new: TrialFold
        let change: ProjectionWriter.Change
        var history: [RecordedEvent]?
        do {
            if old.canApplyInOrder(record) {
                new = old
                try new.apply(record)
                change = .inOrder
                paths.inOrder += 1
            } else if target == nil, old.canMerge(record) {
                new = old
                try new.merge(record)
                change = .merged(seq: seq)
                paths.merged += 1
            } else {
                // The history this transaction read already (kept up to date below), else the log.
                paths.replayed += 1
                if histories[key] == nil && replayed == nil { paths.historiesRead += 1 }
                var events =
                    try histories[key] ?? replayed
                    ?? EventRows.trialEvents(db, trial: key, forFold: true, detail: .lifecycle)
                if let target {
                    if let r = events.first(where: {
                        if case .retracted(let x) = $0.payload { return x.target == target.seq }; return false
                    }) {
                        throw AppendError.notAmendable(seq: target.seq, reason: "it was retracted by seq \(r.seq)")
                    }
                }
                events.append(record)
                new = try TrialFold.fold(key: key, events: events, strictSeq: seq)
                change = .replayed
                history = events
            }
        } catch let v as LifecycleViolation {
            throw AppendError.contradiction(v)
        }
        // Its text is written into the trial's row and the reply: made once, here.
        new.settleMilestoneText()

        // 6. New identifiers must not name another trial (only a registration brings any).
        // Each side's identifiers with their look-up keys, made once for the check and the cache.
        let renamed = old.summary.version == 0 || !old.summary.hasSameRegistration(as: new.summary)
        let aliases =
            renamed
            ? (
                old: old.summary.aliasesWithLookupKeys.map(\.lookup),
                new: new.summary.aliasesWithLookupKeys.map { (id: $0.id, lookup: $0.lookup) }
            )
            : nil
        if let aliases {
            let had = Set(aliases.old)
            for alias in aliases.new where !had.contains(alias.lookup) {
                if let owner = try resolve(db, lookup: alias.lookup), owner != key {
                    throw AppendError.identifierTaken(identifier: alias.id, trial: owner)
                }
            }
        }

        // 7. Write: the event with its chain link, then the projections.
        if recorded != self.recordedText.0 { self.recordedText = (recorded, recorded.description) }
        let occurredText = record.occurred.description, recordedText = self.recordedText.1
        record.hash = hasher.link(
            previous: lastHash,
            content: RecordedEvent.hashedContent(
                seq: seq, id: record.id, trial: key, version: record.version, type: record.type,
                occurredText: occurredText,
                recordedText: recordedText, recordedBy: recordedBy, source: record.source, payloadText: payloadText))
        var insert = RawStatement(statements.insertEvent)
        insert.bind(seq)
        insert.bind(record.id)
        insert.bind(key)
        insert.bind(record.version)
        insert.bind(record.type.rawValue)
        insert.bind(occurredText)
        insert.bind(recordedText)
        insert.bind(recordedBy)
        insert.bind(record.source)
        insert.bind(payloadText)
        insert.bind(record.hash)
        do {
            try insert.run()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            // Only a concurrent writer outside this process can get here. The transaction is
            // rolled back and the writer reads the log's head again (`append`'s catch).
            throw StoreError.database(
                "another process appended to the log (only one trialsd may write a database); nothing of this batch was written, "
                    + "and the next append goes on after that process's events: \(error.message ?? "")")
        }
        try statements.projections.write(old: old.summary.version == 0 ? nil : old, new: new, change: change)
        if let history {
            histories[key] = history
        } else {
            histories[key]?.append(record)
        }
        if let aliases {
            for lookup in aliases.old { aliasCache[lookup] = nil }
            for alias in aliases.new { cacheAlias(alias.lookup, key) }
            undo.aliasesChanged = true
        }
        // A group of one is checked in full before anything changes, so it needs no undo.
        if undo.recording, undo.trials[key] == nil { undo.trials[key] = (cache.peek(key), dirty[key]) }
        dirty[key] = new.summary
        lastSeq = seq
        lastHash = record.hash
        lastRecorded = recorded
        let outcome = AppendOutcome(event: record, trial: new.summary, replayed: false)
        new.compact()
        cache.put(key, new)
        return outcome
    }

    /// The event a correction or retraction names, if it may be amended.
    private func amendable(_ db: Database, seq: Int64, given: TrialReference?) throws -> RecordedEvent {
        guard let target = try EventRows.event(db, seq: seq) else { throw AppendError.noSuchEvent(seq: seq) }
        if target.type.isAmendment {
            throw AppendError.notAmendable(
                seq: seq, reason: "it is a \(target.type.rawValue) event; amend seq \(target.amendedSeq) instead")
        }
        if let given {
            let owner = try resolve(db, lookup: given.lookupKey) ?? given.text
            if owner != target.trial { throw AppendError.wrongTrial(seq: seq, trial: target.trial, given: given.text) }
        }
        return target
    }
}

extension RecordedEvent {
    /// The seq a correction or retraction names (0 for other events).
    var amendedSeq: Int64 {
        switch payload {
        case .corrected(let c): c.target
        case .retracted(let r): r.target
        default: 0
        }
    }
}

/// Time-ordered (version 7, RFC 9562) UUIDs for events that come without an id.
///
/// Version 7 rather than random version 4: ids made one after another sort one after another,
/// so the `event_id` index grows at its right edge and a commit dirties one of its pages, not
/// one page per event (a random id lands on a random page, and each dirty page is 4 KiB of WAL).
/// Layout: 48 bits of Unix milliseconds, the version, a 12-bit counter that orders ids made in
/// the same millisecond (RFC 9562 §6.2, method 1; it borrows the next millisecond if it runs
/// out), the variant and 62 random bits. Ids must be unique, not secret: the random bits come
/// from a fast generator seeded from the system's. SPI, for Benchmarks/ (its raw baseline
/// makes rows of the same kind); this package's tests use it too.
@_spi(Benchmarks) public struct EventIDGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    private var lastMillis: UInt64 = 0
    private var counter: UInt64 = 0

    public init() {
        var sys = SystemRandomNumberGenerator()
        s = (sys.next(), sys.next(), sys.next(), sys.next() | 1)
    }

    /// xoshiro256**
    private mutating func next64() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// The next id, for an event recorded at `time`; always greater than the previous one.
    public mutating func next(at time: Timestamp) -> String {
        let millis = UInt64(max(0, time.microseconds / 1000)) & 0xFFFF_FFFF_FFFF
        if millis > lastMillis {
            lastMillis = millis
            counter = next64() & 0x3FF  // a random start, leaving room to count up
        } else if counter < 0xFFF {
            counter += 1
        } else {
            lastMillis += 1
            counter = 0
        }
        let a = lastMillis << 16 | 0x7000 | counter
        let b = (next64() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000  // variant 10
        return Self.text(a, b)
    }

    /// 8-4-4-4-12 lower-case hexadecimal digits (which sort as the number does).
    static func text(_ a: UInt64, _ b: UInt64) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { out in
            var i = 0
            digits.withUTF8Buffer { d in
                for (n, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
                    if n == 8 || n == 12 { out[i] = UInt8(ascii: "-"); i += 1 }
                    out[i] = d[Int((a >> UInt64(shift)) & 0xF)]; i += 1
                }
                for (n, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
                    if n == 0 || n == 4 { out[i] = UInt8(ascii: "-"); i += 1 }
                    out[i] = d[Int((b >> UInt64(shift)) & 0xF)]; i += 1
                }
            }
            return i
        }
    }
}
