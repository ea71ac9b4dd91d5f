import Foundation
import GRDB
import NIOConcurrencyHelpers
import RegistryTestSupport
import TrialDomain
import TrialProtocol
@testable import TrialStore
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// trialsd as a process: readiness, graceful stop, and crashes.
final class ProcessTests: XCTestCase {
    func testReadyOnlyOnceTheSocketAcceptsAndStoppingOnSIGTERM() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(directory: dir)
        let messages = try daemon.start()
        // The moment READY=1 arrives, the socket accepts and the database answers.
        let c = try daemon.connect()
        XCTAssertEqual(try c.trials("Stats")["events"], 0)
        let ready = try XCTUnwrap(messages.last)
        XCTAssertTrue(ready.contains("STATUS=0 trials, 0 events, 0 subscribers"), ready)
        // While the database opens (and migrates), systemd is asked to wait longer for READY=1.
        let opening = try XCTUnwrap(messages.first, "no message before READY=1")
        XCTAssertTrue(opening.contains("EXTEND_TIMEOUT_USEC=30000000") && opening.contains("STATUS=opening "), opening)
        XCTAssertFalse(messages.dropLast().contains { $0.contains("READY=1") }, "\(messages)")
        XCTAssertEqual(daemon.terminate(), 0)
        let stopping = daemon.notify.wait(for: "STOPPING=1", timeout: 5)
        XCTAssertNotNil(stopping, "no STOPPING=1")
    }

    /// A SIGTERM right after READY=1 (systemd stopping what it just started) stops trialsd.
    /// Its handler used to be installed after READY=1, asynchronously (a DispatchSource): a
    /// SIGTERM in between was ignored and trialsd never stopped (1 start in about 13 under
    /// load). Each round stops it at READY=1, then sends SIGCONT and SIGTERM at once.
    func testASIGTERMRightAfterReadyStopsIt() throws {
        for round in 1...10 {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let daemon = try DaemonProcess(directory: dir)
            try daemon.start()
            let pid = daemon.process.processIdentifier
            kill(pid, SIGSTOP)
            kill(pid, SIGCONT)
            XCTAssertEqual(daemon.terminate(timeout: 30), 0, "round \(round): trialsd must stop with status 0")
        }
    }

    /// A SIGTERM during start-up, as soon as trialsd catches it (before READY=1, or just
    /// after, whichever the race gives): it stops, with status 0, instead of dying of the
    /// signal or ignoring it.
    func testASIGTERMDuringStartUpStopsIt() throws {
        for round in 1...10 {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let daemon = try DaemonProcess(
                directory: dir, arguments: ["--seed", Repository.path("demo/trial-timeline.jsonl")])
            try daemon.process.run()
            let pid = daemon.process.processIdentifier
            // SigCgt in /proc: the mask of caught signals (bit 14 is SIGTERM).
            try waitUntil(timeout: 30, "round \(round): trialsd catching SIGTERM") {
                guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                    let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
                    let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16)
                else { return false }
                return mask & (1 << UInt64(SIGTERM - 1)) != 0
            }
            kill(pid, SIGTERM)
            XCTAssertEqual(daemon.terminate(timeout: 30), 0, "round \(round): trialsd must stop with status 0")
        }
    }

    /// Clients appending until the daemon goes away: every acknowledged seq, and the first
    /// error that is not the daemon going away (each client's thread also throws its own).
    final class Appenders: @unchecked Sendable {
        let acknowledged = NIOLockedValueBox<[Int64]>([])
        let firstUnexpected = NIOLockedValueBox<String?>(nil)
        private var threads: [ThreadResult<Void>] = []

        init(path: String, clients: Int) {
            threads = (0..<clients).map { k in
                ThreadResult { [self] in
                    do {
                        try append(path: path, client: k)
                    } catch let error where Appenders.isTheDaemonGoingAway(error) {
                        return
                    } catch {
                        firstUnexpected.withLockedValue { $0 = $0 ?? "client \(k): \(error)" }
                        throw error
                    }
                }
            }
        }

        private func append(path: String, client k: Int) throws {
            let c = try VarlinkConnection(path: path, timeout: clientTimeout)
            // Its trial first (a fixed id: the same registration on a restarted daemon is replayed).
            try c.trials("Append", ["event": registration("T-\(k)", id: k)])
            var i = 0
            while true {
                i += 1
                let r = try c.trials(
                    "Append", ["event": event("T-\(k)", "presented", "2024", ["venue": .string("M\(i)")])])
                guard let seq = r["event"]?["seq"]?.int64Value else {
                    throw ClientError.protocolViolation("an Append reply without event.seq: \(r)")
                }
                acknowledged.withLockedValue { $0.append(seq) }
            }
        }

        /// How a call ends when trialsd stops or dies under it: ShuttingDown, or the connection
        /// closed or reset.
        static func isTheDaemonGoingAway(_ error: Error) -> Bool {
            switch error as? ClientError {
            case .remote(let e)?: return e.shortName == "ShuttingDown"
            case .protocolViolation(let reason)?:
                return ["trialsd closed the connection", "the connection closed", "receiving failed", "sending failed"]
                    .contains { reason.hasPrefix($0) }
            default: return false
            }
        }

        var count: Int { acknowledged.withLockedValue { $0.count } }

        /// For waitUntil's message.
        func progress(_ target: Int) -> String {
            "\(target) acknowledged appends (\(count) so far; first unexpected client error: \(firstUnexpected.withLockedValue { $0 } ?? "none"))"
        }

        /// Waits for every client to end; rethrows the first client's unexpected error.
        func wait() throws {
            for t in threads { try t.wait() }
        }
    }

    func testGracefulStopLosesNoAcknowledgedAppend() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(directory: dir)
        try daemon.start()
        let clients = Appenders(path: daemon.socketPath, clients: 6)
        try waitUntil(timeout: 60, clients.progress(300)) { clients.count >= 300 }
        XCTAssertEqual(daemon.terminate(), 0, "SIGTERM must end trialsd with status 0")
        try clients.wait()
        let acked = clients.acknowledged.withLockedValue { $0 }
        let store = try EventStore(path: daemon.database)
        let last = try store.lastSeq()
        XCTAssertGreaterThanOrEqual(last, acked.max() ?? 0)
        XCTAssertEqual(Set(acked).count, acked.count)
        XCTAssertTrue(try store.verify().ok)
        try store.close()
    }

    func testKill9WhileAppendingLosesNoAcknowledgedEvent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var everAcknowledged: [Int64] = []
        for cycle in 1...4 {
            let daemon = try DaemonProcess(directory: dir)
            try daemon.start()
            let clients = Appenders(path: daemon.socketPath, clients: 5)
            let target = 150 * cycle
            try waitUntil(timeout: 60, "cycle \(cycle): " + clients.progress(target)) { clients.count >= target }
            daemon.kill9()
            try clients.wait()
            everAcknowledged += clients.acknowledged.withLockedValue { $0 }

            _ = try Self.checkRecovered(
                dir, acknowledged: everAcknowledged, "cycle \(cycle), \(everAcknowledged.count) acknowledged so far")
        }
    }

    /// Restarts trialsd on `dir` after a crash and checks that it has every `acknowledged`
    /// event (each seq once), an intact chain, and projections equal to a rebuild; returns the
    /// log's last seq. `context` names the cycle in failure messages.
    static func checkRecovered(
        _ dir: TemporaryDirectory, acknowledged: [Int64], _ context: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Int64 {
        let again = try DaemonProcess(directory: dir)
        try again.start()
        let c = try again.connect()
        let verify = try c.trials("Verify")
        XCTAssertEqual(verify["ok"], true, "\(context): \(verify)", file: file, line: line)
        let lastSeq = try XCTUnwrap(verify["lastSeq"]?.int64Value, file: file, line: line)
        XCTAssertGreaterThanOrEqual(
            lastSeq, acknowledged.max() ?? 0, "\(context): an acknowledged event was lost", file: file, line: line)
        XCTAssertEqual(
            Set(acknowledged).count, acknowledged.count, "\(context): a seq was acknowledged twice", file: file,
            line: line)
        let before = try c.trials("Status")
        try c.trials("Rebuild")
        XCTAssertEqual(
            try c.trials("Status"), before, "\(context): projections differ from a rebuild", file: file, line: line)
        XCTAssertEqual(again.terminate(), 0, file: file, line: line)
        return lastSeq
    }
}

