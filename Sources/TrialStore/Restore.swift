import Foundation
import GRDB
import TrialDomain

#if canImport(Glibc)
    import Glibc
#endif

/// What `restore` made.
public struct RestoreReport: Equatable, Sendable {
    public var events: Int64
    public var trials: Int
    /// The restored log's head: the file's last line's hash, recomputed line by line.
    public var lastSeq: Int64
    public var headHash: String
    public var seconds: Double
}

/// Why a restore was refused: one line, `FILE:LINE: reason` when a line is at fault. Nothing
/// was written to the database when one is thrown.
public struct RestoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The export file, as given.
    public var file: String
    /// The 1-based line at fault; nil when the refusal is not about a line (the database).
    public var line: Int?
    public var reason: String

    public var description: String {
        if let line { return "\(file):\(line): \(reason)" }
        return reason
    }
}

extension EventStore {
    /// Rebuilds a database from an export (`export(to:)`, the whole log): into `database`,
    /// which must not exist, or be empty (a zero-length file, or a trialtrack database with no
    /// events and no follows).
    ///
    /// Each line is checked as it is read: well-formed JSON with exactly the fields an export
    /// writes, the next seq after the previous line's (the first is seq 1), a known type, dates
    /// that parse, a payload its type accepts, and a hash that is the chain link of the
    /// previous line's hash and the line's own content (`RecordedEvent.hashedContent`; the
    /// payload's canonical text). The log's triggers check that each is its trial's next
    /// version and that no id comes twice. The first line at fault refuses the whole file,
    /// with its number and why (`RestoreError`).
    ///
    /// The events go into a new database in a temporary file beside `database`
    /// (`.NAME.tmp-XXXXXX`), in one transaction; then the projections are rebuilt from them
    /// (`rebuild`) and the chain verified; only then is the file synced and renamed into place,
    /// and the directory synced. On any failure the temporary file is removed and `database`
    /// is as it was. Reads the file a buffer at a time: memory stays the same whatever its size.
    @discardableResult
    public static func restore(
        from file: String, into database: String, configuration: StoreConfiguration = StoreConfiguration()
    )
        throws -> RestoreReport
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let target = SafeFile.absolute(database)
        func refuse(_ reason: String, line: Int? = nil) -> RestoreError {
            RestoreError(file: file, line: line, reason: reason)
        }

        let directory = (target as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw refuse(
                "cannot restore into \(target): the directory \(directory) does not exist; create it or give another --database"
            )
        }
        guard let reader = LineReader(path: file) else {
            throw refuse("cannot read \(file): \(String(cString: strerror(errno)))")
        }
        // No trialsd on it meanwhile: the daemon holds this lock for its life (DatabaseLock).
        let lock = try DestinationLock(target, refuse: { refuse($0) })
        defer { lock.release() }
        let existing = FileManager.default.fileExists(atPath: target)
        if existing { try checkEmpty(target, refuse: { refuse($0) }) }

        // The mode of the database it replaces, else the one trialsd makes a database with.
        let temporary = try SafeFile.temporary(beside: target, mode: SafeFile.mode(target) ?? 0o640)
        var kept = false
        defer { if !kept { SafeFile.removeDatabase(temporary) } }
        var config = configuration
        config.backgroundCheckpoints = false
        config.newTrialsNeedRegistration = false
        let store = try EventStore(path: temporary, configuration: config)
        var closed = false
        defer { if !closed { try? store.close() } }

