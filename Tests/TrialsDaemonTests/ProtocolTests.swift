import Foundation
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// The Varlink server on a real Unix socket: the service interface, methods, errors,
/// pipelining and oneway.
final class ProtocolTests: XCTestCase {
    var server: InProcessDaemon!

    override func setUp() async throws { server = try await InProcessDaemon() }
    override func tearDown() async throws { try await server.stop() }

    func testGetInfoAndTheInterfaceDescriptionServedVerbatim() throws {
        let c = try server.connect()
        let info = try c.call("org.varlink.service.GetInfo")
        XCTAssertEqual(info["product"], "trialsd")
        XCTAssertEqual(info["interfaces"], ["org.varlink.service", "org.trialtrack.Trials"])
        let d = try c.call(
            "org.varlink.service.GetInterfaceDescription", JSONObject([("interface", "org.trialtrack.Trials")]))
        let file = Repository.path("Sources/TrialProtocol/org.trialtrack.Trials.varlink")
        XCTAssertEqual(d["description"]?.stringValue, try String(contentsOfFile: file, encoding: .utf8))
        let s = try c.call(
            "org.varlink.service.GetInterfaceDescription", JSONObject([("interface", "org.varlink.service")]))
        XCTAssertTrue(s["description"]?.stringValue?.contains("interface org.varlink.service") == true)
        XCTAssertEqual(
            c.callError("org.varlink.service.GetInterfaceDescription", JSONObject([("interface", "com.example.Nope")])),
            .interfaceNotFound("com.example.Nope"))
    }

