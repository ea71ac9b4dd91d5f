import Foundation
import Logging
import NIOConcurrencyHelpers
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// trialsd in this process, on a temporary database and socket.
final class InProcessDaemon: @unchecked Sendable {
    let directory: TemporaryDirectory
    /// Whether `stop()` removes the directory: only one this daemon made itself.
    private let ownsDirectory: Bool
    let daemon: Daemon
    /// Counts the writer's commits, as an observer of them.
    let commits = CommitCounter()
    private var runTask: Task<Void, Error>?
    var socketPath: String { daemon.configuration.socketPath }

    /// A daemon on a new temporary directory, removed by `stop()`.
    convenience init(configure: (inout DaemonConfiguration) -> Void = { _ in }) async throws {
        try await self.init(directory: try TemporaryDirectory(), owned: true, configure: configure)
    }

    /// A daemon on `directory`'s trials.db and control socket (e.g. to restart on the same
    /// database). The directory is the caller's: `stop()` leaves it.
    convenience init(in directory: TemporaryDirectory, configure: (inout DaemonConfiguration) -> Void = { _ in })
        async throws
    {
        try await self.init(directory: directory, owned: false, configure: configure)
    }

    private init(directory: TemporaryDirectory, owned: Bool, configure: (inout DaemonConfiguration) -> Void)
        async throws
    {
        self.directory = directory
        ownsDirectory = owned
        var c = DaemonConfiguration(databasePath: directory.path("trials.db"), socketPath: directory.path("control"))
        c.writersGroup = nil  // root only: tests run as root, or are refused writes
        // The protocol, subscription and overdue tests append to trials they never register;
        // the rule that only a registration starts a trial has tests of its own
        // (RegistrationRuleTests), and trialsd as a process keeps its default.
        c.newTrialsNeedRegistration = false
        configure(&c)
        var logger = Logger(label: "trialsd-test")
        logger.logLevel = .warning
        do {
            daemon = try Daemon(configuration: c, logger: logger, observers: [commits])
            try await daemon.start()
        } catch {
            if owned { directory.remove() }
            throw error
        }
        let d = daemon
        runTask = Task { try await d.run() }
    }

    func connect() throws -> VarlinkConnection { try VarlinkConnection(path: socketPath, timeout: clientTimeout) }

    /// Stops the daemon and waits for `run()` to return, at most `timeout` (a shutdown that
    /// never ends fails the test, naming it, instead of hanging the suite); removes the
    /// directory if it made it.
    func stop(timeout: Duration = .seconds(60), file: StaticString = #filePath, line: UInt = #line) async throws {
        daemon.stop()
        if let run = runTask {
            // Awaiting a task's value cannot be cancelled: the first of it and the deadline wins.
            let finished: Result<Void, Error>? = await withCheckedContinuation { c in
                let once = NIOLockedValueBox<CheckedContinuation<Result<Void, Error>?, Never>?>(c)
                @Sendable func resume(_ r: Result<Void, Error>?) {
                    once.withLockedValue { pending in
                        pending?.resume(returning: r)
                        pending = nil
                    }
                }
                let deadline = Task {
                    try? await Task.sleep(for: timeout); resume(nil)
                }
                Task {
                    resume(await run.result)
                    deadline.cancel()  // its resume is then a no-op
                }
            }
            guard let finished else {
                XCTFail("trialsd did not stop within \(timeout)", file: file, line: line)
                throw CancellationError()
            }
            try finished.get()
        }
        if ownsDirectory { directory.remove() }
    }
}

/// The built executables (trialsd, trialctl) next to the test bundle.
enum Products {
    static var directory: URL {
        // The test bundle runs from .build/<triple>/debug/<package>PackageTests.xctest.
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: url.appendingPathComponent("trialsd").path) {
            url = Bundle.main.bundleURL.deletingLastPathComponent()
        }
        return url
    }
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// trialsd as a separate process, ready when it says READY=1 on its notify socket.
final class DaemonProcess {
    let process = Process()
    let notify: DatagramReceiver
    let database: String
    let socketPath: String
    let stderr = Pipe()
    /// Signalled when trialsd exits.
    private let exited = DispatchSemaphore(value: 0)

    init(
        directory: TemporaryDirectory, arguments: [String] = [], environment: [String: String] = [:],
        database databaseName: String = "trials.db", socket socketName: String = "control", openFilesLimit: Int? = nil
    ) throws {
        database = directory.path(databaseName)
        socketPath = directory.path(socketName)
        notify = try DatagramReceiver(path: directory.path("notify-\(UUID().uuidString.prefix(6))"))
        let daemonArguments = ["--database", database, "--socket", socketPath, "--writers-group", ""] + arguments
        if let openFilesLimit {
            // prlimit execs trialsd: the same process, with RLIMIT_NOFILE set (soft and hard).
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments =
                ["--nofile=\(openFilesLimit):\(openFilesLimit)", "--", Products.path("trialsd")] + daemonArguments
        } else {
            process.executableURL = URL(fileURLWithPath: Products.path("trialsd"))
            process.arguments = daemonArguments
        }
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
    }