        // 1. The events, in one transaction: all of them or none.
        var last = (seq: Int64(0), hash: SHA256Digest.zero)
        try store.pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let insert = try db.cachedStatement(sql: WriterSQL.insertEvent)
                let hasher = ChainHasher()
                var number = 0
                while let bytes = try reader.next() {
                    number += 1
                    if bytes.isEmpty, reader.atEnd { break }  // the newline that ends the file
                    let line = try ExportLine(
                        bytes, previous: last, hasher: hasher, refuse: { refuse($0, line: number) })
                    var st = RawStatement(insert)
                    st.bind(line.seq)
                    st.bind(line.id)
                    st.bind(line.trial)
                    st.bind(line.version)
                    st.bind(line.type.rawValue)
                    st.bind(line.occurred)
                    st.bind(line.recorded)
                    st.bind(line.recordedBy)
                    st.bind(line.source)
                    st.bind(line.payloadText)
                    st.bind(line.hash)
                    do {
                        try st.run()
                    } catch let e as DatabaseError {
                        throw refuse("the log refuses seq \(line.seq): \(e.message ?? "\(e.resultCode)")", line: number)
                    }
                    last = (line.seq, line.hash)
                }
                return .commit
            }
            try store.writer.load(db)
        }

        // 2. The projections, from the log; then the chain as the store reads it.
        let rebuilt = try store.rebuild()
        let verified = try store.verify()
        guard verified.ok, verified.lastSeq == last.seq, verified.headHash == hexString(last.hash) else {
            throw refuse(
                "the restored log does not verify (\(verified.problem ?? "it ends at seq \(verified.lastSeq)")); nothing was written to \(target)"
            )
        }
        closed = true
        try store.close()  // the WAL checkpointed into the file: the file alone holds the log

        // 3. Durable, then in place. The replaced file was empty; its -wal and -shm belong
        // to it, not to the new file, and go first.
        for suffix in ["-wal", "-shm"] {
            unlink(temporary + suffix)
            if existing { unlink(target + suffix) }
        }
        try SafeFile.sync(temporary)
        guard rename(temporary, target) == 0 else { throw SafeFile.posix("cannot rename \(temporary) to \(target)") }
        kept = true
        try SafeFile.syncDirectory(of: target)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return RestoreReport(
            events: rebuilt.events, trials: rebuilt.trials, lastSeq: last.seq, headHash: hexString(last.hash),
            seconds: seconds)
    }

    /// Refuses a database that holds anything: events, follows, or another application's tables.
    private static func checkEmpty(_ path: String, refuse: (String) -> RestoreError) throws {
        guard SafeFile.size(path) > 0 else { return }
        // A read-only connection to a database in WAL mode makes its -wal and -shm when they
        // are missing: those it made go again, so that a refused restore leaves nothing.
        let sideFiles = ["-wal", "-shm"].map { path + $0 }.filter { !FileManager.default.fileExists(atPath: $0) }
        defer { for f in sideFiles { unlink(f) } }
        let counts: (events: Int64, follows: Int64, tables: [String])
        do {
            var config = Configuration()
            config.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            counts = try queue.read { db in
                let tables = try String.fetchAll(
                    db,
                    sql:
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
                let events =
                    tables.contains("events") ? try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 : 0
                let follows =
                    tables.contains("follows") ? try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM follows") ?? 0 : 0
                return (events, follows, tables)
            }
        } catch {
            throw refuse(
                "cannot restore into \(path): it cannot be read as a database (\(StoreError.oneLine(error))); give another --database"
            )
        }
        if counts.events > 0 || counts.follows > 0 {
            throw refuse(
                "cannot restore into \(path): it is not empty (\(counts.events) events, \(counts.follows) follows); give a new --database"
            )
        }
        if !counts.tables.isEmpty, !counts.tables.contains("events") {
            throw refuse(
                "cannot restore into \(path): it is another application's database (tables: \(counts.tables.prefix(6).joined(separator: ", "))); give a new --database"
            )
        }
    }
}

/// One line of an export, checked: its fields, its place after the previous line, and its hash.
struct ExportLine {
    var seq: Int64
    var id: String
    var trial: String
    var version: Int64
    var type: EventType
    var occurred: String
    var recorded: String
    var recordedBy: String
    var source: String?
    var payloadText: String
    var hash: [UInt8]

    static let fields: Set<String> = [
        "hash", "id", "occurred", "payload", "recorded", "recordedBy", "seq", "source", "trial", "type", "version",
    ]

