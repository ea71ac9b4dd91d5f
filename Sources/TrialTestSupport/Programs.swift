import Foundation
import Synchronization

/// The repository the tests were built from, for the files they read (interface description,
/// demo data, migrations, scripts beside the tests).
public enum Repository {
    /// The repository's root: this file is Sources/TrialTestSupport/Programs.swift.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A path relative to the root, e.g. `Repository.path("demo/trial-timeline.jsonl")`.
    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// How `runProgram` collects a program's output.
public enum ProgramOutput: Sendable {
    /// Standard output and standard error in one pipe, interleaved as written: `out` holds both.
    case merged
    /// Standard output in `out`, standard error in `err`.
    case separate
}

/// What a program run by `runProgram` did.
public struct ProgramResult: Sendable, CustomStringConvertible {
    /// The exit status, or 128 + the signal's number if a signal ended it.
    public let status: Int32
    /// Standard output (with `.merged`, standard error too).
    public let out: String
    /// Standard error with `.separate`; empty with `.merged`.
    public let err: String
    /// It was still running at the deadline and was stopped.
    public let timedOut: Bool
    /// Its output was still held open well after it exited, by a process it left running
    /// outside its process group: `out` and `err` are what had arrived.
    public let outputLeftOpen: Bool
    /// The program and its arguments, for messages.
    public let command: String

    /// The command, how it ended and all it wrote: for assertion messages.
    public var description: String {
        var s =
            "`\(command)`: "
            + (timedOut ? "still running at the deadline, stopped (status \(status))" : "exit status \(status)")
        if outputLeftOpen { s += "; its output was still held open by a process it left running" }
        s += out.isEmpty ? "; no standard output" : "; standard output:\n\(out)"
        if !err.isEmpty { s += "\nstandard error:\n\(err)" }
        return s
    }
}

/// Runs a program to completion and returns its exit status and what it wrote. `stdin` is its
/// standard input (otherwise /dev/null); `environment` replaces the inherited one when given.
///
/// Bounded, so that a hung program fails its test instead of hanging the suite:
/// - past `timeout` seconds its process group is sent SIGTERM, SIGKILL 5 s later, and the
///   result says `timedOut`;
/// - its output is read until every process holding it has closed it; anything it left behind
///   in its process group is killed `outputGrace` seconds after it exited, and output still held
///   open a grace period later (by a process outside the group) is given up on
///   (`ProgramResult.outputLeftOpen`).
///
/// It is spawned with posix_spawn(3) in a process group of its own and reaped with waitpid(2).
/// (Foundation's Process learns of an exit only once every descendant has closed a socket the
/// child inherits, so one orphan that lives on, a container's say, would hold up its wait.)
public func runProgram(
    _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
    output: ProgramOutput = .merged, timeout: Double? = nil, outputGrace: Double = 10
) throws -> ProgramResult {
    let command = ([executable] + arguments).joined(separator: " ")
    // Standard input from a file: no pipe to fill, and no SIGPIPE if the program exits unread.
    var inputFile: URL?
    defer { if let inputFile { try? FileManager.default.removeItem(at: inputFile) } }
    if let stdin {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stdin-\(UUID().uuidString)")
        try Data(stdin.utf8).write(to: url)
        inputFile = url
    }
    // Close-on-exec pipes: only the child's dup2'd copies survive its exec, and no program
    // another thread spawns meanwhile inherits them.
    let out = try ClosingPipe(), err = output == .separate ? try ClosingPipe() : nil

    let spawned: pid_t
    do {
        spawned = try spawnProgram(
            executable, arguments, environment: environment, stdin: inputFile?.path, stdout: out.write,
            stderr: err?.write ?? out.write)
    } catch {
        out.closeWrite(); out.closeRead()
        err?.closeWrite(); err?.closeRead()
        throw error
    }
    out.closeWrite()
    err?.closeWrite()
    let pid = spawned

    // Both pipes are drained at once, so neither fills while the other is read.
    let readers = DispatchGroup()
    let collected = Collected()
    Collected.drain(out.read, into: .out, of: collected, group: readers)
    if let err { Collected.drain(err.read, into: .err, of: collected, group: readers) }
    let exit = ExitWaiter(pid)
    var timedOut = false
    if let timeout {
        timedOut = exit.status(within: timeout, else: SIGTERM) == nil
    } else {
        _ = exit.status()
    }
    var outputLeftOpen = false
    if readers.wait(timeout: .now() + outputGrace) == .timedOut {
        kill(-pid, SIGKILL)
        if readers.wait(timeout: .now() + outputGrace) == .timedOut { outputLeftOpen = true }
    }
    if !outputLeftOpen {
        out.closeRead()
        err?.closeRead()
    }
    return ProgramResult(
        status: exit.status(), out: collected.text(.out), err: collected.text(.err), timedOut: timedOut,
        outputLeftOpen: outputLeftOpen, command: command)
}

/// Starts a program with posix_spawn(3) in a process group of its own (its pid is the group's
/// id, so `kill(-pid, …)` reaches what it leaves behind) with default signal handling; standard
/// input from the file at `stdin` (else /dev/null), standard output to `stdout` (else
/// /dev/null) and standard error to `stderr`. `environment` replaces the inherited one when
/// given. The caller reaps it with waitpid(2).
public func spawnProgram(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil,
    stdout: Int32?, stderr: Int32
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
    if let stdout {
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    }
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigfillset(&defaults)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
    defer { envp?.forEach { free($0) } }
    var pid: pid_t = 0
    let rc =
        envp.map { e in
            e.withUnsafeBufferPointer {
                posix_spawn(
                    &pid, executable, &actions, &attributes, argv, UnsafeMutablePointer(mutating: $0.baseAddress))
            }
        }
        ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
    guard rc == 0 else {
        throw ProgramError(
            description:
                "cannot run \(([executable] + arguments).joined(separator: " ")): \(String(cString: strerror(rc)))")
    }
    return pid
}

/// A waitpid(2) status as a shell gives it: the exit status, or 128 + the signal that ended it.
/// (The status's low 7 bits are that signal, 0 if it exited; bits 8–15 the exit status.)
public func exitStatus(_ raw: Int32) -> Int32 {
    raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
}

/// Why `runProgram` could not start a program.
public struct ProgramError: Error, CustomStringConvertible {
    public let description: String
}

/// A pipe whose two ends are close-on-exec. (Set just after pipe(2): Glibc does not offer
/// pipe2 to Swift. The tests spawn programs from one thread at a time.)
private final class ClosingPipe {
    let read: Int32
    private(set) var write: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ProgramError(description: "pipe: \(String(cString: strerror(errno)))") }
        read = fds[0]
        write = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    func closeWrite() {
        if write >= 0 { close(write) }
        write = -1
    }