/// Who may connect and who may write: a client as another user.
final class AccessTests: XCTestCase {
    func testAnUnprivilegedUserReadsButCannotWrite() throws {
        try XCTSkipUnless(isRoot, "needs root to run a client as another user with setpriv (CI runs as root)")
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs setpriv (util-linux)")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(directory: dir, arguments: ["--socket-mode", "0666"])
        try daemon.start()
        defer { _ = daemon.terminate() }
        try daemon.connect().register("HARMONi-2")
        try daemon.connect().trials(
            "Append", ["event": event("HARMONi-2", "status-changed", "2022-10", ["status": "recruiting"])])
        // A copy of trialctl that the unprivileged user can execute.
        let trialctl = dir.path("trialctl")
        try FileManager.default.copyItem(atPath: Products.path("trialctl"), toPath: trialctl)
        func asNobody(_ args: [String]) throws -> ProgramResult {
            try runProgram(
                "/usr/bin/setpriv",
                ["--reuid=65534", "--regid=65534", "--clear-groups", trialctl, "--socket", daemon.socketPath] + args,
                environment: ["PATH": "/usr/bin:/bin", "NO_COLOR": "1"], timeout: 60)
        }
        let status = try asNobody(["status", "HARMONi-2"])
        XCTAssertEqual(status.status, 0, "\(status)")
        XCTAssertTrue(status.out.contains("recruiting"), "\(status)")
        let append = try asNobody(["record", "HARMONi-2", "status-changed", "--occurred", "2023", "status=completed"])
        XCTAssertEqual(append.status, 1, "\(append)")
        XCTAssertTrue(append.out.lowercased().contains("permission denied"), "\(append)")
        XCTAssertEqual(
            try daemon.connect().trials("Stats")["events"], 2,
            "the refused write reached the log (the log holds the registration and the status)")
        // recordedBy comes from the peer's credentials.
        let log = try daemon.connect().trials("Log")
        XCTAssertEqual(log["events"]?.arrayValue?.first?["recordedBy"], "root (uid 0)")
    }

