import Foundation

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
    /// The program and its arguments, for messages.
    public let command: String

    /// The command, how it ended and all it wrote: for assertion messages.
    public var description: String {
        var s = "`\(command)`: " + (timedOut ? "still running at the deadline, stopped (status \(status))" : "exit status \(status)")
        s += out.isEmpty ? "; no standard output" : "; standard output:\n\(out)"
        if !err.isEmpty { s += "\nstandard error:\n\(err)" }
        return s
    }
}

/// Runs a program to completion and returns its exit status and what it wrote. `stdin` is its
/// standard input (otherwise /dev/null); `environment` replaces the inherited one when given.
/// Past `timeout` seconds the program is sent SIGTERM (SIGKILL 5 s later) and the result says
/// `timedOut`, so a hung program fails the test instead of hanging the suite.
public func runProgram(
    _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
    output: ProgramOutput = .merged, timeout: Double? = nil
) throws -> ProgramResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    let outPipe = Pipe()
    let errPipe = output == .merged ? outPipe : Pipe()
    p.standardOutput = outPipe
    p.standardError = errPipe
    // Standard input from a file: no pipe to fill, and no SIGPIPE if the program exits unread.
    var inputFile: URL?
    defer { if let inputFile { try? FileManager.default.removeItem(at: inputFile) } }
    if let stdin {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stdin-\(UUID().uuidString)")
        try Data(stdin.utf8).write(to: url)
        inputFile = url
        p.standardInput = try FileHandle(forReadingFrom: url)
    } else {
        p.standardInput = FileHandle.nullDevice
    }
    let exited = DispatchSemaphore(value: 0)
    p.terminationHandler = { _ in exited.signal() }
    try p.run()

    // Both pipes are drained at once, so neither fills while the other is read.
    let readers = DispatchGroup()
    let collected = Collected()
    Collected.drain(outPipe, into: \.out, of: collected, group: readers)
    if output == .separate { Collected.drain(errPipe, into: \.err, of: collected, group: readers) }

    var timedOut = false
    if let timeout, exited.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        p.terminate()
        if exited.wait(timeout: .now() + 5) == .timedOut { kill(p.processIdentifier, SIGKILL) }
    }
    p.waitUntilExit()
    readers.wait()
    let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
    return ProgramResult(
        status: status, out: collected.text(\.out), err: collected.text(\.err), timedOut: timedOut,
        command: ([executable] + arguments).joined(separator: " "))
}

/// Output gathered by reader threads.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    fileprivate var out = Data()
    fileprivate var err = Data()

    func text(_ key: ReferenceWritableKeyPath<Collected, Data>) -> String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: self[keyPath: key], as: UTF8.self)
    }

    /// Reads `pipe` to its end on a thread of its own.
    static func drain(_ pipe: Pipe, into key: ReferenceWritableKeyPath<Collected, Data>, of collected: Collected, group: DispatchGroup) {
        group.enter()
        Thread {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            collected.lock.lock()
            collected[keyPath: key] = data
            collected.lock.unlock()
            group.leave()
        }.start()
    }
}