    /// Status of every trial with `more` comes in pages of 500 trials, `continues` on all but
    /// the last, and lists what one reply lists, in the same order; so does a point in time,
    /// and Upcoming, in pages of 1,000 milestones.
    func testListingsComeInPagesWithMore() throws {
        // 1,203 trials, some with acronyms (listed by acronym, else key, ignoring case); 1,100
        // of them with an expected readout.
        let groups = try (0..<1203).map { i in
            var payload: JSONValue = ["title": .string("Trial \(i)")]
            if i % 3 == 0 {
                payload = ["title": .string("Trial \(i)"), "acronym": .string(i % 2 == 0 ? "zeta-\(i)" : "Alpha-\(i)")]
            }
            let key = String(format: "NCT%08d", i)
            let registered = try Fixture.new(key, .registered, i < 600 ? "2020" : "2024", payload)
            guard i < 1100 else { return [registered] }
            return [
                registered,
                try Fixture.new(
                    key, .milestoneExpected, "2024", ["milestone": "readout", "window": .string("\(2030 + i % 7)")]),
            ]
        }
        for case .failure(let e) in try server.daemon.store.append(groups: groups, recordedBy: "root") {
            XCTFail("\(e)")
        }
        let c = try server.connect()
        func pages(_ parameters: JSONObject, method: String = "Status", list: String = "trials", id: String = "key")
            throws
            -> [(keys: [String], continues: Bool)]
        {
            try c.send(VarlinkCall(method: TrialsInterface.method(method), parameters: parameters, more: true).json)
            var out: [(keys: [String], continues: Bool)] = []
            repeat {
                let reply = try VarlinkReply(message: try XCTUnwrap(try c.receive()))
                XCTAssertNil(reply.error)
                out.append(
                    (
                        try XCTUnwrap(reply.parameters[list]?.arrayValue).map { $0[id].map(\.canonicalText) ?? "?" },
                        reply.continues
                    ))
            } while out.last!.continues
            return out
        }
        func keys(_ reply: JSONObject, list: String = "trials", id: String = "key") -> [String] {
            reply[list]?.arrayValue?.map { $0[id].map(\.canonicalText) ?? "?" } ?? []
        }
        let now = try pages(JSONObject())
        XCTAssertEqual(now.map(\.keys.count), [500, 500, 203])
        XCTAssertEqual(now.map(\.continues), [true, true, false])
        let whole = keys(try c.trials("Status"))
        XCTAssertEqual(now.flatMap(\.keys), whole)
        XCTAssertEqual(whole.count, 1203)
        XCTAssertEqual(whole.first, #""NCT00001005""#)  // "Alpha-1005" comes first
        // As of 2023: the 600 trials registered by then, in the same order as one reply gives.
        let past = try pages(JSONObject([("asOf", "2023-01-01")]))
        XCTAssertEqual(past.map(\.keys.count).reduce(0, +), 600)
        XCTAssertEqual(past.last?.continues, false)
        XCTAssertEqual(past.flatMap(\.keys), keys(try c.trials("Status", ["asOf": "2023-01-01"])))
        // One trial with more: its one reply; an empty listing: one empty reply.
        let one = try pages(JSONObject([("trial", "Alpha-3")]))
        XCTAssertEqual(one.map(\.keys), [[#""NCT00000003""#]])
        XCTAssertEqual(try pages(JSONObject([("asOf", "2000-01-01")])).map(\.keys), [[]])
        // The calendar: 1,100 readouts, in window order, as one reply lists them.
        let calendar = try pages(JSONObject([("within", 36500)]), method: "Upcoming", list: "milestones", id: "seq")
        XCTAssertEqual(calendar.map(\.keys.count), [1000, 100])
        XCTAssertEqual(calendar.map(\.continues), [true, false])
        XCTAssertEqual(
            calendar.flatMap(\.keys), keys(try c.trials("Upcoming", ["within": 36500]), list: "milestones", id: "seq"))
        XCTAssertEqual(
            try pages(JSONObject([("within", 0)]), method: "Upcoming", list: "milestones", id: "seq").map(\.keys), [[]])
    }

    func testStandardErrorsNameWhatWasWrong() throws {
        let c = try server.connect()
        XCTAssertEqual(
            c.callError("org.trialtrack.Trials.Frobnicate"), .methodNotFound("org.trialtrack.Trials.Frobnicate"))
        XCTAssertEqual(c.callError("com.example.Other.Method"), .interfaceNotFound("com.example.Other"))
        XCTAssertEqual(c.trialsError("Status", ["trial": 42]), .invalidParameter("trial"))
        XCTAssertEqual(c.trialsError("Status", ["trail": "HARMONi-2"]), .invalidParameter("trail"))
        XCTAssertEqual(c.trialsError("Log", ["limit": "ten"]), .invalidParameter("limit"))
        XCTAssertEqual(c.trialsError("Log", ["types": ["readout", "party"]]), .invalidParameter("types"))
        XCTAssertEqual(c.trialsError("Append", [:]), .invalidParameter("event"))
        XCTAssertEqual(c.trialsError("Correct", ["seq": 1, "reason": "x"]), .invalidParameter("payload"))
        XCTAssertEqual(c.trialsError("Subscribe", [:]), .expectedMore())
    }

    func testTypedErrorsOfTheInterface() throws {
        let c = try server.connect()
        try c.trials("Append", ["event": event("NCT00973089", "status-changed", "2009-09", ["status": "withdrawn"])])
        XCTAssertEqual(
            c.trialsError("Status", ["trial": "NCT00000000"]),
            TrialsInterface.error("NoSuchTrial", [("trial", "NCT00000000")]))
        let invalid = c.trialsError(
            "Append", ["event": event("HARMONi-2", "status-changed", "2024", ["status": "paused"])])
        XCTAssertEqual(invalid?.shortName, "InvalidEvent")
        XCTAssertEqual(invalid?.parameters["field"], "payload.status")
        let version = c.trialsError(
            "Append",
            [
                "event": [
                    "trial": "NCT00973089", "type": "presented", "occurred": "2010", "expectedVersion": 5,
                    "payload": ["venue": "ASCO 2010"],
                ]
            ])
        XCTAssertEqual(
            version,
            TrialsInterface.error("WrongExpectedVersion", [("trial", "NCT00973089"), ("expected", 5), ("current", 1)]))
        let contradiction = c.trialsError(
            "Append", ["event": event("NCT00973089", "readout", "2010", ["kind": "primary", "outcome": "positive"])])
        XCTAssertEqual(contradiction?.shortName, "Contradiction")
        XCTAssertTrue(contradiction?.parameters["reason"]?.stringValue?.contains("withdrawn") == true)
        XCTAssertEqual(
            c.trialsError("Retract", ["seq": 99, "reason": "x"]), TrialsInterface.error("NoSuchEvent", [("seq", 99)]))
        XCTAssertEqual(c.trialsError("Status", ["asOf": "June 2025"])?.shortName, "InvalidDate")
        XCTAssertEqual(
            c.trialsError("Log", ["trial": "HARMONi-9"]), TrialsInterface.error("NoSuchTrial", [("trial", "HARMONi-9")])
        )
        // A subscription names a trial the log knows, as Status does (the IDL says so).
        let subscribe = try c.roundTrip([
            "method": .string(TrialsInterface.method("Subscribe")), "more": true, "parameters": ["trial": "HARMONi-9"],
        ])
        XCTAssertEqual(subscribe.varlinkError, TrialsInterface.error("NoSuchTrial", [("trial", "HARMONi-9")]))
        XCTAssertEqual(try c.trials("Stats")["events"], 1, "the connection still serves after the refused subscription")
        // A correction made against a version the trial has moved past is refused, the log unchanged.
        let stale = c.trialsError(
            "Correct",
            [
                "seq": 1, "reason": "the registry says terminated", "payload": ["status": "terminated"],
                "expectedVersion": 2,
            ])
        XCTAssertEqual(
            stale,
            TrialsInterface.error("WrongExpectedVersion", [("trial", "NCT00973089"), ("expected", 2), ("current", 1)]))
        XCTAssertEqual(
            c.trialsError("Retract", ["seq": 1, "reason": "x", "expectedVersion": 0])?.shortName, "WrongExpectedVersion"
        )
        XCTAssertEqual(try c.trials("Stats")["events"], 1)
        let corrected = try c.trials(
            "Correct",
            [
                "seq": 1, "reason": "the registry says terminated", "payload": ["status": "terminated"],
                "expectedVersion": 1,
            ])
        XCTAssertEqual(corrected["event"]?["version"], 2)
    }

    func testEveryMethodAnswers() throws {
        let c = try server.connect()
        let appended = try c.trials(
            "Append", ["event": event("HARMONi-2", "interim-analysis", "2024", Fixture.harmoni2Interim)])
        XCTAssertEqual(appended["event"]?["seq"], 1)
        XCTAssertEqual(appended["replayed"], false)
        XCTAssertEqual(appended["trial"]?["version"], 1)
        let many = try c.trials(
            "AppendMany",
            [
                "events": [
                    event(
                        "HARMONi-6", "interim-analysis", "2025-04",
                        ["analysis": "first interim", "endpoints": ["PFS"], "outcome": "met"]),
                    event(
                        "HARMONi-6", "milestone-expected", "2026-06-02",
                        ["milestone": "regulatory-submission", "window": "2027"]),
                ]
            ])
        XCTAssertEqual(many["events"]?.arrayValue?.compactMap { $0["seq"]?.int64Value }, [2, 3])
        let corrected = try c.trials(
            "Correct", ["seq": 1, "reason": "final analysis numbers", "payload": Fixture.harmoni2Interim])
        XCTAssertEqual(corrected["event"]?["type"], "corrected")
        XCTAssertEqual(corrected["event"]?["trial"], "HARMONi-2")
        let retracted = try c.trials("Retract", ["seq": 3, "reason": "forecast withdrawn"])
        XCTAssertEqual(retracted["event"]?["payload"]?["target"], 3)

        let one = try c.trials("Status", ["trial": "harmoni-2"])
        XCTAssertEqual(one["trials"]?.arrayValue?.first?["timeline"]?.arrayValue?.first?["correctedBy"], 4)
        XCTAssertEqual(try c.trials("Status")["trials"]?.arrayValue?.count, 2)
        XCTAssertEqual(try c.trials("Status", ["asOf": "2024-06-01"])["trials"]?.arrayValue?.count, 0)
        XCTAssertEqual(try c.trials("Status", ["knownAt": "2000-01-01T00:00Z"])["trials"]?.arrayValue?.count, 0)
        let page = try c.trials("Log", ["limit": 2])
        XCTAssertEqual(page["events"]?.arrayValue?.count, 2)
        XCTAssertEqual(page["next"], 2)
        XCTAssertNil(try c.trials("Log", ["since": 2])["next"])
        XCTAssertEqual(try c.trials("Log", ["types": ["corrected"]])["events"]?.arrayValue?.count, 1)
        XCTAssertEqual(try c.trials("Upcoming", ["within": 36500])["milestones"]?.arrayValue?.count, 0)  // retracted
        XCTAssertEqual(try c.trials("Upcoming", ["all": true])["milestones"]?.arrayValue?.count, 0)
        let verify = try c.trials("Verify")
        XCTAssertEqual(verify["ok"], true)
        XCTAssertEqual(verify["checked"], 5)
        XCTAssertEqual(try c.trials("Rebuild")["events"], 5)
        let stats = try c.trials("Stats")
        XCTAssertEqual(stats["events"], 5)
        XCTAssertEqual(stats["trials"], 2)
        XCTAssertEqual(stats["connections"], 1)
    }

    /// A call that fails for a reason other than a refusal (here: a projection table dropped
    /// under the daemon's feet) is answered with StoreFailed, in one line, and the connection
    /// goes on serving; a failed append writes nothing.
    func testADatabaseFailureIsAnsweredAndTheConnectionServesOn() throws {
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"),
            "needs the sqlite3 shell (apt-get install sqlite3; .ci/run installs it)")
        let c = try server.connect()
        try c.trials("Append", ["event": event("NCT00973089", "status-changed", "2009-09", ["status": "withdrawn"])])
        // Another process, as an operator's sqlite3 would.
        let sql = try runProgram(
            "/usr/bin/sqlite3", [server.daemon.configuration.databasePath, "DROP TABLE timeline"], timeout: 60)
        XCTAssertEqual(sql.status, 0, "\(sql)")

        let read = c.trialsError("Status", ["trial": "NCT00973089"])
        XCTAssertEqual(read?.name, "org.trialtrack.Trials.StoreFailed")
        let readReason = read?.parameters["reason"]?.stringValue ?? ""
        XCTAssertTrue(readReason.contains("no such table: timeline"), readReason)
        XCTAssertFalse(readReason.contains("\n"), readReason)
        XCTAssertEqual(try c.call("org.varlink.service.GetInfo")["product"], "trialsd", "the connection serves on")

        let write = c.trialsError(
            "Append", ["event": event("NCT00973089", "presented", "2010", ["venue": "ASCO 2010"])])
        XCTAssertEqual(write?.name, "org.trialtrack.Trials.StoreFailed", "not ShuttingDown: the daemon runs on")
        XCTAssertTrue(
            write?.parameters["reason"]?.stringValue?.contains("timeline") == true, "\(String(describing: write))")
        XCTAssertEqual(try c.trials("Log")["events"]?.arrayValue?.count, 1, "the failed append wrote nothing")
    }

    func testPipelinedCallsAreAnsweredInOrder() throws {
        let c = try server.connect()
        var calls: [JSONValue] = []
        for i in 0..<60 {
            let call: VarlinkCall
            switch i % 3 {
            case 0:
                call = VarlinkCall(
                    method: TrialsInterface.method("Append"),
                    parameters: JSONObject([
                        ("event", event("T-\(i)", "status-changed", "2024", ["status": "recruiting"]))
                    ]))
            case 1:
                call = VarlinkCall(
                    method: TrialsInterface.method("Status"), parameters: JSONObject([("trial", .string("T-\(i - 1)"))])
                )
            default:
                call = VarlinkCall(
                    method: TrialsInterface.method("Log"), parameters: JSONObject([("since", .int(Int64(i / 3)))]))
            }
            calls.append(call.json)
        }
        try c.send(calls)  // all 60 calls in one write
        for i in 0..<60 {
            let reply = try c.nextReply("call \(i)")
            XCTAssertNil(reply.error, "call \(i): \(reply)")
            switch i % 3 {
            case 0: XCTAssertEqual(reply.parameters["event"]?["trial"]?.stringValue, "T-\(i)")
            case 1: XCTAssertEqual(reply.parameters["trials"]?.arrayValue?.first?["key"]?.stringValue, "T-\(i - 1)")
            default: XCTAssertEqual(reply.parameters["events"]?.arrayValue?.first?["seq"]?.int64Value, Int64(i / 3) + 1)
            }
        }
    }

    func testPipelinedAppendsOnOneConnectionShareCommitsAndAnswerInOrder() throws {
        let c = try server.connect()
        let before = server.commits.batches
        var calls = (0..<64).map { i in
            VarlinkCall(
                method: TrialsInterface.method("Append"),
                parameters: JSONObject([("event", event("HARMONi-2", "presented", "2024", ["venue": .string("M\(i)")]))]
                )
            ).json
        }
        // A read after them on the same connection sees them all.
        calls.append(
            VarlinkCall(method: TrialsInterface.method("Status"), parameters: JSONObject([("trial", "HARMONi-2")])).json
        )
        try c.send(calls)
        for i in 0..<64 {
            let reply = try c.nextReply("append \(i)")
            XCTAssertEqual(reply.parameters["event"]?["seq"], .int(Int64(i + 1)), "replies in call order")
        }
        let status = try c.nextReply("the Status after the appends")
        XCTAssertEqual(status.parameters["trials"]?.arrayValue?.first?["version"], 64)
        let commits = server.commits.batches - before
        XCTAssertLessThan(commits, 64, "pipelined appends did not share commits: 64 appends in \(commits) transactions")
    }

    /// Past the pipelining limit (64 owed replies) the daemon stops reading the connection and
    /// resumes as replies go out: refusals answered at once, oneway appends with no reply and a
    /// read in the middle all keep their place in the order.
    func testALongPipelineKeepsItsOrderPastTheLimit() throws {
        let c = try server.connect()
        var calls: [JSONValue] = []
        var expected: [String] = []  // "seq N", "refused", "status V"
        var version: Int64 = 0
        for i in 0..<400 {
            if i == 200 {
                calls.append(
                    VarlinkCall(
                        method: TrialsInterface.method("Status"), parameters: JSONObject([("trial", "HARMONi-2")])
                    ).json)
                expected.append("status \(version)")
            }
            let refused = i % 10 == 3
            let oneway = !refused && i % 7 == 5
            let e =
                refused
                ? event("HARMONi-2", "presented", "2999", ["venue": "the future"])
                : event("HARMONi-2", "presented", "2024", ["venue": .string("M\(i)")])
            calls.append(
                VarlinkCall(
                    method: TrialsInterface.method("Append"), parameters: JSONObject([("event", e)]), oneway: oneway
                ).json)
            if !refused { version += 1 }
            if refused { expected.append("refused") } else if !oneway { expected.append("seq \(version)") }
        }
        try c.send(calls)
        var got: [String] = []
        for (i, what) in expected.enumerated() {
            let reply = try c.nextReply("reply \(i), \(what) expected")
            if let seq = reply.parameters["event"]?["seq"]?.int64Value {
                got.append("seq \(seq)")
            } else if let trials = reply.parameters["trials"]?.arrayValue {
                got.append("status \(trials.first?["version"]?.int64Value ?? -1)")
            } else {
                XCTAssertNotNil(reply.varlinkError)
                got.append("refused")
            }
        }
        XCTAssertEqual(got, expected)
        // The connection is still in step: the next call gets the next reply.
        let status = try c.trials("Status", ["trial": "HARMONi-2"])
        XCTAssertEqual(status["trials"]?.arrayValue?.first?["version"]?.int64Value, version)
    }

    /// The Append reply is written straight to bytes: it must say what Log and Status say.
    func testTheAppendReplyMatchesLogAndStatus() throws {
        let c = try server.connect()
        try c.trials(
            "Append",
            [
                "event": event(
                    "HARMONi-2", "registered", "2021-12",
                    [
                        "title": "Ivonescimab vs pembrolizumab", "acronym": "HARMONi-2",
                        "phases": ["phase-3"], "identifiers": [["registry": "nct", "id": "NCT05499390"]],
                    ])
            ])
        let reply = try c.trials(
            "Append", ["event": event("HARMONi-2", "enrollment-updated", "2024-06", ["count": 398, "type": "actual"])])
        XCTAssertEqual(reply["replayed"], .bool(false))
        let logged = try c.trials("Log", ["trial": "HARMONi-2"])["events"]?.arrayValue?.last
        XCTAssertEqual(reply["event"], logged)
        var trial = try XCTUnwrap(
            c.trials("Status", ["trial": "NCT05499390"])["trials"]?.arrayValue?.first?.objectValue)
        trial["timeline"] = nil
        trial["expectations"] = nil
        XCTAssertEqual(reply["trial"], .object(trial))
        XCTAssertEqual(reply["trial"]?["enrollment"]?["count"], 398)
    }

    func testAnAppendWithMoreGetsItsOneReply() throws {
        let c = try server.connect()
        let call = VarlinkCall(
            method: TrialsInterface.method("Append"),
            parameters: JSONObject([("event", event("HARMONi-A", "status-changed", "2022", ["status": "recruiting"]))]),
            more: true)
        let reply = try c.roundTrip(call.json)
        XCTAssertEqual(reply.parameters["event"]?["seq"], 1)
        XCTAssertFalse(reply.continues)
    }

    func testOnewayCallsGetNoReply() throws {
        let c = try server.connect()
        let oneway = VarlinkCall(
            method: TrialsInterface.method("Append"),
            parameters: JSONObject([("event", event("HARMONi-A", "status-changed", "2022", ["status": "recruiting"]))]),
            oneway: true)
        // Refused before it reaches the writer (a parameter Append does not take), and refused
        // by the writer (a wrong expected version): still no reply.
        let malformed = VarlinkCall(
            method: TrialsInterface.method("Append"), parameters: JSONObject([("events", [])]), oneway: true)
        let stale: JSONValue = [
            "trial": "HARMONi-A", "type": "status-changed", "occurred": "2023", "payload": ["status": "completed"],
            "expectedVersion": 5,
        ]
        let refused = VarlinkCall(
            method: TrialsInterface.method("Append"), parameters: JSONObject([("event", stale)]), oneway: true)
        try c.send([malformed.json, oneway.json, refused.json])
        // The next reply on the connection is the Log's, which already sees the oneway append.
        let reply = try c.roundTrip(VarlinkCall(method: TrialsInterface.method("Log")).json)
        XCTAssertEqual(reply.parameters["events"]?.arrayValue?.count, 1)
        XCTAssertEqual(reply.parameters["events"]?.arrayValue?.first?["trial"], "HARMONi-A")
    }

    func testReadsDoNotWaitBehindTheWriter() async throws {
        let c = try server.connect()
        try c.trials("Append", ["event": event("HARMONi-2", "status-changed", "2022", ["status": "recruiting"])])
        // Hold the writer thread until the read has been answered.
        let release = DispatchSemaphore(value: 0), entered = DispatchSemaphore(value: 0)
        let committer = server.daemon.committer
        let held = Task {
            try await committer.exclusive {
                entered.signal(); release.holdAtMost()
            }
        }
        try entered.wait(for: "the writer to run the held body")  // the writer thread is inside it now
        let path = server.socketPath
        let append = ThreadResult {
            try VarlinkConnection(path: path, timeout: clientTimeout).trials(
                "Append", ["event": event("HARMONi-2", "presented", "2024", ["venue": "ASCO 2024"])])
        }
        // The read answers although the writer is busy and an append is queued behind it.
        let status = try c.trials("Status", ["trial": "HARMONi-2"])
        XCTAssertEqual(status["trials"]?.arrayValue?.first?["version"], 1)
        release.signal()
        try await held.value
        let appended = try append.wait()
        XCTAssertEqual(appended["event"]?["seq"], 2)
    }

    func testConcurrentAppendsAreGroupCommitted() async throws {
        let commitsBefore = server.commits.batches
        let clients = 16, each = 25
        let path = server.socketPath
        let seqs = try onThreads(clients) { k in
            let c = try VarlinkConnection(path: path, timeout: clientTimeout)
            return try (0..<each).map { i in
                try c.trials(
                    "Append", ["event": event("T-\(k)", "presented", "2024", ["venue": .string("Meeting \(i)")])])[
                        "event"]!["seq"]!.int64Value!
            }
        }
        XCTAssertEqual(seqs.joined().sorted(), Array(1...Int64(clients * each)))
        let commits = server.commits.batches - commitsBefore
        XCTAssertLessThan(
            commits, clients * each,
            "every append took its own transaction: \(clients * each) appends from \(clients) clients in \(commits)")
        XCTAssertTrue(try server.connect().trials("Verify")["ok"] == true)
    }
}