    func testTheSocketModeDecidesWhoConnects() throws {
        try XCTSkipUnless(isRoot, "needs root to run a client as another user with setpriv (CI runs as root)")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(directory: dir)  // 0660, root's group
        try daemon.start()
        defer { _ = daemon.terminate() }
        var st = stat()
        XCTAssertEqual(stat(daemon.socketPath, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o660)
        let r = try runProgram(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", Products.path("trialctl"), "--socket",
                daemon.socketPath, "status",
            ],
            timeout: 60)
        XCTAssertEqual(r.status, 3, "a user outside the socket's group must not reach the daemon: \(r)")
    }
}

/// An independent client: the Python `varlink` package.
final class PythonVarlinkTests: XCTestCase {
    func testThePythonVarlinkClient() throws {
        let python = Repository.path(".build/venv/bin/python3")
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: python),
            "needs the tests' Python environment with the varlink package: `make venv` makes it (`make check` does)")
        let check = try runProgram(python, ["-c", "import varlink"], timeout: 60)
        XCTAssertEqual(
            check.status, 0, "the tests' Python environment has no varlink package (`make venv` installs it): \(check)")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(directory: dir)
        try daemon.start()
        defer { _ = daemon.terminate() }
        let script = Repository.path("Tests/TrialsDaemonTests/varlink_client.py")
        let r = try runProgram(python, [script, "unix:" + daemon.socketPath], timeout: 120)
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("python varlink: all checks passed"), "\(r)")
    }
}

