import Foundation
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// `make run` (issue "first hour of a new user", point 3): the demo runs on a scratch database
/// inside the clone, `.build/demo/trials.db` with the socket `.build/demo/control`, never on
/// /var/lib/trialsd/trials.db (the append-only log trialsd.service keeps for good), and says
/// where it is and the one command that reaches it. The Makefile's run target calls demo/run;
/// the test runs demo/run from a copy of the clone's paths (a temporary directory with demo/),
/// as a process with a real NOTIFY_SOCKET.
final class DemoRunTests: XCTestCase {
    /// A temporary directory laid out as the clone: demo/run and demo/trial-timeline.jsonl.
    func makeClone() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path("demo"), withIntermediateDirectories: true)
        for file in ["demo/run", "demo/trial-timeline.jsonl"] {
            try FileManager.default.copyItem(atPath: Repository.path(file), toPath: dir.path(file))
        }
        return dir
    }

    /// demo/run of `clone` as a process: ready at READY=1; what it printed is in `output`.
    final class DemoRun {
        let process = Process()
        let notify: DatagramReceiver
        let outputPath: String
        private let exited = DispatchSemaphore(value: 0)

        init(clone: TemporaryDirectory, environment extra: [String: String] = [:]) throws {
            notify = try DatagramReceiver(path: clone.path("notify-\(UUID().uuidString.prefix(6))"))
            outputPath = clone.path("run-\(UUID().uuidString.prefix(6)).out")
            process.executableURL = URL(fileURLWithPath: clone.path("demo/run"))
            var env = [
                "PATH": "/usr/bin:/bin", "HOME": clone.url.path, "TRIALSD": Products.path("trialsd"),
                "NOTIFY_SOCKET": notify.path,
            ]
            for (k, v) in extra { env[k] = v }
            process.environment = env
            // O_APPEND: demo/run's lines and trialsd's log, each written whole at the end.
            let fd = open(outputPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
            let out = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            process.standardOutput = out
            process.standardError = out
            let exited = self.exited
            process.terminationHandler = { _ in exited.signal() }
        }

        deinit {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }

        var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

        /// Starts it and waits for READY=1 (or its exit, which fails the test with its output).
        func start(file: StaticString = #filePath, line: UInt = #line) throws {
            try process.run()
            var seen: [String] = []
            guard notify.wait(for: "READY=1", timeout: 60, seen: &seen, giveUp: { !self.process.isRunning }) else {
                XCTFail("demo/run did not become ready; it printed:\n\(output)", file: file, line: line)
                throw POSIXError(.ETIMEDOUT)
            }
        }

        /// SIGTERM (to trialsd, which demo/run became by exec) and the exit status.
        func stop() -> Int32 {
            guard process.isRunning else { return process.terminationStatus }
            kill(process.processIdentifier, SIGTERM)
            if exited.wait(timeout: .now() + 60) == .timedOut {
                XCTFail("the demo's trialsd did not stop within 60 s of SIGTERM (killed)")
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            return process.terminationStatus
        }

        /// Runs it to its end (a run that fails before serving), at most 60 s.
        func runToEnd() throws -> Int32 {
            try process.run()
            if exited.wait(timeout: .now() + 60) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                XCTFail("demo/run did not exit")
            }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// What /var/lib/trialsd holds (names, sizes, modification times), or that it is absent.
    func systemStateSnapshot() -> [String] {
        let dir = "/var/lib/trialsd"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return ["absent"] }
        return names.sorted().map { name in
            var st = stat()
            guard stat(dir + "/" + name, &st) == 0 else { return name }
            return "\(name) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        }
    }

    func testTheMakefileRunsTheDemoScript() throws {
        let make = "/usr/bin/make"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: make), "needs make")
        let run = try runProgram(make, ["-n", "-C", Repository.root.path, "run"], timeout: 60)
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(
            run.out.split(separator: "\n").contains("DEMO_DIR=.build/demo demo/run"),
            "make run must run demo/run on .build/demo: \(run)")
        let clean = try runProgram(make, ["-n", "-C", Repository.root.path, "demo-clean"], timeout: 60)
        XCTAssertTrue(clean.out.contains("rm -rf .build/demo"), "\(clean)")
    }

    func testTheDemoRunsOnAScratchDatabaseInTheCloneAndSaysWhere() throws {
        let clone = try makeClone()
        defer { clone.remove() }
        let before = systemStateSnapshot()
        let demoDir = clone.path(".build/demo")
        let database = demoDir + "/trials.db", socket = demoDir + "/control"

        let run = try DemoRun(clone: clone)
        try run.start()
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: database),
            "no database at \(database); demo/run printed:\n\(run.output)")
        var st = stat()
        XCTAssertEqual(lstat(socket, &st), 0, "no socket at \(socket)")
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFSOCK)
        let printed = run.output
        XCTAssertTrue(printed.contains("database \(database) (new"), printed)
        XCTAssertTrue(printed.contains("socket \(socket)"), printed)
        XCTAssertTrue(printed.contains("export TRIALCTL_SOCKET=\(socket)"), printed)
        XCTAssertTrue(printed.contains("make demo-clean"), printed)
        // The one command it prints reaches the demo, from any directory.
        let command = try XCTUnwrap(printed.split(separator: "\n").first { $0.contains("trialctl --socket ") }, printed)
        let words = command[command.range(of: "trialctl --socket ")!.upperBound...].split(separator: " ").map(
            String.init)
        XCTAssertEqual(words.first, socket)
        let status = try runProgram(
            Products.path("trialctl"), ["--socket"] + words.prefix(2), environment: ["PATH": "/usr/bin:/bin"],
            timeout: 60)
        XCTAssertEqual(status.status, 0, "\(status)")
        XCTAssertTrue(status.out.contains("HARMONi-2"), "\(status)")
        let viaEnvironment = try runProgram(
            Products.path("trialctl"), ["status", "ILLUMINE"],
            environment: ["PATH": "/usr/bin:/bin", "TRIALCTL_SOCKET": socket], timeout: 60)
        XCTAssertEqual(viaEnvironment.status, 0, "\(viaEnvironment)")
        let events =
            try VarlinkConnection(path: socket, timeout: clientTimeout).trials("Stats")["events"]?.int64Value ?? 0
        XCTAssertGreaterThanOrEqual(events, 35, "the demo's 35 events (and the overdue marks trialsd adds)")
        XCTAssertEqual(run.stop(), 0)

        // Run again: the database is kept as it is (--seed records only into an empty log).
        let again = try DemoRun(clone: clone)
        try again.start()
        XCTAssertTrue(again.output.contains("database \(database) (it exists: kept"), again.output)
        XCTAssertEqual(
            try VarlinkConnection(path: socket, timeout: clientTimeout).trials("Stats")["events"]?.int64Value, events,
            "a second run recorded something")
        XCTAssertEqual(again.stop(), 0)

        XCTAssertEqual(systemStateSnapshot(), before, "/var/lib/trialsd changed")
    }

    func testATooLongSocketPathIsOneLineNamingItAndWhatToDo() throws {
        let clone = try makeClone()
        defer { clone.remove() }
        let long = clone.path(String(repeating: "d", count: 100))
        let run = try DemoRun(clone: clone, environment: ["DEMO_DIR": long])
        XCTAssertEqual(try run.runToEnd(), 1)
        let lines = run.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, run.output)
        XCTAssertTrue(run.output.contains("\(long)/control"), run.output)
        XCTAssertTrue(run.output.contains("DEMO_DIR="), run.output)
    }
}