    init(_ bytes: [UInt8], previous: (seq: Int64, hash: [UInt8]), hasher: ChainHasher, refuse: (String) -> RestoreError)
        throws
    {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw refuse("malformed line: \(error)") }
        guard let object = json.objectValue else {
            throw refuse("malformed line: \(json.kindName), not an event object")
        }
        if let unknown = object.keys.first(where: { !Self.fields.contains($0) }) {
            throw refuse("malformed line: unknown field '\(unknown)'")
        }
        func string(_ key: String) throws -> String {
            guard let v = object[key] else { throw refuse("malformed line: no '\(key)'") }
            guard let s = v.stringValue else { throw refuse("malformed line: '\(key)' is \(v.kindName), not a string") }
            return s
        }
        func int(_ key: String) throws -> Int64 {
            guard let v = object[key] else { throw refuse("malformed line: no '\(key)'") }
            guard case .int(let i) = v else {
                throw refuse("malformed line: '\(key)' is \(v.kindName), not an integer")
            }
            return i
        }
        seq = try int("seq")
        guard seq == previous.seq + 1 else {
            if previous.seq == 0 {
                throw refuse(
                    "the log starts at seq \(seq), not 1: a restore needs the whole log (an export without since)")
            }
            throw refuse(
                seq > previous.seq + 1
                    ? "seq \(seq) does not follow seq \(previous.seq): seq \(previous.seq + 1)\(seq > previous.seq + 2 ? "–\(seq - 1)" : "") missing"
                    : "seq \(seq) does not follow seq \(previous.seq): out of order or repeated")
        }
        id = try string("id")
        trial = try string("trial")
        version = try int("version")
        let typeName = try string("type")
        guard let type = EventType.named(typeName) else { throw refuse("malformed line: unknown type '\(typeName)'") }
        self.type = type
        occurred = try string("occurred")
        recorded = try string("recorded")
        recordedBy = try string("recordedBy")
        if let s = object["source"] {
            guard let text = s.stringValue else {
                throw refuse("malformed line: 'source' is \(s.kindName), not a string")
            }
            source = text
        } else {
            source = nil
        }
        do { _ = try PartialDate(parsing: occurred) } catch { throw refuse("malformed line: 'occurred': \(error)") }
        do { _ = try Timestamp(parsing: recorded) } catch { throw refuse("malformed line: 'recorded': \(error)") }
        guard let payload = object["payload"] else { throw refuse("malformed line: no 'payload'") }
        do { _ = try Payload(type: type, json: payload) } catch { throw refuse("malformed line: 'payload': \(error)") }
        payloadText = payload.canonicalText
        let hex = try string("hash")
        guard let hash = Self.bytes(hex: hex) else {
            throw refuse("malformed line: 'hash' is not 64 hexadecimal digits")
        }
        self.hash = hash
        let content = RecordedEvent.hashedContent(
            seq: seq, id: id, trial: trial, version: version, type: type, occurredText: occurred,
            recordedText: recorded,
            recordedBy: recordedBy, source: source, payloadText: payloadText)
        let link = hasher.link(previous: previous.hash, content: content)
        guard link == hash else {
            throw refuse(
                "hash does not follow \(previous.seq == 0 ? "the start of the log" : "seq \(previous.seq)'s"): the line's content or its hash "
                    + "was changed (its content hashes to \(hexString(link)), the line says \(hex))")
        }
    }

    static func bytes(hex: String) -> [UInt8]? {
        let u = Array(hex.utf8)
        guard u.count == 64 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }
}

/// Reads a file line by line, a buffer at a time.
final class LineReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    /// True once the last line has been handed out.
    private(set) var atEnd = false

    init?(path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
    }

    deinit { close(fd) }

    /// The next line without its newline; nil after the last. A file that ends with a newline
    /// ends with an empty line, `atEnd` then true.
    func next() throws -> [UInt8]? {
        if atEnd { return nil }
        while true {
            if let nl = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                return line
            }
            if eof {
                atEnd = true
                let line = Array(buffer[start...])
                buffer.removeAll()
                start = 0
                return line
            }
            buffer.removeSubrange(0..<start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SafeFile.posix("cannot read the export")
            }
            if n == 0 { eof = true } else { buffer.append(contentsOf: chunk[0..<n]) }
        }
    }
}

/// An exclusive `flock` on the destination, as trialsd holds on its database: a restore never
/// replaces a database a daemon serves.
final class DestinationLock {
    private var fd: Int32

    init(_ path: String, refuse: (String) -> RestoreError) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return }  // a new file: nothing to lock yet
            throw refuse("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            fd = -1
            throw refuse(
                "cannot restore into \(path): a trialsd is running on it; stop it first, or give a new --database")
        }
    }

    func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }
}