/// journald receives an entry for every appended event: a real systemd-journald in a private
/// mount namespace, read back with journalctl.
final class JournalTests: XCTestCase {
    func testEveryAppendedEventIsAJournalEntry() throws {
        try XCTSkipUnless(isRoot, "needs root: a private systemd-journald in its own mount namespace (CI runs as root)")
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-journald"), "needs systemd-journald")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let r = try runProgram(
            "/usr/bin/unshare",
            [
                "--mount", "--propagation", "private", "python3",
                Repository.path("Tests/TrialsDaemonTests/journal_test.py"),
                Products.path("trialsd"), Products.path("trialctl"), Repository.path("systemd/trialsd.catalog"),
                dir.url.path,
            ], timeout: 300)
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("journal: all checks passed"), "\(r)")
    }
}

/// The guards that make a stuck peer or program fail its test instead of hanging the suite.
final class HangGuardTests: XCTestCase {
    func testACallToAPeerThatNeverAnswersTimesOut() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A socket that listens but never accepts: the connect succeeds (the backlog), no answer comes.
        let path = dir.path("silent")
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        let bound = unixSocket(listener, .bind, path: path)
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(listener, 4), 0)
        let c = try VarlinkConnection(path: path, timeout: .milliseconds(200))
        let start = ContinuousClock.now
        XCTAssertThrowsError(try c.call("org.varlink.service.GetInfo")) {
            XCTAssertEqual($0 as? ClientError, .timedOut(path: path, after: .milliseconds(200)))
            XCTAssertEqual("\($0)", "trialsd at \(path) did not answer within 0.2 s")
        }
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(200))
    }

    func testAProgramsLeftoverChildIsKilledAfterTheGrace() throws {
        // bash exits at once; the sleep it left in its process group holds the output open.
        let r = try runProgram("/bin/bash", ["-c", "sleep 300 & echo started"], outputGrace: 0.5)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.out, "started\n")
        XCTAssertFalse(r.outputLeftOpen, "\(r)")
    }

    func testAProgramPastItsTimeoutIsStoppedWithItsGroup() throws {
        let start = ContinuousClock.now
        let r = try runProgram(
            "/bin/bash", ["-c", "sleep 300 & echo started; sleep 300"], timeout: 0.5, outputGrace: 5)
        XCTAssertTrue(r.timedOut)
        XCTAssertEqual(r.status, 128 + SIGTERM)
        XCTAssertEqual(r.out, "started\n")
        XCTAssertFalse(r.outputLeftOpen, "the group's SIGTERM ended the background sleep too: \(r)")
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5))
    }

    func testOutputHeldOutsideTheGroupIsGivenUpOn() throws {
        // setsid: the leftover is in a session of its own, out of reach of the group's kill.
        let r = try runProgram("/bin/bash", ["-c", "setsid sleep 3 & echo started"], outputGrace: 0.5)
        XCTAssertEqual(r.out, "started\n")
        XCTAssertTrue(r.outputLeftOpen, "\(r)")
        XCTAssertTrue(r.description.contains("still held open"), r.description)
    }
}