    /// A test that failed before stopping it leaves no trialsd behind.
    deinit {
        if process.isRunning { kill9() }
    }

    /// Why `start()` gave up: how trialsd ended (or that it hung), what it said on the notify
    /// socket, and its standard error.
    struct StartFailure: Error, CustomStringConvertible {
        let description: String
        /// What trialsd wrote to standard error.
        var standardError = ""
    }

    /// Starts it and waits for READY=1, for at most `timeout` seconds. If trialsd exits first,
    /// it fails at once, with the exit status, the notify messages and standard error.
    @discardableResult
    func start(timeout: Double = 30) throws -> [String] {
        try process.run()
        var seen: [String] = []
        if notify.wait(for: "READY=1", timeout: timeout, seen: &seen, giveUp: { !process.isRunning }) { return seen }
        let why =
            process.isRunning ? "trialsd did not say READY=1 within \(timeout) s" : "trialsd exited during start-up"
        stopAfterFailedStart()
        while let m = notify.receive(timeout: 0) { seen.append(m) }
        let ended =
            process.terminationReason == .uncaughtSignal
            ? "killed by signal \(process.terminationStatus)" : "exit status \(process.terminationStatus)"
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let said = seen.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: " | ")
        throw StartFailure(
            description: """
                \(why) (\(ended)); notify messages: \(said.isEmpty ? "none" : said); \
                standard error: \(err.isEmpty ? "empty" : "\n" + err)
                """, standardError: err)
    }

    /// SIGTERM, SIGKILL if it has not exited 5 s later, and wait.
    private func stopAfterFailedStart() {
        guard process.isRunning else { return process.waitUntilExit() }
        process.terminate()
        if exited.wait(timeout: .now() + 5) == .timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then the exit status; SIGKILL (and a test failure) if it has not exited within
    /// `timeout` seconds, so that a stop that hangs fails the test instead of the suite.
    func terminate(timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        guard process.processIdentifier != 0 else { return -1 }  // never started
        guard process.isRunning else {
            process.waitUntilExit()
            return process.terminationStatus
        }
        kill(process.processIdentifier, SIGTERM)
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            XCTFail("trialsd did not stop within \(timeout) s of SIGTERM (killed)", file: file, line: line)
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func connect() throws -> VarlinkConnection { try VarlinkConnection(path: socketPath, timeout: clientTimeout) }

    /// Resident memory in KiB.
    var residentKiB: Int {
        guard let s = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else {
            return 0
        }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").compactMap { Int($0) }.first ?? 0)
        }
        return 0
    }
}

extension VarlinkConnection {
    /// Calls a method of org.trialtrack.Trials.
    @discardableResult
    func trials(_ member: String, _ parameters: JSONValue = [:]) throws -> JSONObject {
        try call(TrialsInterface.method(member), parameters.objectValue ?? JSONObject())
    }

    /// The Varlink error a call fails with (nil, and a test failure, if it succeeds or fails
    /// otherwise).
    func callError(
        _ method: String, _ parameters: JSONObject = JSONObject(), file: StaticString = #filePath, line: UInt = #line
    ) -> VarlinkError? {
        do {
            _ = try call(method, parameters)
            XCTFail("\(method) succeeded", file: file, line: line)
        } catch ClientError.remote(let e) {
            return e
        } catch {
            XCTFail("\(method): \(error)", file: file, line: line)
        }
        return nil
    }

    /// The Varlink error a call of org.trialtrack.Trials fails with.
    func trialsError(
        _ member: String, _ parameters: JSONValue = [:], file: StaticString = #filePath, line: UInt = #line
    ) -> VarlinkError? {
        callError(TrialsInterface.method(member), parameters.objectValue ?? JSONObject(), file: file, line: line)
    }

    /// The next reply on the connection; a test failure (and a throw) if it ends instead.
    func nextReply(_ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) throws
        -> VarlinkReply
    {
        let m = try XCTUnwrap(
            try receive(),
            ["the connection ended before a reply", message()].filter { !$0.isEmpty }.joined(separator: ": "),
            file: file, line: line)
        return try VarlinkReply(message: m)
    }

    /// Sends a message and returns the next reply.
    func roundTrip(_ message: JSONValue, file: StaticString = #filePath, line: UInt = #line) throws -> VarlinkReply {
        try send(message)
        return try nextReply(file: file, line: line)
    }

