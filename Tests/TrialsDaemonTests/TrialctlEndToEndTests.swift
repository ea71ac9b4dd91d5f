import Foundation
import TrialDomain
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// The built trialctl against the built trialsd, on a temporary socket and database.
final class TrialctlEndToEndTests: XCTestCase {
    var dir: TemporaryDirectory!
    var daemon: DaemonProcess!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
        daemon = try DaemonProcess(directory: dir)
        try daemon.start()
    }

    override func tearDownWithError() throws {
        XCTAssertEqual(daemon.terminate(), 0)
        dir.remove()
    }

    /// Runs the built trialctl against the daemon (or `socket`); standard output and error apart.
    @discardableResult
    func trialctl(
        _ args: [String], stdin: String? = nil, socket: String? = nil, environment: [String: String] = [:],
        timeout: Double = 60
    ) throws -> ProgramResult {
        try Self.trialctl(
            args, home: dir.url.path, socket: socket ?? daemon.socketPath, stdin: stdin, environment: environment,
            timeout: timeout)
    }

    /// `trialctl(_:)` with its home and socket given, for a thread of its own (no `self`).
    static func trialctl(
        _ args: [String], home: String, socket: String, stdin: String? = nil, environment: [String: String] = [:],
        timeout: Double = 60
    ) throws -> ProgramResult {
        var env = ["PATH": "/usr/bin:/bin", "HOME": home]
        for (k, v) in environment { env[k] = v }
        return try runProgram(
            Products.path("trialctl"), ["--socket", socket] + args, stdin: stdin, environment: env,
            output: .separate, timeout: timeout)
    }

    func testRecordStatusLogCorrectRetractAndVerify() throws {
        var r = try trialctl([
            "record", "ILLUMINE", "registered", "--occurred", "2025-12-04", "--source",
            "ClinicalTrials.gov NCT07264075",
            "--payload",
            #"{"title": "Ivonescimab vs pembrolizumab in R/M HNSCC", "acronym": "ILLUMINE", "identifiers": [{"registry": "nct", "id": "NCT07264075"}, {"registry": "ctis", "id": "2025-522996-27-00"}], "phases": ["phase-3"]}"#,
        ])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("seq 1"), r.out)
        r = try trialctl([
            "record", "NCT07264075", "status-changed", "--occurred", "2025-12-04", "status=not-yet-recruiting",
        ])
        XCTAssertEqual(r.status, 0, "\(r)")
        r = try trialctl([
            "record", "2025-522996-27-00", "milestone-expected", "--occurred", "2025-12-04",
            "milestone=status-changed:recruiting", "window=2026-01-31",
        ])
        XCTAssertEqual(r.status, 0, "\(r)")

        // The table of all trials, and one trial in the systemctl-status manner.
        r = try trialctl(["status"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("ILLUMINE"), r.out)
        XCTAssertTrue(r.out.contains("NCT07264075"), r.out)
        XCTAssertTrue(r.out.contains("not-yet-recruiting"), r.out)
        XCTAssertFalse(r.out.contains("\u{1B}["), "colour off a terminal")
        r = try trialctl(["status", "gortec 2024-04"])
        XCTAssertEqual(r.status, 4, "no such trial: exit 4; \(r)")
        XCTAssertTrue(r.err.hasPrefix("trialctl: "), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1)
        r = try trialctl(["status", "2025-522996-27-00"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("Ivonescimab vs pembrolizumab"), r.out)
        XCTAssertTrue(r.out.contains("2026-01-31"), r.out)

        // --json prints the reply's parameters.
        r = try trialctl(["status", "ILLUMINE", "--json"])
        let json = try JSONValue.parse(r.out.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(json["trials"]?.arrayValue?.first?["status"], "not-yet-recruiting")

        r = try trialctl(["correct", "2", "--reason", "registry shows recruiting", "status=recruiting"])
        XCTAssertEqual(r.status, 0, "\(r)")
        r = try trialctl(["retract", "3", "--reason", "forecast withdrawn"])
        XCTAssertEqual(r.status, 0, "\(r)")
        r = try trialctl(["log", "ILLUMINE"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.out.split(separator: "\n").filter { $0.contains("ILLUMINE") }.count, 5, r.out)
        // -n: the newest, as journalctl; the hint about earlier ones on standard error only.
        r = try trialctl(["log", "--json", "-n", "2"])
        XCTAssertEqual(
            try JSONValue.parse(r.out.trimmingCharacters(in: .whitespacesAndNewlines))["events"]?.arrayValue?.map {
                $0["seq"]
            }, [4, 5])
        r = try trialctl(["log", "-n", "2"])
        XCTAssertEqual(r.out.split(separator: "\n").map { $0.split(separator: " ").first }, ["4", "5"], "\(r)")
        XCTAssertTrue(r.err.hasPrefix("-- 2 events shown, the newest; earlier ones: --until "), r.err)

        // A trial that exists is not "no such trial" at a point in time before its first event.
        r = try trialctl(["status", "ILLUMINE", "--as-of", "2025-06-01"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(
            r.out,
            "ILLUMINE: nothing recorded about it had happened by 2025-06-01 (first event: registered 2025-12-04)\n")
        r = try trialctl(["status", "ILLUMINE", "--known-at", "2020-01-01"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.hasPrefix("ILLUMINE: was not in the log yet at 2020-01-01 (first recorded "), r.out)
        r = try trialctl(["status", "HARMONi-9", "--as-of", "2025-06-01"])
        XCTAssertEqual(r.status, 4, "\(r)")
        r = try trialctl(["verify"])
        XCTAssertEqual(r.status, 0, "\(r)")
        r = try trialctl(["stats", "--json"])
        XCTAssertEqual(try JSONValue.parse(r.out.trimmingCharacters(in: .whitespacesAndNewlines))["events"], 5)
        r = try trialctl(["rebuild"])
        XCTAssertEqual(r.status, 0, "\(r)")
    }

    /// A typo must not start a trial (issue 26 point 6): only `registered`, or `--new`, does.
    func testAnEventForAnUnknownTrialIsRefusedWithTheClosestName() throws {
        var r = try trialctl(["record", "HARMONi-6", "registered", "--occurred", "2025-04", "title=HARMONi-6"])
        XCTAssertEqual(r.status, 0, "\(r)")
        r = try trialctl([
            "record", "HARMONi-7", "readout", "--occurred", "2026-06-02", "kind=primary", "outcome=positive",
            #"endpoints=["OS"]"#,
        ])
        XCTAssertEqual(r.status, 4, "\(r)")
        XCTAssertEqual(r.err, "trialctl: no such trial: HARMONi-7 (did you mean HARMONi-6?)\n")
        for command in [["status", "HARMONi-7"], ["log", "HARMONi-7"]] {
            r = try trialctl(command)
            XCTAssertEqual(r.status, 4, "\(command): \(r)")
            XCTAssertEqual(r.err, "trialctl: no such trial: HARMONi-7 (did you mean HARMONi-6?)\n", "\(command)")
        }
        XCTAssertEqual(try daemon.connect().trials("Stats")["events"], 1, "nothing was recorded for the typo")
        // --new says the trial is new on purpose.
        r = try trialctl([
            "record", "--new", "NCT04280705", "status-changed", "--occurred", "2020-03", "status=recruiting",
        ])
        XCTAssertEqual(r.status, 0, "\(r)")
        r = try trialctl(["record", "--new", "NCT04280705", "presented", "--occurred", "2020-04", "venue=ASCO"])
        XCTAssertEqual(r.status, 1, "--new on a known trial: \(r)")
        XCTAssertEqual(r.err, "trialctl: NCT04280705 already exists (at version 1), not new as expected\n")
        // A file may register a trial and record its events in one batch.
        let batch =
            #"{"trial": "ILLUMINE", "type": "registered", "occurred": "2025-12-04", "payload": {"title": "ILLUMINE"}}"#
            + "\n"
            + #"{"trial": "ILLUMINE", "type": "status-changed", "occurred": "2025-12-04", "payload": {"status": "not-yet-recruiting"}}"#
        r = try trialctl(["record", "--file", "-"], stdin: batch)
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(try daemon.connect().trials("Stats")["events"], 4)
    }

    func testRecordFromAFileIsAllOrNothing() throws {
        let good =
            #"{"trial": "HARMONi-6", "type": "interim-analysis", "occurred": "2025-04", "expectedVersion": 0, "payload": {"analysis": "first interim analysis", "endpoints": ["PFS"], "outcome": "met"}}"#
        let bad =
            #"{"trial": "HARMONi-6", "type": "readout", "occurred": "2026-06-02", "payload": {"kind": "primary", "outcome": "splendid"}}"#
        var r = try trialctl(["record", "--file", "-"], stdin: good + "\n" + bad + "\n")
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.err.contains("payload.outcome"), r.err)
        XCTAssertEqual(try daemon.connect().trials("Stats")["events"], 0)
        r = try trialctl(["record", "--file", "-"], stdin: good + "\n\n")
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(try daemon.connect().trials("Stats")["events"], 1)
    }

    func testAStuckDaemonIsWaitedForOnlyUntilTheTimeout() throws {
        // A stopped trialsd: the connection is accepted by the kernel, no answer comes.
        kill(daemon.process.processIdentifier, SIGSTOP)
        defer { kill(daemon.process.processIdentifier, SIGCONT) }
        let r = try trialctl(["status", "--timeout", "0.5"], timeout: 30)
        XCTAssertEqual(r.status, 3, "\(r)")
        XCTAssertEqual(
            r.err,
            "trialctl: trialsd at \(daemon.socketPath) did not answer within 0.5 s; is it stuck? (systemctl status trialsd)\n"
        )
        XCTAssertEqual(r.out, "")
    }

    func testErrorsAndExitCodes() throws {
        var r = try trialctl(["status"], socket: dir.path("nothing-here"))
        XCTAssertEqual(r.status, 3, "daemon not reachable: exit 3: \(r)")
        XCTAssertTrue(r.err.hasPrefix("trialctl: "), r.err)
        r = try trialctl(["record"])
        XCTAssertEqual(r.status, 2, "usage error: exit 2: \(r)")
        r = try trialctl(["frobnicate"])
        XCTAssertEqual(r.status, 2, "\(r)")
        r = try trialctl(["record", "NCT123", "status-changed", "status=recruiting"])
        XCTAssertEqual(r.status, 2, "a malformed trial id on the command line is a usage error: \(r)")
        XCTAssertTrue(r.err.contains("NCT followed by 8 digits"), r.err)
        XCTAssertFalse(r.err.contains("Fatal error") || r.err.contains("Stack"), r.err)
        r = try trialctl(["status", "--as-of", "June 2025"])
        XCTAssertEqual(r.status, 2, "\(r)")
    }

    func testImportOfRealClinicalTrialsGovRecordsIsIdempotent() throws {
        let files = ["NCT00973089.json", "NCT02552212.json", "NCT06171568.json"].map {
            Repository.path("demo/ctgov/\($0)")
        }
        var r = try trialctl(["import"] + files)
        XCTAssertEqual(r.status, 0, "\(r)")
        let events = try daemon.connect().trials("Stats")["events"]?.int64Value ?? 0
        XCTAssertGreaterThan(events, 5)
        r = try trialctl(["import"] + files)
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(
            try daemon.connect().trials("Stats")["events"]?.int64Value, events,
            "re-importing the same records wrote something")
        r = try trialctl(["status", "NCT00973089"])
        XCTAssertTrue(r.out.contains("withdrawn"), r.out)
        // C-AXSPAND's posted results: a critical readout, its primary outcomes one line each.
        r = try trialctl(["status", "NCT02552212"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(
            r.out.contains("2020-08-17 readout        results posted: 11 primary, 20 secondary outcome measures"), r.out
        )
        XCTAssertTrue(
            r.out.contains(
                "Percentage of Subjects With Ankylosing Spondylitis Disease Activity Score Major Improvement (ASDAS-MI) Response Criteria Response at Week 52: "
                    + "Placebo (FAS) 7% vs CZP 200 mg Q2W (FAS) 47.2%, OR 15.231 (95% CI 7.336–31.623), P < .001"),
            r.out)
        XCTAssertTrue(r.out.contains("and 20 other outcome measures (status --json lists them)"), r.out)
        r = try trialctl(["import", "-"], stdin: "{\"studies\": [{\"protocolSection\": 3}]}")
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.err.contains("<stdin>"), r.err)
    }

    func testWatchFollowsNewEvents() throws {
        let c = try daemon.connect()
        // One event before the watcher joins: with -n 0 (none of the last events) and without
        // --since, watch starts from now, so it must not print it.
        try c.register("HARMONi-A")
        let home = dir.url.path, socket = daemon.socketPath
        let watcher = ThreadResult {
            try Self.trialctl(["watch", "-n", "0", "--json", "--count", "2"], home: home, socket: socket, timeout: 30)
        }
        // Append only once the daemon counts the watcher's subscription, then exactly two events.
        do {
            try waitUntil("trialctl watch to subscribe (Stats.subscribers == 1)") {
                try c.trials("Stats")["subscribers"] == 1
            }
        } catch {
            XCTFail("the watcher: \(try watcher.wait())")
            throw error
        }
        for i in 1...2 {
            try c.trials("Append", ["event": event("HARMONi-A", "presented", "2024", ["venue": .string("M\(i)")])])
        }
        let r = try watcher.wait()
        XCTAssertFalse(r.timedOut, "watch --count 2 did not exit after two events: \(r)")
        XCTAssertEqual(r.status, 0, "\(r)")
        let lines = r.out.split(separator: "\n")
        let seqs = try lines.map { try JSONValue.parse(String($0))["seq"]?.int64Value }
        XCTAssertEqual(seqs, [2, 3], "watch prints the two events appended after it joined, in order: \(r)")
        guard lines.count == 2 else { return }
        XCTAssertEqual(try JSONValue.parse(String(lines[1]))["payload"]?["venue"], "M2", "\(r)")
    }

    /// Completes `words` (the last one being typed) as bash would, with the script
    /// `--generate-completion-script bash` makes (the one `make install` installs): the
    /// completion's own calls of `trialctl ---completion …` reach trialsd at `socket`.
    func bashCompletions(_ words: [String], socket: String) throws -> ProgramResult {
        let script = try runProgram(
            Products.path("trialctl"), ["--generate-completion-script", "bash"], output: .separate
        ).out
        let path = dir.url.appendingPathComponent("trialctl.bash").path
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let quoted = ([Products.path("trialctl")] + words).map { "'" + $0 + "'" }.joined(separator: " ")
        let line = ([Products.path("trialctl")] + words).joined(separator: " ")
        let program = """
            source '\(path)'
            COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count); COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
            _trialctl trialctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"  # as `complete -F` calls it
            (( ${#COMPREPLY[@]} == 0 )) || printf '%s\\n' "${COMPREPLY[@]}"
            """
        return try runProgram(
            "/bin/bash", ["-c", program], environment: ["PATH": "/usr/bin:/bin", "TRIALCTL_SOCKET": socket],
            output: .separate, timeout: 30)
    }

    func testCompletionOfTrialNamesAndTypes() throws {
        try trialctl(["record", "HARMONi-A", "registered", "--occurred", "2024", "acronym=HARMONi-A", "title=A"])
        try trialctl(["record", "ILLUMINE", "registered", "--occurred", "2025", "acronym=ILLUMINE", "title=I"])
        var r = try bashCompletions(["status", ""], socket: daemon.socketPath)
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.err, "")
        XCTAssertEqual(Set(r.out.split(separator: "\n")), ["HARMONi-A", "ILLUMINE"], "\(r)")
        r = try bashCompletions(["log", "HAR"], socket: daemon.socketPath)
        XCTAssertEqual(r.out, "HARMONi-A\n", "\(r)")
        r = try bashCompletions(["log", "--type", "ret"], socket: daemon.socketPath)
        XCTAssertEqual(r.out, "retracted\n", "\(r)")
        // With no trialsd there, nothing, and no message.
        r = try bashCompletions(["status", ""], socket: dir.url.appendingPathComponent("nothing-here").path)
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.out, "", "\(r)")
        XCTAssertEqual(r.err, "", "\(r)")
        // The call the scripts make, directly.
        let direct = try runProgram(
            Products.path("trialctl"),
            ["---completion", "status", "--", "positional@0", "2", "1", "trialctl", "status", "I"],
            environment: ["TRIALCTL_SOCKET": daemon.socketPath], output: .separate, timeout: 30)
        XCTAssertEqual(direct.status, 0, "\(direct)")
        XCTAssertEqual(direct.out, "ILLUMINE\n", "\(direct)")
    }
}