/// The overdue watcher: a forecast whose window passed is marked once, even across restarts.
final class OverdueTests: XCTestCase {
    func testAPassedWindowIsMarkedOverdueOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        func start() async throws -> InProcessDaemon { try await InProcessDaemon(in: dir) { $0.journal = false } }
        func overdueEvents() throws -> [JSONValue] {
            let c = try VarlinkConnection(path: dir.path("control"), timeout: clientTimeout)
            return try c.trials("Log", ["types": ["milestone-overdue"]])["events"]?.arrayValue ?? []
        }
        let today = Fixture.today
        var server = try await start()
        let c = try VarlinkConnection(path: dir.path("control"), timeout: clientTimeout)
        // ILLUMINE: start expected on 2026-01-31 (passed); HARMONi-6: submissions in 2027 (ahead).
        try c.register("ILLUMINE", "HARMONi-6")
        try c.trials(
            "Append",
            [
                "event": event(
                    "ILLUMINE", "milestone-expected", "2025-12-04",
                    ["milestone": "status-changed:recruiting", "window": "2026-01-31"])
            ])
        try c.trials(
            "Append",
            [
                "event": event(
                    "HARMONi-6", "milestone-expected", "2026-06-02",
                    ["milestone": "regulatory-submission", "window": "2027"])
            ])
        let first = await server.daemon.checkOverdue(today: today)
        let second = await server.daemon.checkOverdue(today: today)
        // The watcher's own check at start may have written it first: one mark in all.
        XCTAssertLessThanOrEqual(first + second, 1)
        XCTAssertEqual(second, 0)
        XCTAssertEqual(try overdueEvents().count, 1)
        let marked = try overdueEvents()[0]
        XCTAssertEqual(marked["trial"], "ILLUMINE")
        XCTAssertEqual(marked["payload"]?["expected"], 3, "the forecast, after the two registrations")
        XCTAssertEqual(marked["recordedBy"], "trialsd (overdue watcher)")
        let status = try c.trials("Status", ["trial": "ILLUMINE"])
        XCTAssertEqual(status["trials"]?.arrayValue?.first?["expectations"]?.arrayValue?.first?["state"], "overdue")
        let upcoming = try c.trials("Upcoming", ["within": 3650])["milestones"]?.arrayValue ?? []
        XCTAssertEqual(upcoming.map { $0["state"] }, ["overdue", "pending"])
        try await server.stop()
        // Restarted on the same database: nothing new.
        server = try await start()
        let again = await server.daemon.checkOverdue(today: today)
        XCTAssertEqual(again, 0)
        XCTAssertEqual(try overdueEvents().count, 1)
        try await server.stop()
    }
}

extension OverdueTests {
    /// A registry import leaves many forecasts past their window: their marks are committed
    /// together, not a commit and an fsync each (18.6 s for 20,000 marks, one at a time), and
    /// each is still written once. The marks of one commit share its recording time.
    func testManyPassedWindowsAreMarkedInFewCommits() async throws {
        let server = try await InProcessDaemon { $0.journal = false }
        let forecasts = try (0..<1500).map { i in
            let key = String(format: "NCT%08d", i)
            return [
                try Fixture.new(key, .registered, "2024", ["title": "A trial"]),
                try Fixture.new(key, .milestoneExpected, "2024", ["milestone": "readout", "window": "2025-06"]),
            ]
        }
        for case .failure(let e) in try server.daemon.store.append(groups: forecasts, recordedBy: "root") {
            XCTFail("\(e)")
        }
        // The watcher's own check at start may mark some first (it runs this same code).
        let marked = await server.daemon.checkOverdue(today: Fixture.today)
        XCTAssertLessThanOrEqual(marked, 1500)
        let again = await server.daemon.checkOverdue(today: Fixture.today)
        XCTAssertEqual(again, 0)
        let times = try await server.daemon.store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT recorded) FROM events WHERE type = 'milestone-overdue'")
        }
        XCTAssertEqual(try server.daemon.store.stats().eventsByType["milestone-overdue"], 1500)
        XCTAssertLessThan(try XCTUnwrap(times), 100, "1,500 marks in \(times ?? 0) commits")
        try await server.stop()
    }
}

/// Socket activation: systemd-socket-activate binds the socket and hands it to trialsd.
final class SocketActivationTests: XCTestCase {
    func testTrialsdServesTheSocketItIsGiven() throws {
        let tool = "/usr/bin/systemd-socket-activate"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: tool), "needs systemd-socket-activate (systemd)")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let socket = dir.path("activated")
        let p = try SpawnedProcess(
            tool,
            [
                "-l", socket, "--fdname=varlink", Products.path("trialsd"), "--database", dir.path("trials.db"),
                "--socket", dir.path("unused"), "--writers-group", "",
            ])
        var stopped = false
        defer { if !stopped { p.stop() } }
        // systemd-socket-activate says when it listens; trialsd starts on the first connection.
        let said = p.readError(until: "Listening on")
        XCTAssertTrue(said.contains("Listening on"), said)
        let trialctl = try runProgram(
            Products.path("trialctl"),
            [
                "--socket", socket, "record", "--new", "HARMONi-2", "status-changed", "--occurred", "2022-10",
                "status=recruiting",
            ],
            timeout: 60)
        XCTAssertEqual(trialctl.status, 0, "\(trialctl)")
        let reply = try VarlinkConnection(path: socket, timeout: clientTimeout).trials("Status", ["trial": "HARMONi-2"])
        XCTAssertEqual(reply["trials"]?.arrayValue?.first?["status"], "recruiting")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("unused")), "trialsd bound its own socket")
        XCTAssertEqual(p.stop(), 0, "SIGTERM ends the activated trialsd cleanly")
        stopped = true
    }
}