    /// Sends bytes as they are (a broken message, say) and returns the next reply.
    func roundTrip(
        raw bytes: [UInt8], _ message: @autoclosure () -> String = "", file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> VarlinkReply {
        try sendRaw(bytes)
        return try nextReply(message(), file: file, line: line)
    }
}

func event(_ trial: String, _ type: String, _ occurred: String, _ payload: JSONValue) -> JSONValue {
    ["trial": .string(trial), "type": .string(type), "occurred": .string(occurred), "payload": payload]
}

/// A trial's registration: trialsd accepts events for a trial it knows, or one that starts it.
/// With `id`, a fixed event id (recording it again is harmless).
func registration(_ trial: String, occurred: String = "2000", id: Int? = nil) -> JSONValue {
    var e = event(trial, "registered", occurred, ["title": .string("Trial \(trial)")])
    if let id, case .object(var o) = e {
        o["id"] = .string(String(format: "00000000-0000-4000-8000-%012d", id))
        e = .object(o)
    }
    return e
}

extension VarlinkConnection {
    /// Registers trials (each as `registration` makes it), so that events may name them.
    func register(_ names: String...) throws {
        for t in names { try trials("Append", ["event": registration(t)]) }
    }
}

var isRoot: Bool { getuid() == 0 }

/// How long a test's client waits for trialsd before the call fails: a stuck daemon fails its
/// test instead of hanging the suite. Far above any answer's time here (milliseconds).
let clientTimeout: Duration = .seconds(60)

extension DispatchSemaphore {
    /// Waits for a signal another thread owes the test, failing (and throwing) after `timeout`
    /// seconds rather than hanging the suite, with a message naming `what` was awaited.
    func wait(
        for what: @autoclosure () -> String, timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        guard wait(timeout: .now() + timeout) == .timedOut else { return }
        XCTFail("timed out after \(timeout) s waiting for \(what())", file: file, line: line)
        throw POSIXError(.ETIMEDOUT)
    }

    /// Holds the daemon's writer (or a rebuild) until the test signals, or at most `timeout`
    /// seconds: a test that failed before its signal still lets the daemon stop.
    func holdAtMost(_ timeout: Double = 120) { _ = wait(timeout: .now() + timeout) }
}

/// Runs `body` on `count` threads of its own and waits for all (blocking clients must not
/// run on Swift's cooperative pool, which the in-process daemon needs).
func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let group = DispatchGroup()
    let results = NIOLockedValueBox<[Int: Result<T, Error>]>([:])
    for i in 0..<count {
        group.enter()
        let t = Thread {
            let r = Result { try body(i) }
            results.withLockedValue { $0[i] = r }
            group.leave()
        }
        t.stackSize = 1 << 20
        t.start()
    }
    group.wait()
    let all = results.withLockedValue { $0 }
    return try (0..<count).map { try all[$0]!.get() }
}

/// A result computed on a thread of its own.
final class ThreadResult<T: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = NIOLockedValueBox<Result<T, Error>?>(nil)
    init(_ body: @escaping @Sendable () throws -> T) {
        Thread { [self] in
            let r = Result { try body() }
            result.withLockedValue { $0 = r }
            done.signal()
        }.start()
    }
    func wait() throws -> T {
        done.wait()
        return try result.withLockedValue { $0 }!.get()
    }
}

/// Waits for a condition that another thread makes true, failing after `timeout` seconds
/// rather than hanging the suite, with a message naming `what` was awaited (evaluated then, so
/// it can show the state at the deadline).
func waitUntil(
    timeout: Double = 20, _ what: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line,
    _ condition: () throws -> Bool
) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else {
            XCTFail("timed out after \(timeout) s waiting for \(what())", file: file, line: line)
            throw POSIXError(.ETIMEDOUT)
        }
        usleep(1000)
    }
}

/// A child started with posix_spawn, for programs that close inherited descriptors (as
/// systemd-socket-activate does), which confuses Foundation's Process.
final class SpawnedProcess {
    let pid: pid_t
    private let exit: ExitWaiter
    /// The child's standard error.
    let stderr: FileHandle

    init(_ path: String, _ arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        defer { close(fds[1]) }
        do {
            pid = try spawnProgram(path, arguments, stdout: nil, stderr: fds[1])
            exit = ExitWaiter(pid)
        } catch {
            close(fds[0])
            throw error
        }
        stderr = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
    }

    /// Reads standard error until `text` appears (or it ends); returns what was read.
    func readError(until text: String) -> String {
        var said = ""
        while !said.contains(text) {
            let chunk = stderr.availableData
            if chunk.isEmpty { break }
            said += String(decoding: chunk, as: UTF8.self)
        }
        return said
    }

    /// Sends `signal` to its process group and waits; returns the exit status (or 128 +
    /// signal). SIGKILL (and a test failure) if it has not exited within `timeout` seconds.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line)
        -> Int32
    {
        kill(-pid, signal)
        if let status = exit.status(within: timeout, else: SIGKILL) { return status }
        XCTFail("\(pid) did not stop within \(timeout) s of signal \(signal) (killed)", file: file, line: line)
        return exit.status()
    }
}

/// Counts committed transactions and the events they recorded: an observer of the writer's
/// commits, as the daemon's broadcaster and journal sink are.
final class CommitCounter: CommitObserver, Sendable {
    private let state = NIOLockedValueBox((batches: 0, events: 0))

    func committed(_ batch: CommittedBatch) {
        let n = batch.recordedCount
        state.withLockedValue {
            $0.batches += 1; $0.events += n
        }
    }

    /// Transactions committed so far.
    var batches: Int { state.withLockedValue { $0.batches } }
    /// Events recorded so far (not replays).
    var events: Int { state.withLockedValue { $0.events } }
}
