@testable import TrialClient
import TrialDomain
import TrialProtocol
import XCTest

/// Commands run in-process against a stand-in for trialsd: what they send, print and exit with.
final class CommandTests: XCTestCase {
    var h = Harness()

    override func setUp() {
        h = Harness()
    }

    func sent(_ i: Int = 0) -> (method: String, parameters: String) {
        let c = h.trialsd.calls[i]
        return (c.method, JSONValue.object(c.parameters).canonicalText)
    }

    // MARK: - status

    func testStatusOfEveryTrial() {
        h.trialsd.reply("Status", Trials.statusAll)
        let r = h.run("status")
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stderr, "\n3 trials listed.\n", "the footer goes apart, out of a pipe")
        XCTAssertEqual(r.stdout, Render.statusTable(try! Reply.trials(Trials.statusAll), style: .plain).body)
        XCTAssertEqual(sent().method, "org.trialtrack.Trials.Status")
        XCTAssertEqual(sent().parameters, "{}")
        XCTAssertEqual(h.connects, ["/run/test/control"])
    }

    /// Every trial is asked for with `more` and comes in pages: they make one table, and with
    /// --json one reply, as a single reply would.
    func testStatusOfEveryTrialJoinsItsPages() throws {
        let all = try XCTUnwrap(Trials.statusAll["trials"]?.arrayValue)
        XCTAssertGreaterThan(all.count, 2)
        // An empty page (trialsd sends one only last, but a listing must not depend on it).
        h.trialsd.pages["Status"] = [
            JSONObject([("trials", [])]), JSONObject([("trials", .array(Array(all.prefix(2))))]),
            JSONObject([("trials", [])]), JSONObject([("trials", .array(Array(all.dropFirst(2))))]),
        ]
        let table = h.run("status")
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertEqual(table.stdout, Render.statusTable(try! Reply.trials(Trials.statusAll), style: .plain).body)
        let json = h.run("status", "--json")
        XCTAssertEqual(json.stdout, JSONValue.object(Trials.statusAll).canonicalText + "\n")
        // A bad trial in a later page is named by its place in the whole listing.
        var broken = all
        broken[all.count - 1] = ["key": 42]
        h.trialsd.pages["Status"] = [
            JSONObject([("trials", .array(Array(broken.prefix(2))))]),
            JSONObject([("trials", .array(Array(broken.dropFirst(2))))]),
        ]
        let bad = h.run("status")
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("trials[\(all.count - 1)]"), bad.stderr)
        XCTAssertEqual(h.trialsd.calls.map(\.method), Array(repeating: "org.trialtrack.Trials.Status", count: 3))
        // A page without its list is trialsd breaking the protocol, said in one line.
        h.trialsd.pages["Status"] = [JSONObject([("other", 1)])]
        let listless = h.run("status")
        XCTAssertEqual(listless.status, 1)
        XCTAssertTrue(
            listless.stderr.hasPrefix("trialctl: ") && listless.stderr.contains("a Status reply without trials"),
            listless.stderr)
    }

    func testNoCommandMeansStatus() {
        h.trialsd.reply("Status", Trials.statusAll)
        XCTAssertEqual(h.run([]).status, 0)
        XCTAssertEqual(h.run("--socket", "/srv/trialsd.sock", "--no-pager").status, 0)
        XCTAssertEqual(h.connects, ["/run/test/control", "/srv/trialsd.sock"])
        XCTAssertEqual(h.trialsd.calls.map(\.method), ["org.trialtrack.Trials.Status", "org.trialtrack.Trials.Status"])
    }

    /// As with systemctl, the options of every command and the output options may come before
    /// the command; `trialctl --json log` once ran `status log` ("no such trial: log").
    func testOptionsMayComeBeforeTheCommand() {
        h.trialsd.reply("Log", Trials.logReply(1...2))
        h.trialsd.reply("Status", Trials.statusAll)
        h.trialsd.reply(
            "Stats",
            params([
                "events": 1, "trials": 1, "lastSeq": 1, "databaseBytes": 1, "walBytes": 0, "connections": 1,
                "subscribers": 0,
            ]))
        let log = h.run("--json", "--socket", "/tmp/s", "--timeout", "5", "log", "HARMONi-2")
        XCTAssertEqual(log.status, 0, log.stderr)
        XCTAssertEqual(log.stdout, JSONValue.object(Trials.logReply(1...2)).canonicalText + "\n")
        XCTAssertEqual(sent().parameters, #"{"limit":10000,"since":0,"trial":"HARMONi-2"}"#)
        XCTAssertEqual(h.connects.last, "/tmp/s")
        XCTAssertEqual(h.timeouts.last, .seconds(5))
        let stats = h.run("--timeout=7", "--no-color", "--json", "stats")
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertEqual(h.timeouts.last, .seconds(7))
        XCTAssertTrue(stats.stdout.hasPrefix("{"), stats.stdout)
        // Options alone still mean status.
        let status = h.run("-l", "--json")
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertEqual(status.stdout, JSONValue.object(Trials.statusAll).canonicalText + "\n")
        // A command without the option refuses it as it would behind the command.
        let record = h.run("-l", "record", "HARMONi-2", "presented", "--occurred", "2025", "venue=ESMO")
        XCTAssertEqual(record.status, 2)
        XCTAssertEqual(record.stderr, "trialctl: unknown option '-l' (see 'trialctl record --help')\n")
        XCTAssertEqual(h.trialsd.calls.map(\.method), ["Log", "Stats", "Status"].map { "org.trialtrack.Trials." + $0 })
    }
    func testStatusOfOneTrialAtAPointInTime() {
        h.trialsd.reply("Status", Trials.statusOne(Trials.illumine))
        h.trialsd.reply("Log", params(["events": []]))  // no retractions
        let r = h.run("status", "ILLUMINE", "--as-of", "2026-06-01", "--known-at", "2026-06-01T12:00Z")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(sent().parameters, #"{"asOf":"2026-06-01","knownAt":"2026-06-01T12:00Z","trial":"ILLUMINE"}"#)
        XCTAssertTrue(r.stdout.hasPrefix("* ILLUMINE - Ivonescimab with or without ligufalimab"))
        XCTAssertTrue(
            r.stdout.contains(
                "     Showing: as of 2026-06-01 (world time), as known at 2026-06-01T12:00Z (recording time)\n"))
    }

    func testStatusJSONIsTheReplyOnOneLine() {
        h.trialsd.reply("Status", Trials.statusOne(Trials.harmoni2))
        let r = h.run("status", "NCT05499390", "--json")
        XCTAssertEqual(r.stdout, JSONValue.object(Trials.statusOne(Trials.harmoni2)).canonicalText + "\n")
        XCTAssertEqual(r.stdout.filter { $0 == "\n" }.count, 1)
    }

    func testNoSuchTrialExits4() {
        h.trialsd.fail("Status", TrialsInterface.error("NoSuchTrial", [("trial", "HARMONi-9")]))
        let r = h.run("status", "HARMONi-9")
        XCTAssertEqual(r.status, 4)
        XCTAssertEqual(r.stderr, "trialctl: no such trial: HARMONi-9\n")
        XCTAssertEqual(r.stdout, "")
        h.trialsd.fail("Log", TrialsInterface.error("NoSuchTrial", [("trial", "HARMONi-9")]))
        XCTAssertEqual(h.run("log", "HARMONi-9").status, 4)
    }

    func testUnreachableExits3() {
        var out = ""
        var err = ""
        let ctx = Context(
            environment: ["XDG_RUNTIME_DIR": "/run/user/1000"], writeOut: { out += $0 }, writeErr: { err += $0 },
            fileExists: { _ in false },
            connect: { path, _ in throw ClientError.unreachable(path: path, reason: "No such file or directory") },
            uid: 1000)
        XCTAssertEqual(TrialctlMain.run(["status"], context: ctx), 3)
        XCTAssertEqual(
            err,
            "trialctl: cannot reach trialsd: tried /run/trialsd/control (the system's: No such file or directory), then /run/user/1000/trialsd/control (yours: No such file or directory); start trialsd (as a service, or yourself: it serves your own socket), or name its socket with --socket PATH or TRIALCTL_SOCKET\n"
        )
        XCTAssertEqual(out, "")
    }

    func testEachAnswerIsWaitedForAtMostTheTimeoutButAWatchForEver() {
        h.trialsd.reply(
            "Stats",
            params([
                "events": 16, "trials": 3, "lastSeq": 16, "databaseBytes": 4096, "walBytes": 0, "connections": 1,
                "subscribers": 0, "eventsByType": [:], "expectationsByState": [:], "schema": [],
                "database": "/tmp/t.db",
                "uptimeSeconds": 1.5,
            ]))
        h.trialsd.reply("Verify", params(["ok": true, "checked": 16, "lastSeq": 16, "headHash": "ab"]))
        h.trialsd.streams = [([params(["event": Trials.events[0].json])], nil)]
        XCTAssertEqual(h.run("stats").status, 0)
        XCTAssertEqual(h.run("stats", "--timeout", "2.5").status, 0)
        XCTAssertEqual(h.run("stats", "--timeout", "0").status, 0)
        XCTAssertEqual(h.run("verify").status, 0)  // grows with the log: for ever by default
        XCTAssertEqual(h.run("verify", "--timeout", "30").status, 0)
        XCTAssertEqual(h.run("watch", "--timeout", "5", "--count", "1", "-n", "0").status, 0)
        XCTAssertEqual(h.timeouts, [.seconds(90), .milliseconds(2500), nil, nil, .seconds(30), nil])
        let bad = h.run("stats", "--timeout=-1")
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(
            bad.stderr, "trialctl: --timeout: give 0 (for ever) or more seconds, not -1 (see 'trialctl stats --help')\n"
        )
    }

    func testTheRealConnectionToANonexistentSocket() {
        let r = TrialctlMain.run(["verify"], environment: ["TRIALCTL_SOCKET": "/nonexistent/trialsd/control"])
        XCTAssertEqual(r.status, 3)
        XCTAssertEqual(
            r.stderr,
            "trialctl: cannot reach trialsd at /nonexistent/trialsd/control: No such file or directory (from TRIALCTL_SOCKET); is trialsd running?\n"
        )
    }

    // MARK: - usage

    func testUsageErrorsExit2OnOneLine() {
        for args in [
            ["record"], ["record", "HARMONi-6"], ["record", "HARMONi-6", "paused"], ["log", "--lines", "-1"],
            ["log", "-n", "x"],
            ["status", "--as-of", "June"], ["status", "--known-at", "noon"], ["record", "X", "readout", "recruiting"],
            ["record", "--file", "e.jsonl", "HARMONi-6"], ["correct", "7"], ["correct", "7", "--reason", "r"],
            ["retract", "7"], ["watch", "--type", "readouts"], ["stauts"], ["status", "--bogus"], ["import"],
            ["record", "NCT123", "readout"], ["record", "X", "readout", "--id", "abc"],
            ["record", "X", "readout", "--occurred", "2026-13"],
        ] {
            let r = h.run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("trialctl: "), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "\(args): \(r.stderr)")
        }
        XCTAssertTrue(h.trialsd.calls.isEmpty, "nothing is sent on a usage error")
        XCTAssertEqual(
            h.run("stauts").stderr,
            "trialctl: unknown command 'stauts'; the commands are status, log, record, import, correct, retract, watch, upcoming, verify, rebuild, stats, follow, unfollow, following, sync, backfill, timeline, backup, export (see 'trialctl --help')\n"
        )
        XCTAssertTrue(
            h.run("record", "HARMONi-6", "paused").stderr.hasPrefix(
                "trialctl: TYPE: unknown event type 'paused'; the types are registered, status-changed, "))
        XCTAssertEqual(
            h.run("log", "--lines", "-1").stderr,
            "trialctl: -n/--lines: give 0 or more events, not -1 (see 'trialctl log --help')\n")
        XCTAssertEqual(
            h.run("record", "X", "readout", "recruiting").stderr,
            "trialctl: 'recruiting' is not KEY=VALUE (a payload field, e.g. status=recruiting) (see 'trialctl record --help')\n"
        )
    }

    func testHelpExits0() {
        for args in [["--help"], ["help"], ["status", "--help"], ["help", "record"], ["record", "-h"]] {
            let r = h.run(args)
            XCTAssertEqual(r.status, 0, "\(args)")
            XCTAssertEqual(r.stderr, "")
            XCTAssertTrue(r.stdout.contains("USAGE: trialctl"), "\(args): \(r.stdout)")
        }
        XCTAssertTrue(h.run("--help").stdout.contains("4 no such trial"))
        XCTAssertTrue(h.run("--help").stdout.contains("/run/trialsd/control"))
        XCTAssertTrue(h.run("record", "--help").stdout.contains("KEY=VALUE"))
        XCTAssertEqual(h.run("--version").stdout, "trialctl \(trialctlVersion)\n")
    }

    /// Help texts are prose joined with `\` continuations: a lost continuation leaves a run
    /// of indentation inside a line (it did once, in `correct`).
    func testHelpTextsHaveNoGapsInsideALine() {
        for command in [Trialctl.self] + Trialctl.configuration.subcommands {
            for line in command.configuration.discussion.split(separator: "\n") {
                XCTAssertFalse(
                    line.drop { $0 == " " }.contains("   "),
                    "\(command.configuration.commandName ?? "trialctl"): '\(line)'")
            }
        }
    }

    func testEveryCommandTakesSocketAndNoPager() {
        h.trialsd.reply("Status", Trials.statusAll)
        h.trialsd.reply("Log", Trials.logReply(1...2))
        h.trialsd.reply("Upcoming", Trials.upcomingReply)
        h.trialsd.reply("Verify", params(["ok": true, "checked": 1, "lastSeq": 1, "headHash": "ab"]))
        h.trialsd.reply("Rebuild", params(["trials": 1, "events": 1, "seconds": 0.1]))
        h.trialsd.reply(
            "Stats",
            params([
                "events": 1, "trials": 1, "lastSeq": 1, "databaseBytes": 1, "walBytes": 0, "connections": 1,
                "subscribers": 0,
            ]))
        for cmd in ["status", "log", "upcoming", "verify", "rebuild", "stats"] {
            let r = h.run(cmd, "--socket", "/tmp/s", "--no-pager", "--no-color")
            XCTAssertEqual(r.status, 0, "\(cmd): \(r.stderr)")
        }
        XCTAssertEqual(Set(h.connects), ["/tmp/s"])
    }

    func testLongOutputOnATerminalGoesThroughThePager() {
        h.trialsd.reply("Log", Trials.logReply(1...16))
        var paged: [String] = []
        var out = ""
        let trialsd = h.trialsd
        func ctx() -> Context {
            Context(
                environment: ["TRIALCTL_SOCKET": "/s", "NO_COLOR": "1"],
                terminal: Terminal(isTTY: true, columns: 200, rows: 10, term: "xterm"),
                writeOut: { out += $0 }, writeErr: { _ in }, connect: { _, _ in trialsd },
                page: { text, _ in
                    paged.append(text); return true
                })
        }
        XCTAssertEqual(TrialctlMain.run(["log"], context: ctx()), 0)
        XCTAssertEqual(paged.count, 1)
        XCTAssertEqual(out, "")
        XCTAssertEqual(TrialctlMain.run(["log", "--no-pager"], context: ctx()), 0)
        XCTAssertEqual(paged.count, 1)
        XCTAssertEqual(out.split(separator: "\n").count, 16)
        XCTAssertFalse(out.contains("\u{1B}"), "NO_COLOR")
        // Written directly, up to the last event, which fits the terminal's 200 columns uncut.
        XCTAssertEqual(
            out.split(separator: "\n").last,
            "16 2026-11-21T09:16:00Z NCT07264075 milestone-overdue  2026-04-01 expected milestone (seq 15) is overdue (by trialsd)"
        )
    }

    // MARK: - log

    // MARK: - record

    func testRecordSendsTheEventContract() {
        h.trialsd.reply("Append") { p in
            params([
                "event": Trials.events[6].json, "replayed": false,
                "trial": Trials.trialJSON(Trials.harmoni6, detailed: false),
            ])
        }
        let r = h.run(
            "record", "HARMONi-6", "readout", "--occurred", "2026-06-02", "--source", "World Today Journal, 2026-06-02",
            "--id", "8F0C1D2E-0000-4000-8000-000000000007", "--expect-version", "3",
            "kind=primary", "outcome=positive", #"endpoints=["OS"]"#, "venue=ASCO 2026")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "Recorded seq 7: HARMONi-6 readout 2026-06-02 (version 4)\n")
        XCTAssertEqual(sent().method, "org.trialtrack.Trials.Append")
        XCTAssertEqual(
            sent().parameters,
            #"{"event":{"expectedVersion":3,"id":"8F0C1D2E-0000-4000-8000-000000000007","occurred":"2026-06-02","payload":{"endpoints":["OS"],"kind":"primary","outcome":"positive","venue":"ASCO 2026"},"source":"World Today Journal, 2026-06-02","trial":"HARMONi-6","type":"readout"}}"#
        )
    }

    func testRecordWithAPayloadFromStandardInput() {
        h.stdin = Array(#"{"status":"suspended","whyStopped":"sponsor decision"}"#.utf8)
        h.trialsd.reply(
            "Append",
            params([
                "event": Trials.events[12].json, "replayed": true,
                "trial": Trials.trialJSON(Trials.illumine, detailed: false),
            ]))
        let r = h.run("record", "NCT07264075", "status-changed", "--payload", "@-", "whyStopped=funding")
        XCTAssertEqual(r.stdout, "Already recorded as seq 13 (same id and content)\n")
        XCTAssertEqual(
            sent().parameters,
            #"{"event":{"payload":{"status":"suspended","whyStopped":"funding"},"trial":"NCT07264075","type":"status-changed"}}"#
        )
    }

    func testRecordErrorsAreSentences() {
        h.trialsd.fail(
            "Append",
            TrialsInterface.error("WrongExpectedVersion", [("trial", "HARMONi-2"), ("expected", 2), ("current", 3)]))
        var r = h.run("record", "HARMONi-2", "presented", "--expect-version", "2", "venue=WCLC 2025")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "trialctl: HARMONi-2 is at version 3, not 2\n")
        h.trialsd.fail("Append", .permissionDenied())
        r = h.run("record", "HARMONi-2", "presented", "venue=WCLC 2025")
        XCTAssertEqual(
            r.stderr,
            "trialctl: permission denied: recording needs root, the user trialsd runs as, or membership in its writers group (trialsd --writers-group NAME, default trialsd)\n"
        )
        h.trialsd.fail(
            "Append",
            TrialsInterface.error(
                "InvalidEvent",
                [("field", "payload.status"), ("reason", "'paused' is not one of: not-yet-recruiting, recruiting, …")]))
        r = h.run("record", "HARMONi-2", "status-changed", "status=paused")
        XCTAssertEqual(
            r.stderr,
            "trialctl: invalid event: payload.status: 'paused' is not one of: not-yet-recruiting, recruiting, …\n")
        XCTAssertEqual(r.status, 1)
    }

    func testRecordAFileAllOrNothing() {
        h.files["events.jsonl"] = """
            {"trial": "HARMONi-6", "type": "presented", "occurred": "2026-06-02", "payload": {"venue": "ASCO 2026"}}

            {"trial": "HARMONi-6", "type": "milestone-expected", "occurred": "2026-06-02", "payload": {"milestone": "presented:ESMO", "window": "2026"}}

            """
        h.trialsd.reply("AppendMany", Trials.logReply(8...9))
        var r = h.run("record", "--file", "events.jsonl")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.stdout,
            "Recorded seq 8: HARMONi-6 presented 2026-06-02 (version 5)\nRecorded seq 9: HARMONi-6 milestone-expected 2026-06-02 (version 6)\n"
        )
        XCTAssertEqual(sent().method, "org.trialtrack.Trials.AppendMany")
        XCTAssertEqual(
            sent().parameters,
            #"{"events":[{"occurred":"2026-06-02","payload":{"venue":"ASCO 2026"},"trial":"HARMONi-6","type":"presented"},{"occurred":"2026-06-02","payload":{"milestone":"presented:ESMO","window":"2026"},"trial":"HARMONi-6","type":"milestone-expected"}]}"#
        )

        h.trialsd.fail(
            "AppendMany",
            TrialsInterface.error(
                "InvalidEvent", [("index", 1), ("field", "payload.window"), ("reason", "'ESMO' is not a date")]))
        r = h.run("record", "--file", "events.jsonl")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(
            r.stderr,
            "trialctl: event 2 of events.jsonl (line 3): invalid event: payload.window: 'ESMO' is not a date\n")
    }

    func testABrokenLineStopsBeforeAnythingIsSent() {
        h.files["events.jsonl"] =
            "{\"trial\": \"HARMONi-6\", \"type\": \"presented\", \"payload\": {}}\n{\"trial\": \"HARMONi-6\", \"type\": \n"
        let r = h.run("record", "--file", "events.jsonl")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "trialctl: events.jsonl:2: not JSON: unexpected end of input (column 32)\n")
        XCTAssertTrue(h.trialsd.calls.isEmpty)
        XCTAssertTrue(h.connects.isEmpty, "not even connected")
        XCTAssertEqual(
            h.run("record", "--file", "missing.jsonl").stderr,
            "trialctl: cannot read missing.jsonl: No such file or directory\n")
        h.stdin = Array("\n\n".utf8)
        XCTAssertEqual(h.run("record", "--file", "-").stderr, "trialctl: <stdin> holds no events\n")
    }

    // MARK: - import

    func testImportWrapsAnArrayAndReportsEachTrial() {
        h.files["page.json"] = #"[{"protocolSection": {"identificationModule": {"nctId": "NCT02552212"}}}]"#
        h.trialsd.reply(
            "Import",
            params([
                "trials": [
                    [
                        "trial": "NCT02552212", "events": [Trials.events[12].json, Trials.events[11].json],
                        "severities": ["critical", "minor"],
                    ]
                ]
            ]))
        let r = h.run("import", "page.json")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "NCT02552212: 2 events (status-changed critical, registered minor)\n")
        XCTAssertEqual(
            sent().parameters,
            #"{"document":{"studies":[{"protocolSection":{"identificationModule":{"nctId":"NCT02552212"}}}]},"file":"page.json"}"#
        )
    }

    func testImportGoesOnAfterABadFile() {
        h.files["a.json"] = #"{"protocolSection": {}}"#
        h.files["b.json"] = "not json"
        h.stdin = Array(#"{"studies": []}"#.utf8)
        var n = 0
        h.trialsd.reply("Import") { p in
            n += 1
            if p["file"] == "a.json" {
                throw ClientError.remote(
                    TrialsInterface.error(
                        "InvalidImport",
                        [
                            ("file", "a.json"), ("path", "protocolSection.identificationModule"),
                            ("reason", "missing (required)"),
                        ]))
            }
            return params(["trials": [["trial": "NCT06171568", "events": [], "severities": []]]])
        }
        let r = h.run("import", "a.json", "b.json", "-")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "NCT06171568: unchanged\n")
        XCTAssertEqual(
            r.stderr,
            """
            trialctl: a.json: protocolSection.identificationModule: missing (required)
            trialctl: b.json is not JSON: unexpected character (column 1)

            """)
        XCTAssertEqual(n, 2)
        XCTAssertEqual(h.trialsd.calls.last?.parameters["file"], "<stdin>")
    }

    func testImportErrorsNameTheFile() {
        h.files["NCT00973089.json"] = "{}"
        h.trialsd.fail(
            "Import",
            TrialsInterface.error(
                "Contradiction",
                [("index", 1), ("trial", "NCT00973089"), ("reason", "a withdrawn trial (seq 9) has no results")]))
        let r = h.run("import", "NCT00973089.json")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(
            r.stderr,
            "trialctl: NCT00973089.json: contradiction: NCT00973089: a withdrawn trial (seq 9) has no results\n")
    }

    func testImportStopsWhenNotAllowed() {
        h.files["a.json"] = "{}"
        h.files["b.json"] = "{}"
        h.trialsd.fail("Import", .permissionDenied())
        let r = h.run("import", "a.json", "b.json")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(
            r.stderr,
            "trialctl: permission denied: importing needs root, the user trialsd runs as, or membership in its writers group (trialsd --writers-group NAME, default trialsd)\n"
        )
        XCTAssertEqual(h.trialsd.calls.count, 1)
    }

    // MARK: - correct, retract

    func testCorrectChangesFieldsOfTheCurrentPayload() {
        // seq 7 was corrected once already (seq 20); KEY=VALUE applies on top of that.
        var correction = Trials.events[6].json.objectValue!
        correction["seq"] = 20
        correction["type"] = "corrected"
        correction["payload"] = [
            "target": 7, "reason": "final analysis",
            "payload": ["kind": "final", "outcome": "positive", "endpoints": ["OS"]],
        ]
        h.trialsd.reply("Log") { p in
            if p["trial"] == nil { return Trials.logReply(7...7, next: 7) }
            return params(["events": [.object(correction)]])
        }
        h.trialsd.reply("Correct") { _ in
            var e = correction
            e["seq"] = 21
            e["version"] = 10
            return params(["event": .object(e)])
        }
        let r = h.run("correct", "7", "--reason", "it was presented at ASCO", "venue=ASCO 2026")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "Recorded seq 21: HARMONi-6 corrected seq 7 (version 10)\n")
        XCTAssertEqual(
            h.trialsd.calls.map(\.method),
            ["org.trialtrack.Trials.Log", "org.trialtrack.Trials.Log", "org.trialtrack.Trials.Correct"])
        XCTAssertEqual(sent(0).parameters, #"{"limit":1,"since":6}"#)
        XCTAssertEqual(sent(1).parameters, #"{"limit":10000,"since":7,"trial":"HARMONi-6"}"#)
        // The correction expects the trial's version as read: that of its last event (seq 20).
        XCTAssertEqual(
            sent(2).parameters,
            #"{"expectedVersion":\#(correction["version"]!.int64Value!),"payload":{"endpoints":["OS"],"kind":"final","outcome":"positive","venue":"ASCO 2026"},"reason":"it was presented at ASCO","seq":7}"#
        )
    }

    /// Another correction recorded while trialctl read the payload: nothing is recorded, and
    /// the message says why and what to do.
    func testCorrectRefusedWhenTheTrialChangedSinceTheRead() {
        h.trialsd.reply("Log") { p in p["trial"] == nil ? Trials.logReply(7...7, next: 7) : params(["events": []]) }
        h.trialsd.fail(
            "Correct",
            TrialsInterface.error("WrongExpectedVersion", [("trial", "HARMONi-6"), ("expected", 4), ("current", 5)]))
        let r = h.run("correct", "7", "--reason", "venue", "venue=ASCO 2026")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(
            r.stderr,
            "trialctl: HARMONi-6 changed while trialctl read seq 7's payload (version 4, now 5); nothing was recorded: run the command again\n"
        )
        XCTAssertEqual(sent(2).method, "org.trialtrack.Trials.Correct")
        XCTAssertTrue(
            sent(2).parameters.contains(#""expectedVersion":4"#),
            "seq 7 is HARMONi-6's version 4 and nothing came after it: \(sent(2).parameters)")
    }

    func testCorrectWithAWholePayloadFetchesNothing() {
        h.trialsd.reply("Correct") { _ in params(["event": Trials.events[6].json]) }
        let r = h.run(
            "correct", "5", "--reason", "met, not continuing", "--payload", #"{"endpoints":["PFS"],"outcome":"met"}"#,
            "--occurred", "2025-05", "--source", "ASCO")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(h.trialsd.calls.count, 1)
        XCTAssertEqual(
            sent().parameters,
            #"{"occurred":"2025-05","payload":{"endpoints":["PFS"],"outcome":"met"},"reason":"met, not continuing","seq":5,"source":"ASCO"}"#
        )
    }

    func testCorrectOfAMissingEvent() {
        h.trialsd.reply("Log", params(["events": []]))
        let r = h.run("correct", "99", "--reason", "r", "count=1")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "trialctl: no such event: seq 99\n")
    }

    func testRetract() {
        var e = Trials.events[7].json.objectValue!
        e["seq"] = 17
        e["type"] = "retracted"
        e["payload"] = ["target": 8, "reason": "duplicate"]
        h.trialsd.reply("Retract", params(["event": .object(e)]))
        let r = h.run("retract", "8", "--reason", "duplicate")
        XCTAssertEqual(r.stdout, "Recorded seq 17: HARMONi-6 retracted seq 8 (version 5)\n")
        XCTAssertEqual(sent().parameters, #"{"reason":"duplicate","seq":8}"#)
        h.trialsd.fail("Retract", TrialsInterface.error("NotAmendable", [("seq", 16), ("reason", "trialsd wrote it")]))
        XCTAssertEqual(
            h.run("retract", "16", "--reason", "x").stderr, "trialctl: seq 16 cannot be amended: trialsd wrote it\n")
    }

    // MARK: - watch

    func testWatchResumesAfterFallingBehind() {
        let ev = { (i: Int) in params(["event": Trials.events[i - 1].json]) }
        h.trialsd.streams = [
            ([ev(5), ev(6)], TrialsInterface.error("SubscriberTooSlow", [("lastSeq", 6), ("backlog", 10000)])),
            ([ev(7)], nil),
        ]
        let r = h.run("watch", "HARMONi-6", "--type", "readout", "--type", "interim-analysis", "-n", "0")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").map { String($0.prefix(5)) }, ["    5", "    6", "    7"])
        XCTAssertEqual(
            r.stderr,
            "trialctl: trialsd dropped this watch for falling behind (10000 events behind); resuming after seq 6\n")
        XCTAssertEqual(sent(0).parameters, #"{"trial":"HARMONi-6","types":["readout","interim-analysis"]}"#)
        XCTAssertEqual(sent(1).parameters, #"{"since":6,"trial":"HARMONi-6","types":["readout","interim-analysis"]}"#)
        XCTAssertEqual(h.connects.count, 2)
        XCTAssertEqual(h.trialsd.closed, 2, "the dropped connection is closed, and the last one")
    }

    func testWatchJSONAndCount() {
        let ev = { (i: Int) in params(["event": Trials.events[i - 1].json]) }
        h.trialsd.streams = [([ev(1), ev(2), ev(3)], nil)]
        let r = h.run("watch", "--since", "0", "--json", "--count", "2")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            r.stdout, Trials.events[0].json.canonicalText + "\n" + Trials.events[1].json.canonicalText + "\n")
        XCTAssertEqual(sent().parameters, #"{"since":0}"#)
    }

    func testWatchEndsWhenTrialsdGoes() {
        h.trialsd.streams = [([], TrialsInterface.error("ShuttingDown"))]
        let r = h.run("watch", "-n", "0")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "trialctl: trialsd is shutting down; try again in a moment\n")
    }

    // MARK: - upcoming, verify, rebuild, stats

    func testUpcoming() {
        h.trialsd.reply("Upcoming", Trials.upcomingReply)
        let r = h.run("upcoming", "--within", "90", "--all")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(sent().parameters, #"{"all":true,"within":90}"#)
        XCTAssertTrue(r.stdout.hasPrefix("WINDOW  TRIAL     MILESTONE"))
        XCTAssertTrue(r.stdout.hasSuffix("World Today Journal, 2026-06-02\n"), r.stdout)
        XCTAssertEqual(r.stderr, "\n4 milestones listed.\n", "the footer is kept out of a pipe")
        let bare = h.run("upcoming", "--no-legend")
        XCTAssertEqual(bare.stderr, "")
        XCTAssertTrue(bare.stdout.hasPrefix("2026-Q1 ILLUMINE "), bare.stdout)
        XCTAssertEqual(bare.stdout.split(separator: "\n").count, 4)
    }

    /// The calendar is asked for with `more` too: its pages make one table and one --json reply.
    func testUpcomingJoinsItsPages() throws {
        let all = try XCTUnwrap(Trials.upcomingReply["milestones"]?.arrayValue)
        h.trialsd.pages["Upcoming"] = [
            JSONObject([("milestones", .array(Array(all.prefix(1))))]),
            JSONObject([("milestones", .array(Array(all.dropFirst())))]),
        ]
        let r = h.run("upcoming")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "\n4 milestones listed.\n")
        XCTAssertEqual(h.run("upcoming", "--json").stdout, JSONValue.object(Trials.upcomingReply).canonicalText + "\n")
    }

    func testVerifyExits1WhenBroken() {
        h.trialsd.reply(
            "Verify",
            params([
                "ok": false, "checked": 16, "lastSeq": 40, "headHash": "", "firstBroken": 17,
                "problem": "hash mismatch",
            ]))
        var r = h.run("verify")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "FAILED: seq 17: hash mismatch (checked 16 events, last seq 40)\n")
        XCTAssertEqual(r.stderr, "")
        r = h.run("verify", "--json")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(
            r.stdout,
            #"{"checked":16,"firstBroken":17,"headHash":"","lastSeq":40,"ok":false,"problem":"hash mismatch"}"# + "\n")
        h.trialsd.reply("Verify", params(["ok": true, "checked": 40, "lastSeq": 40, "headHash": "ab"]))
        XCTAssertEqual(h.run("verify").status, 0)
    }

    func testRebuildNeedsWriters() {
        h.trialsd.fail("Rebuild", .permissionDenied())
        let r = h.run("rebuild")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(
            r.stderr,
            "trialctl: permission denied: rebuilding the projections needs root, the user trialsd runs as, or membership in its writers group (trialsd --writers-group NAME, default trialsd)\n"
        )
    }

    func testStatsJSON() {
        let reply = params([
            "events": 16, "trials": 3, "lastSeq": 16, "databaseBytes": 4096, "walBytes": 0, "connections": 1,
            "subscribers": 0,
            "eventsByType": [:], "expectationsByState": [:], "schema": [], "database": "/tmp/t.db",
            "uptimeSeconds": 1.5,
        ])
        h.trialsd.reply("Stats", reply)
        XCTAssertEqual(h.run("stats", "--json").stdout, JSONValue.object(reply).canonicalText + "\n")
        XCTAssertTrue(h.run("stats").stdout.contains("Size: 4.0K (write-ahead log 0B)"))
    }

    func testAProtocolErrorIsOneLine() {
        h.trialsd.reply("Status", params(["trials": [["key": 5]]]))
        let r = h.run("status")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(
            r.stderr,
            "trialctl: protocol error: unexpected reply from trialsd: trials[0].key: expected a string, got a number\n")
    }
}