/// The watchdog is fed from a real liveness check; SIGHUP reloads with RELOADING=1.
final class WatchdogTests: XCTestCase {
    /// STATUS= counts in words a person reads: "1 trial", not "1 trials".
    func testTheStatusLineCountsInTheSingularAndPlural() async throws {
        let server = try await InProcessDaemon()
        var line = await server.daemon.statusLine()
        XCTAssertEqual(line, "0 trials, 0 events, 0 subscribers")
        let one = try Fixture.new("NCT05499390", .registered, "2022-08", ["title": "HARMONi-2"])
        for case .failure(let e) in try server.daemon.store.append(groups: [[one]], recordedBy: "root") {
            XCTFail("\(e)")
        }
        line = await server.daemon.statusLine()
        XCTAssertEqual(line, "1 trial, 1 event, 0 subscribers")
        let two = try Fixture.new("NCT05499390", .statusChanged, "2022-10", ["status": "recruiting"])
        for case .failure(let e) in try server.daemon.store.append(groups: [[two]], recordedBy: "root") {
            XCTFail("\(e)")
        }
        line = await server.daemon.statusLine()
        XCTAssertEqual(line, "1 trial, 2 events, 0 subscribers")
        try await server.stop()
    }

    func testLivenessFailsWhileTheWriterIsStuck() async throws {
        let server = try await InProcessDaemon()
        let before = await server.daemon.livenessProblem(within: .seconds(5))
        XCTAssertNil(before)
        let release = DispatchSemaphore(value: 0), entered = DispatchSemaphore(value: 0)
        let held = Task {
            try await server.daemon.committer.exclusive {
                entered.signal(); release.holdAtMost()
            }
        }
        try entered.wait(for: "the writer to run the held body")  // the writer thread is inside it now
        let problem = await server.daemon.livenessProblem(within: .milliseconds(300))
        XCTAssertEqual(
            problem, "the writer did not answer within 0.3 seconds (a commit, a rebuild or a checkpoint is holding it)",
            "a stuck writer must not feed the watchdog, and the journal must say which probe failed")
        release.signal()
        try await held.value
        let after = await server.daemon.livenessProblem(within: .seconds(5))
        XCTAssertNil(after)
        try await server.stop()
    }

    func testLivenessFailsWhileTheEventLoopIsBlocked() async throws {
        let server = try await InProcessDaemon()
        let release = DispatchSemaphore(value: 0), entered = DispatchSemaphore(value: 0)
        // A handler that blocks the loop (what a blocking send to journald there could do).
        server.daemon.group.next().execute {
            entered.signal(); release.holdAtMost()
        }
        try entered.wait(for: "the event loop to run the blocking task")
        let problem = await server.daemon.livenessProblem(within: .milliseconds(300))
        XCTAssertEqual(
            problem, "the event loop did not run a task within 0.3 seconds (a handler is blocking it)",
            "a blocked event loop must not feed the watchdog, and the journal must say so")
        release.signal()
        let after = await server.daemon.livenessProblem(within: .seconds(5))
        XCTAssertNil(after)
        try await server.stop()
    }

