import Foundation
import GRDB
import TrialDomain

#if canImport(Glibc)
    import Glibc
#endif

/// What `backup(to:)` made: a verified copy of the log as of one moment.
public struct BackupReport: Equatable, Sendable {
    /// The copy's last seq and its hash (recomputed from the copy, event by event).
    public var lastSeq: Int64
    public var headHash: String
    /// The copy's size, in bytes and in database pages.
    public var bytes: Int64
    public var pages: Int
    /// How many `sqlite3_backup_step` calls the copy took (each at most `pagesPerStep` pages).
    public var steps: Int
    /// From the first step to the rename into place, verification included.
    public var seconds: Double
}

/// How far a backup has got, after each step.
public struct BackupProgress: Equatable, Sendable {
    public var totalPages: Int
    public var remainingPages: Int
}

/// Why a backup was refused or failed: one line that names the destination and what to do.
/// Nothing is left at the destination, nor beside it, when one is thrown.
public enum BackupError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The destination exists and `overwrite` was not given.
    case destinationExists(path: String)
    /// The destination's directory does not exist (or is not a directory).
    case noDirectory(path: String, directory: String)
    /// The destination is a directory.
    case destinationIsDirectory(path: String)
    /// The destination is the live database itself.
    case liveDatabase(path: String)
    /// The copy did not verify: it is not kept.
    case notVerified(path: String, problem: String)
    /// SQLite or the file system said no.
    case failed(path: String, reason: String)

    public var description: String {
        switch self {
        case .destinationExists(let p):
            return "cannot back up to \(p): it exists; remove it, give another path, or ask to overwrite it"
        case .noDirectory(let p, let d):
            return "cannot back up to \(p): the directory \(d) does not exist; create it or give another path"
        case .destinationIsDirectory(let p):
            return "cannot back up to \(p): it is a directory; give a file's path in it"
        case .liveDatabase(let p):
            return "cannot back up to \(p): it is the live database itself; give another path"
        case .notVerified(let p, let problem):
            return "the backup to \(p) was not kept: its copy does not verify (\(problem))"
        case .failed(let p, let reason):
            return "the backup to \(p) failed: \(reason)"
        }
    }
}

extension EventStore {
    /// Pages a backup copies per `sqlite3_backup_step` by default: 1024 pages of 4 KiB, 4 MiB,
    /// a few milliseconds a step.
    public static let backupPagesPerStep: Int32 = 1024

    /// Copies the database to `destination` through SQLite's online backup API, on a reader
    /// connection of the store's pool, while appends go on.
    ///
    /// The copy is the log as of the moment the backup's read transaction starts (the pages
    /// are read from that one snapshot, step after step; WAL keeps it for the reader), and a
    /// reader never blocks the writer in WAL mode: appends commit during every step. What it
    /// does hold back is the checkpoints, which cannot copy past the snapshot: the write-ahead
    /// log grows by what is appended during the backup and is checkpointed after it.
    ///
    /// The pages go to a temporary file beside the destination (`.NAME.tmp-XXXXXX`, in the same
    /// directory, so that the rename is atomic), in steps of `pagesPerStep`; the copy is then
    /// opened read-only and its hash chain verified with the store's own `verify` (every hash
    /// recomputed) and compared with the snapshot's head, synced, and renamed into place, and
    /// the directory synced. On any failure the temporary file is removed and the destination
    /// is as it was. `progress` is called after each step; if it throws, the backup stops there.
    ///
    /// Refused, with one line naming the path (`BackupError`): an existing destination unless
    /// `overwrite`, a directory, a directory that does not exist, the live database itself.
    /// The copy is a single file in rollback-journal mode (no `-wal` beside it); a store opened
    /// on it (`trialsd --database COPY`) turns WAL on again.
    @discardableResult
    public func backup(
        to destination: String, overwrite: Bool = false, pagesPerStep: Int32 = EventStore.backupPagesPerStep,
        progress: ((BackupProgress) throws -> Void)? = nil
    ) throws -> BackupReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let target = try BackupTarget.check(destination, liveDatabase: path, overwrite: overwrite)
        // The copy gets the live database's permissions: it holds the same data.
        let temporary = try SafeFile.temporary(beside: target.path, mode: SafeFile.mode(path) ?? 0o640)
        var kept = false
        defer { if !kept { SafeFile.removeDatabase(temporary) } }
        func failed(_ error: Error) -> BackupError {
            if let e = error as? BackupError { return e }
            return .failed(path: target.path, reason: StoreError.oneLine(error))
        }

