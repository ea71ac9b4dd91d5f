import Foundation
import Logging
import NIOCore

/// At the open-files limit (RLIMIT_NOFILE), accept(2) fails with EMFILE and leaves the waiting
/// connection queued, so the listening socket stays readable: trialsd spun in failed accepts,
/// served nobody new and logged nothing (figures in benchmarks/README.md, "Hostile clients").
/// This handler, on the listening channel, answers EMFILE and ENFILE the way
/// libev and nginx do: it gives up a spare descriptor it holds for the purpose, accepts each
/// waiting connection and closes it at once (the client sees the connection closed instead of
/// hanging), takes the spare back, and says so in the log once a minute with the limit's
/// value. Connected clients are served throughout.
final class AcceptLimitHandler: ChannelInboundHandler {
    typealias InboundIn = Channel

    private let listenFD: Int32
    private let logger: Logger
    private var spare: Int32
    private var lastLogged: NIODeadline?
    private var refusedSinceLog = 0

    init(listenFD: Int32, logger: Logger) {
        self.listenFD = listenFD
        self.logger = logger
        spare = open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    deinit { if spare >= 0 { close(spare) } }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let io = error as? IOError, io.errnoCode == EMFILE || io.errnoCode == ENFILE else {
            return context.fireErrorCaught(error)
        }
        if spare >= 0 {
            close(spare)
            spare = -1
        }
        while true {
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { break }  // EAGAIN: none waiting (or still none free: ENFILE)
            close(fd)
            refusedSinceLog += 1
        }
        spare = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let now = NIODeadline.now()
        if lastLogged.map({ now - $0 >= .seconds(60) }) ?? true {
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            let which =
                io.errnoCode == EMFILE
                ? "trialsd's limit of \(limit.rlim_cur) open files (RLIMIT_NOFILE)" : "the system's limit of open files"
            logger.warning(
                "at \(which): closed \(refusedSinceLog) new connection\(refusedSinceLog == 1 ? "" : "s") at once; connected clients are served; raise LimitNOFILE= (or ulimit -n)"
            )
            lastLogged = now
            refusedSinceLog = 0
        }
    }
}

/// A listening Unix socket bound at `path` (mode from the umask), made here rather than by
/// the bootstrap so that its descriptor is known to `AcceptLimitHandler`.
func listeningSocket(path: String, backlog: Int32) throws -> Int32 {
    let fd = socket(
        AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    guard fd >= 0 else {
        throw DaemonError.configuration("cannot make a socket for \(path): \(String(cString: strerror(errno)))")
    }
    var addr: sockaddr_un
    do { addr = try unixAddress(path) } catch {
        close(fd)
        throw error
    }
    unlink(path)  // a stale socket: checkSocketPathIsFree found nobody answering there
    let bound = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            Foundation.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard bound == 0, listen(fd, backlog) == 0 else {
        let reason = String(cString: strerror(errno))
        close(fd)
        throw DaemonError.configuration("cannot listen on \(path): \(reason)")
    }
    return fd
}

/// Raises the soft limit of open files to the hard one, as systemd advises for programs that
/// do not use select(2): each client is a descriptor. Returns the limit in force.
@discardableResult
public func raiseOpenFilesLimit() -> UInt64 {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
    }
    return UInt64(limit.rlim_cur)
}

/// The address of a Unix socket at `path`, or a one-line error when the path is too long.
func unixAddress(_ path: String) throws -> sockaddr_un {
    try checkSocketPathLength(path)
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
    return addr
}