    /// A rebuild holds the writer for seconds per million events: the check counts it alive
    /// while it writes trials, and fails it once it stops making progress.
    func testALongRebuildIsAliveOnlyWhileItProgresses() async throws {
        let server = try await InProcessDaemon()
        let store = server.daemon.store
        // 600 trials: the rebuild hands them over in chunks of 256, so it reports three times.
        let groups = try (0..<600).map { [try Fixture.new("SLOW-\($0)", .registered, "2024-01", ["title": "a trial"])] }
        for case .failure(let e) in try store.append(groups: groups, recordedBy: "root") { XCTFail("\(e)") }
        let entered = DispatchSemaphore(value: 0), proceed = DispatchSemaphore(value: 0)
        let pacing = NIOLockedValueBox(true)
        store.rebuildMonitor.afterChunk = { _ in
            entered.signal()
            if pacing.withLockedValue({ $0 }) { proceed.holdAtMost() }
        }
        let rebuild = ThreadResult { try store.rebuild() }  // it blocks in the hook: not on the async pool
        try entered.wait(for: "the rebuild's first chunk")  // the rebuild holds the write lock, one chunk written
        // An append queued behind the rebuild keeps the writer thread waiting for the lock, so
        // every probe below waits behind it: only the rebuild's progress can answer.
        let appended = DispatchSemaphore(value: 0)
        let outcome = NIOLockedValueBox<GroupCommitter.Outcome?>(nil)
        server.daemon.committer.submit(
            [try Fixture.new("SLOW-600", .registered, "2024-01", ["title": "late"])], recordedBy: "root",
            on: server.daemon.group.next()
        ) { o in
            outcome.withLockedValue { $0 = o }
            appended.signal()
        }
        let first = await server.daemon.livenessProblem(within: .milliseconds(300))
        XCTAssertNil(first, "a rebuild that has written trials since the last check is alive")
        let stuck = await server.daemon.livenessProblem(within: .milliseconds(300))
        XCTAssertEqual(
            stuck,
            "the writer did not answer within 0.3 seconds, and the rebuild holding it wrote no trial since the last check (256 written)"
        )
        proceed.signal()
        try entered.wait(for: "the rebuild's second chunk")  // the rebuild holds the lock again
        let again = await server.daemon.livenessProblem(within: .milliseconds(300))
        XCTAssertNil(again, "the rebuild progressed since the stuck check")
        pacing.withLockedValue { $0 = false }
        proceed.signal()
        let report = try rebuild.wait()
        XCTAssertEqual(report.trials, 600)
        try appended.wait(for: "the append queued behind the rebuild")
        if case .failure(let e) = try XCTUnwrap(outcome.withLockedValue { $0 }) {
            XCTFail("the queued append failed: \(e)")
        }
        XCTAssertNil(store.rebuildProgress, "no rebuild runs any more")
        let after = await server.daemon.livenessProblem(within: .seconds(5))
        XCTAssertNil(after)
        try await server.stop()
    }

    func testWatchdogPingsAndReload() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(directory: dir, environment: ["WATCHDOG_USEC": "600000"])
        try daemon.start()
        XCTAssertNotNil(daemon.notify.wait(for: "WATCHDOG=1", timeout: 10), "no WATCHDOG=1")
        kill(daemon.process.processIdentifier, SIGHUP)
        let reload = try XCTUnwrap(daemon.notify.wait(for: "READY=1", timeout: 10), "no READY=1 after SIGHUP")
        let reloading = try XCTUnwrap(reload.first { $0.contains("RELOADING=1") }, "\(reload)")
        XCTAssertTrue(reloading.contains("MONOTONIC_USEC="), reloading)
        XCTAssertEqual(daemon.terminate(), 0)
    }
}