    func closeRead() { close(read) }
}

/// Reaps a spawned program on a thread of its own (waitpid(2)), so that its end can be waited
/// for with a deadline.
public final class ExitWaiter: Sendable {
    public let pid: pid_t
    private let exited = DispatchSemaphore(value: 0)
    private let raw = Mutex<Int32?>(nil)

    public init(_ pid: pid_t) {
        self.pid = pid
        Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            raw.withLock { $0 = status }
            exited.signal()
        }.start()
    }

    /// Its exit status (or 128 + the signal that ended it), once it has ended.
    public func status() -> Int32 {
        if let raw = raw.withLock({ $0 }) { return exitStatus(raw) }
        exited.wait()
        exited.signal()  // for the next caller
        return status()
    }

    /// Its exit status if it ends within `seconds`; otherwise nil, after `signal` to its
    /// process group and, 5 s later, SIGKILL (it has ended when this returns).
    public func status(within seconds: Double, else signal: Int32) -> Int32? {
        if exited.wait(timeout: .now() + seconds) == .success {
            exited.signal()
            return status()
        }
        kill(-pid, signal)
        if exited.wait(timeout: .now() + 5) == .timedOut { kill(-pid, SIGKILL) } else { exited.signal() }
        _ = status()
        return nil
    }
}

/// Output gathered by reader threads.
private final class Collected: Sendable {
    enum Stream { case out, err }
    private let data = Mutex([Stream: Data]())

    func text(_ stream: Stream) -> String {
        data.withLock { String(decoding: $0[stream, default: Data()], as: UTF8.self) }
    }

    /// Reads `fd` to its end on a thread of its own, keeping what has arrived so far.
    static func drain(_ fd: Int32, into stream: Stream, of collected: Collected, group: DispatchGroup) {
        group.enter()
        Thread {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                collected.data.withLock { $0[stream, default: Data()].append(contentsOf: chunk[0..<n]) }
            }
            group.leave()
        }.start()
    }
}
