import Foundation

/// The write end of `SignalCatcher`'s pipe, for the signal handler (a C function that can
/// capture nothing). Set before the handler is installed, so the handler only ever reads it.
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1

/// SIGTERM, SIGINT and SIGHUP, caught from the moment `install` returns and handed, in order,
/// to `handler` on a thread of its own.
///
/// Not a DispatchSource: on Linux libdispatch installs its signal handler when the source's
/// registration runs on its manager thread, some time after `resume()`. Before that the signal
/// is ignored (`SIG_IGN`, which a source needs) or kills the process: a SIGTERM sent right
/// after READY=1 (systemd stopping a service it just started; a test) was lost, and trialsd
/// never stopped. Here `sigaction` installs the handler synchronously, and the handler only
/// writes the signal's number to a pipe (async-signal-safe).
enum SignalCatcher {
    static let signals = [SIGTERM, SIGINT, SIGHUP]

    static func install(_ handler: @escaping @Sendable (Int32) -> Void) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            fatalError("trialsd: cannot make the signal pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // A full pipe (signals arriving faster than they are read) drops the signal rather
        // than blocking inside the handler.
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        signalPipeWrite = fds[1]
        let readEnd = fds[0]
        let reader = Thread {
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n == 1 { handler(Int32(byte)); continue }
                if n < 0 && errno == EINTR { continue }
                return
            }
        }
        reader.name = "trialsd-signals"
        reader.start()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            let saved = errno
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(signalPipeWrite, &byte, 1)
            errno = saved
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for signal in signals { sigaction(signal, &action, nil) }
    }
}