/// End to end under systemd as PID 1: systemd-nspawn boots this machine's /usr, the shipped
/// units are installed, socket activation, journald, the sync's unit as shipped (`trialctl
/// sync`, as its user, in the writers group) against a stand-in for the registry, and failing
/// when the registry fails, the watchdog and a clean stop.
final class SystemdEndToEndTests: XCTestCase {
    func testUnderSystemdAsPID1() throws {
        try XCTSkipUnless(isRoot, "needs root to boot a container with systemd-nspawn (CI runs as root)")
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-nspawn"),
            "needs systemd-nspawn (apt-get install systemd-container; .ci/run installs it)")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // The stand-in for ClinicalTrials.gov, serving the real records of demo/ctgov, listens on
        // 127.0.0.1 of a network namespace of its own, which the container is then given as its
        // network: the container stays off the host's network (its systemd may not touch the
        // host's links and routes), and the sync reaches the stand-in at 127.0.0.1 as it would a
        // mirror. Once the script creates registry-fails, the stand-in cuts every page of studies
        // short (a failure the fetcher does not retry).
        let registry = FakeRegistry()
        for id in ["NCT00973089", "NCT02552212", "NCT06171568"] {
            try registry.put(try RegistrySyncEndToEndTests.record(id))
        }
        let failFlag = dir.url.appendingPathComponent("registry-fails").path
        let (server, namespace) = try inNewNetworkNamespace {
            try StubRegistryServer { request in
                let answer = registry.answer(request)
                guard request.path == "/api/v2/studies", FileManager.default.fileExists(atPath: failFlag) else {
                    return answer
                }
                return StubResponse(
                    headers: [("Content-Type", "application/json")], body: answer.body, sendOnly: answer.body.count / 2)
            }
        }
        defer {
            server.stop()
            close(namespace)
        }
        let r = try runProgram(
            "/usr/bin/timeout",
            [
                "300", "bash", Repository.path("Tests/TrialsDaemonTests/nspawn_e2e.sh"), Products.path("trialsd"),
                Products.path("trialctl"),
                Repository.path("systemd"), dir.url.path, "/proc/\(getpid())/fd/\(namespace)", String(server.port),
            ], timeout: 330)
        let report = r.out.split(separator: "\n").filter { !$0.hasPrefix("Creating ") }.joined(separator: "\n")
        XCTAssertEqual(
            r.status, 0, "exit status \(r.status)\(r.timedOut ? " (stopped at the deadline)" : ""): \(report)")
        XCTAssertTrue(r.out.contains("e2e: all checks passed"), report)
        let studies = server.requests.filter { $0.path == "/api/v2/studies" }
        XCTAssertGreaterThanOrEqual(
            studies.count, 2, "the container's syncs reached the stand-in: \(server.requests.map(\.target))")
    }
}

private struct NamespaceError: Error, CustomStringConvertible { let description: String }

@_silgen_name("unshare") private func unshareNamespaces(_ flags: Int32) -> Int32

/// Runs `make` on a thread of its own in a new network namespace whose loopback is up (a
/// network namespace is a thread's, so no other thread of the process moves), and returns what
/// it made (sockets stay in the namespace they were made in) with a descriptor of the
/// namespace, which keeps it alive and which /proc/PID/fd/N names for other programs.
private func inNewNetworkNamespace<T: Sendable>(_ make: @escaping @Sendable () throws -> T) throws -> (T, Int32) {
    let outcome = NIOLockedValueBox<Result<(T, Int32), any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        defer { done.signal() }
        outcome.withLockedValue {
            $0 = Result {
                guard unshareNamespaces(0x4000_0000 /* CLONE_NEWNET */) == 0 else {
                    throw NamespaceError(description: "unshare(CLONE_NEWNET): \(String(cString: strerror(errno)))")
                }
                let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                defer { close(s) }
                var request = ifreq()
                withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { name in
                    name[0] = UInt8(ascii: "l"); name[1] = UInt8(ascii: "o")
                }
                request.ifr_ifru.ifru_flags = Int16(IFF_UP | IFF_RUNNING)
                guard s >= 0, ioctl(s, UInt(SIOCSIFFLAGS), &request) == 0 else {
                    throw NamespaceError(description: "bringing lo up: \(String(cString: strerror(errno)))")
                }
                let fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    throw NamespaceError(description: "/proc/thread-self/ns/net: \(String(cString: strerror(errno)))")
                }
                do { return (try make(), fd) } catch { close(fd); throw error }
            }
        }
    }
    done.wait()
    return try outcome.withLockedValue { $0! }.get()
}