        // 1. The copy, from one read transaction of a reader connection.
        var snapshot = (lastSeq: Int64(0), headHash: hexString(SHA256Digest.zero))
        var pages = 0, steps = 0
        do {
            let copy = try DatabaseQueue(path: temporary)
            try copy.writeWithoutTransaction { destination in
                try pool.read { source in
                    // The first read starts the snapshot that every step then copies from.
                    if let row = try Row.fetchOne(source, sql: "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
                    {
                        snapshot = (row[0], hexString([UInt8](row[1] as Data)))
                    }
                    try source.backup(to: destination, pagesPerStep: max(1, pagesPerStep)) { p in
                        steps += 1
                        pages = p.totalPageCount
                        if !p.isCompleted {
                            try progress?(
                                BackupProgress(totalPages: p.totalPageCount, remainingPages: p.remainingPageCount))
                        }
                    }
                }
                // The pages carry the live database's WAL mark: make the copy one file that
                // opens read-only without a -wal or -shm beside it.
                try destination.execute(sql: "PRAGMA journal_mode = DELETE")
            }
            try copy.close()
            try progress?(BackupProgress(totalPages: pages, remainingPages: 0))
        } catch {
            throw failed(error)
        }

        // 2. The copy's chain, every hash recomputed, on a read-only connection to it.
        do {
            var config = Configuration()
            config.readonly = true
            let reader = try DatabaseQueue(path: temporary, configuration: config)
            let report = try reader.read { try Self.verify($0) }
            try reader.close()
            guard report.ok else { throw BackupError.notVerified(path: target.path, problem: report.problem ?? "") }
            guard report.lastSeq == snapshot.lastSeq, report.headHash == snapshot.headHash else {
                throw BackupError.notVerified(
                    path: target.path,
                    problem:
                        "it ends at seq \(report.lastSeq) (\(report.headHash)), the log it was copied from at seq \(snapshot.lastSeq) (\(snapshot.headHash))"
                )
            }
        } catch {
            throw failed(error)
        }

        // 3. Durable, then in place.
        let bytes: Int64
        do {
            try SafeFile.sync(temporary)
            bytes = SafeFile.size(temporary)
            try SafeFile.move(temporary, to: target.path, replacing: overwrite)
            kept = true
        } catch {
            throw failed(error)
        }
        do {
            try SafeFile.syncDirectory(of: target.path)
        } catch {
            throw BackupError.failed(
                path: target.path,
                reason:
                    "the verified copy is in place, but its directory could not be synced: \(StoreError.oneLine(error))"
            )
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return BackupReport(
            lastSeq: snapshot.lastSeq, headHash: snapshot.headHash, bytes: bytes, pages: pages, steps: steps,
            seconds: seconds)
    }
}

/// A backup's destination, checked before anything is written.
struct BackupTarget {
    /// Absolute.
    var path: String

    static func check(_ destination: String, liveDatabase: String, overwrite: Bool) throws -> BackupTarget {
        let path = SafeFile.absolute(destination)
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BackupError.noDirectory(path: path, directory: directory)
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw BackupError.destinationIsDirectory(path: path) }
            if SafeFile.sameFile(path, liveDatabase) { throw BackupError.liveDatabase(path: path) }
            // The live database's own -wal and -shm are no place for a copy either.
            if SafeFile.sameFile(path, liveDatabase + "-wal") || SafeFile.sameFile(path, liveDatabase + "-shm") {
                throw BackupError.liveDatabase(path: path)
            }
            if !overwrite { throw BackupError.destinationExists(path: path) }
        }
        return BackupTarget(path: path)
    }
}

/// Files written whole and then put in place: a temporary file beside the destination,
/// synced, renamed (atomic within a directory), the directory synced.
enum SafeFile {
    static func absolute(_ path: String) -> String {
        let p = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (p as NSString).standardizingPath
    }

    /// Whether two paths name the same file (device and inode); false if either is missing.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// The permission bits of `path`, if it exists.
    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o777 : nil
    }

    static func size(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// Makes an empty file `.NAME.tmp-XXXXXX` in `path`'s directory, with `mode` (the umask
    /// applies), and returns its path.
    static func temporary(beside path: String, mode: mode_t) throws -> String {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var template = Array("\(directory)/.\(name).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw posix("cannot make a temporary file in \(directory)") }
        let mask = umask(0)
        umask(mask)
        fchmod(fd, mode & ~mask & 0o777)
        close(fd)
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Removes a database file and whatever SQLite may have left beside it.
    static func removeDatabase(_ path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
    }

    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw posix("cannot open \(path) to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw posix("cannot sync \(path)") }
    }

    static func syncDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw posix("cannot open the directory \(directory) to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw posix("cannot sync the directory \(directory)") }
    }

    /// Puts `temporary` at `path`, atomically: `rename` when replacing; otherwise `link`, which
    /// fails if something appeared at `path` since it was checked, then the temporary's name
    /// is removed.
    static func move(_ temporary: String, to path: String, replacing: Bool) throws {
        if replacing {
            guard rename(temporary, path) == 0 else { throw posix("cannot rename \(temporary) to \(path)") }
            return
        }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { throw BackupError.destinationExists(path: path) }
            throw posix("cannot put the copy at \(path)")
        }
        unlink(temporary)
    }

    static func posix(_ what: String) -> StoreError {
        StoreError.database("\(what): \(String(cString: strerror(errno)))")
    }
}
