import Foundation
import NIOConcurrencyHelpers

/// One trialsd per database and per socket, checked before anything is touched: a second
/// daemon on the same database used to start and fail only at its first append, and one on the
/// same socket path silently took the socket over (the first, still running, became
/// unreachable). The lock is an exclusive `flock(2)` on the database file itself, held for the
/// process's life (SQLite locks with `fcntl` byte ranges, which do not interact with `flock` on
/// Linux); the socket is checked by connecting to it before the stale file is removed.
public final class DatabaseLock: Sendable {
    /// The locked file's descriptor; -1 once released.
    private let fd: NIOLockedValueBox<Int32>
    public let path: String

    /// Takes the lock, creating the database's directory and an empty file if there is none
    /// (an empty file is an empty SQLite database). Throws, naming the path and the process that
    /// holds it, when another process does.
    public init(databasePath path: String) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try makeDirectory(dir, for: "the database") }
        var fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        if fd < 0, errno == EACCES || errno == EROFS { fd = open(path, O_RDONLY | O_CLOEXEC) }  // reads only
        guard fd >= 0 else {
            throw DaemonError.configuration(
                "cannot open the database \(path): \(String(cString: strerror(errno))); give another --database PATH")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            let holder = Self.holder(of: fd)
            close(fd)
            if error == EWOULDBLOCK {
                throw DaemonError.configuration(
                    "already running on \(path)\(holder.map { " (pid \($0))" } ?? ""); stop it first, or give another --database"
                )
            }
            throw DaemonError.configuration("cannot lock the database \(path): \(String(cString: strerror(error)))")
        }
        self.fd = NIOLockedValueBox(fd)
    }

    /// Gives the lock up (closing the file): once the daemon has stopped and closed the store.
    public func release() {
        fd.withLockedValue { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    deinit { release() }

    /// The pid that holds a `flock` on the file of `fd`, from /proc/locks (Linux), if it says.
    static func holder(of fd: Int32) -> pid_t? {
        var st = stat()
        guard fstat(fd, &st) == 0, let locks = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else {
            return nil
        }
        // "1: FLOCK  ADVISORY  WRITE 1234 08:01:123456 0 EOF": pid, then major:minor:inode in hex.
        let inode = ":\(st.st_ino) "
        for line in locks.split(separator: "\n") where line.contains(" FLOCK ") && line.contains(inode) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 5, let dev = fields.dropFirst(5).first else { continue }
            let parts = dev.split(separator: ":")
            guard parts.count == 3, UInt64(parts[2]) == UInt64(st.st_ino),
                UInt32(parts[0], radix: 16) == major(st.st_dev), UInt32(parts[1], radix: 16) == minor(st.st_dev)
            else { continue }
            if let pid = pid_t(fields[4]), pid > 0 { return pid }
        }
        return nil
    }
}

// glibc's gnu_dev_major / gnu_dev_minor.
private func major(_ dev: UInt) -> UInt32 {
    UInt32(truncatingIfNeeded: ((dev >> 32) & 0xFFFF_F000) | ((dev >> 8) & 0xFFF))
}
private func minor(_ dev: UInt) -> UInt32 { UInt32(truncatingIfNeeded: ((dev >> 12) & 0xFFFF_FF00) | (dev & 0xFF)) }

/// Creates `dir` (and its parents) for `what`, or says in one line why it cannot.
func makeDirectory(_ dir: String, for what: String) throws {
    // What to do: choose another place with the option that sets it.
    let instead = what == "the socket" ? "give another --socket PATH" : "give another --database PATH"
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else {
            throw DaemonError.configuration("cannot use \(dir) for \(what): it is not a directory; \(instead)")
        }
        return
    }
    // The first part of the path that exists and is not a directory, if one is.
    var prefix = dir.hasPrefix("/") ? "" : "."
    for part in dir.split(separator: "/") {
        prefix += "/" + part
        if FileManager.default.fileExists(atPath: prefix, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw DaemonError.configuration(
                "cannot create \(dir) for \(what): \(prefix) is a file, not a directory; \(instead)")
        }
    }
    guard mkdirAll(dir) else {
        throw DaemonError.configuration(
            "cannot create \(dir) for \(what): \(String(cString: strerror(errno))); \(instead)")
    }
}

/// mkdir -p with mode 0755 (the umask applies); false with errno set on failure.
private func mkdirAll(_ dir: String) -> Bool {
    var path = dir.hasPrefix("/") ? "" : "."
    for part in dir.split(separator: "/") {
        path += "/" + part
        if mkdir(path, 0o755) != 0, errno != EEXIST { return false }
    }
    return true
}

/// Whether a live daemon answers on `path`: a connect that succeeds (its pid, by SO_PEERCRED).
/// A path that is not a socket is an error: trialsd does not remove what it did not make.
func checkSocketPathIsFree(_ path: String) throws {
    try checkSocketPathLength(path)
    var st = stat()
    guard lstat(path, &st) == 0 else { return }  // nothing there
    guard (st.st_mode & S_IFMT) == S_IFSOCK else {
        throw DaemonError.configuration("\(path) exists and is not a socket; remove it or give another --socket")
    }
    var addr = try unixAddress(path)
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    // ECONNREFUSED: a stale socket file that nobody listens on (a daemon killed with -9).
    guard connected == 0 || errno == EAGAIN else { return }
    var cred = PeerCredentials(pid: 0, uid: 0, gid: 0)  // laid out as glibc's struct ucred
    var len = socklen_t(MemoryLayout<PeerCredentials>.size)
    let pid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0 ? " (pid \(cred.pid))" : ""
    throw DaemonError.configuration(
        "already running on \(path)\(pid): another daemon answers there; stop it first, or give another --socket")
}

/// A Unix socket's path (sun_path) holds at most 107 bytes: a longer one is refused in one line
/// naming it, before anything is created.
func checkSocketPathLength(_ path: String) throws {
    let bytes = path.utf8.count
    guard bytes > 107 else { return }
    throw DaemonError.configuration(
        "the socket path \(path) is too long (\(bytes) bytes; a Unix socket's path holds at most 107); give a shorter one with --socket PATH"
    )
}
