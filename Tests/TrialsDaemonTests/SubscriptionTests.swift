import Foundation
import NIOConcurrencyHelpers
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// Subscribe: catch-up from a seq, then live, with no gap and no duplicate across the switch.
final class SubscriptionTests: XCTestCase {
    func testSubscribersJoiningWhileAppendsGoOnSeeEveryEventOnce() async throws {
        let server = try await InProcessDaemon()
        let path = server.socketPath
        let appenders = 4, each = 150
        let total = appenders * each
        let appended = NIOLockedValueBox(0)
        // Subscribers join at different moments while four clients append; each asks for
        // everything from seq 0 and reads until it has seen the last seq.
        let subscriberThreads = 6
        // What each subscriber saw, and how many appends were acknowledged when it subscribed.
        let results = try onThreads(appenders + subscriberThreads) { k -> (seen: [Int64], joinedAfter: Int) in
            if k < appenders {
                let c = try VarlinkConnection(path: path, timeout: clientTimeout)
                for i in 0..<each {
                    try c.trials(
                        "Append", ["event": event("T-\(k)", "presented", "2024", ["venue": .string("Meeting \(i)")])])
                    appended.withLockedValue { $0 += 1 }
                }
                return ([], 0)
            }
            // Join after a share of the appends is in (spread over the run).
            let joinAt = (k - appenders) * total / subscriberThreads
            try waitUntil(
                timeout: 60,
                "\(joinAt) appends before subscriber \(k - appenders) joins (\(appended.withLockedValue { $0 }) so far)"
            ) {
                appended.withLockedValue { $0 } >= joinAt
            }
            var seen: [Int64] = []
            let c = try VarlinkConnection(path: path, timeout: clientTimeout)
            let joinedAfter = appended.withLockedValue { $0 }
            try c.stream(TrialsInterface.method("Subscribe"), JSONObject([("since", 0)])) { p in
                seen.append(p["event"]!["seq"]!.int64Value!)
                return seen.count < total
            }
            return (seen, joinedAfter)
        }
        for (n, r) in results.dropFirst(appenders).enumerated() {
            XCTAssertEqual(
                r.seen, Array(1...Int64(total)),
                "subscriber \(n), joined after \(r.joinedAfter) of \(total) appends: \(Self.firstDeparture(r.seen, total: total))"
            )
        }
        try await server.stop()
    }

    /// Where `seen` first departs from 1, 2, … total: the first seq missing or repeated.
    static func firstDeparture(_ seen: [Int64], total: Int) -> String {
        for (i, seq) in seen.enumerated() where seq != Int64(i + 1) {
            let expected = Int64(i + 1)
            return seq < expected
                ? "seq \(seq) repeated where \(expected) was due" : "seq \(expected) missing (\(seq) came instead)"
        }
        return seen.count < total ? "stopped after seq \(seen.count) of \(total)" : "no gap and no duplicate"
    }

    /// A subscriber that hangs up while waiting for events is let go at once: the connection's
    /// handler keeps reading during the subscription, sees the hang-up and ends the call.
    func testASubscriberThatHangsUpIsLetGo() async throws {
        let server = try await InProcessDaemon()
        let c = try server.connect()
        try c.send(VarlinkCall(method: TrialsInterface.method("Subscribe"), parameters: JSONObject(), more: true).json)
        try waitUntil("the subscription to be registered") { server.daemon.broadcaster.count == 1 }
        c.close()
        try waitUntil("the hung-up subscriber to be let go (\(server.daemon.broadcaster.count) subscribers)") {
            server.daemon.broadcaster.count == 0
        }
        // The daemon goes on serving.
        let d = try server.connect()
        try d.trials("Append", ["event": event("HARMONi-6", "status-changed", "2022", ["status": "recruiting"])])
        // The hung-up subscriber's connection is gone too: d is the only one left.
        try waitUntil(
            "the hung-up subscriber's connection to close (\(server.daemon.service.connections.withLockedValue { $0 }) connections)"
        ) {
            server.daemon.service.connections.withLockedValue { $0 } == 1
        }
        XCTAssertEqual(try d.trials("Stats")["connections"], 1)
        try await server.stop()
    }

    /// Trial filters (issue 30's, as for Log): the catch-up lists the events of the trials that
    /// match now; live, each event's trial is judged as it is when the event is sent, so a trial
    /// that comes to match is followed from that event on, and the event that takes one out of
    /// the filter is not sent.
    func testTrialFiltersJudgeEachEventsTrialWhenItIsSent() async throws {
        let server = try await InProcessDaemon()
        let c = try server.connect()
        func register(_ trial: String, _ phase: String) throws {
            try c.trials(
                "Append",
                ["event": event(trial, "registered", "2020", ["title": "A trial", "phases": .array([.string(phase)])])])
        }
        try register("ALPHA", "phase-3")  // seq 1
        try c.trials("Append", ["event": event("ALPHA", "status-changed", "2020-03", ["status": "recruiting"])])  // 2
        try register("BRAVO", "phase-2")  // 3
        try c.trials("Append", ["event": event("BRAVO", "status-changed", "2020-03", ["status": "recruiting"])])  // 4
        try register("CHARLIE", "phase-3")  // 5: not recruiting yet
        XCTAssertEqual(
            c.trialsError("Subscribe", ["phases": ["5"]])?.shortName, "ExpectedMore", "a call without more first")
        let refused = try c.roundTrip([
            "method": .string(TrialsInterface.method("Subscribe")), "more": true, "parameters": ["phases": ["5"]],
        ])
        XCTAssertEqual(refused.varlinkError?.shortName, "InvalidFilter")

        let path = server.socketPath
        let received = NIOLockedValueBox(0)
        let got = ThreadResult { () -> [Int64] in
            var seqs: [Int64] = []
            try VarlinkConnection(path: path, timeout: clientTimeout).stream(
                TrialsInterface.method("Subscribe"),
                JSONObject([("since", 0), ("phases", ["3"]), ("statuses", ["recruiting"])])
            ) { p in
                seqs.append(p["event"]!["seq"]!.int64Value!)
                received.withLockedValue { $0 += 1 }
                return seqs.count < 4
            }
            return seqs
        }
        // The catch-up (ALPHA's two events) is in before the log changes.
        try waitUntil("the catch-up's two events") { received.withLockedValue { $0 } == 2 }
        try c.trials("Append", ["event": event("CHARLIE", "status-changed", "2021", ["status": "recruiting"])])  // 6
        try c.trials("Append", ["event": event("BRAVO", "presented", "2021-06", ["venue": "ASCO 2021"])])  // 7
        try c.trials(
            "Append", ["event": event("ALPHA", "status-changed", "2022", ["status": "active-not-recruiting"])])  // 8
        try c.trials("Append", ["event": event("ALPHA", "presented", "2022-06", ["venue": "ASCO 2022"])])  // 9
        try c.trials("Append", ["event": event("CHARLIE", "presented", "2022-06", ["venue": "ASCO 2022"])])  // 10
        XCTAssertEqual(try got.wait(), [1, 2, 6, 10])
        try await server.stop()
    }

    func testFiltersAndLiveFromNow() async throws {
        let server = try await InProcessDaemon()
        let c = try server.connect()
        try c.trials("Append", ["event": event("HARMONi-2", "status-changed", "2022", ["status": "recruiting"])])
        try c.trials("Append", ["event": event("HARMONi-6", "status-changed", "2022", ["status": "recruiting"])])
        XCTAssertEqual(c.trialsError("Subscribe", ["trial": "HARMONi-9"])?.shortName, "ExpectedMore")
        let path = server.socketPath
        let got = ThreadResult { () -> [JSONValue] in
            var events: [JSONValue] = []
            // No `since`: only what is appended from now on; only HARMONi-6's readouts.
            try VarlinkConnection(path: path, timeout: clientTimeout).stream(
                TrialsInterface.method("Subscribe"), JSONObject([("trial", "harmoni-6"), ("types", ["readout"])])
            ) { p in
                events.append(p["event"]!)
                return events.count < 1
            }
            return events
        }
        // Wait until the subscription is registered (bounded), then append.
        try waitUntil("the filtered subscription to be registered") { server.daemon.broadcaster.count == 1 }
        try c.trials("Append", ["event": event("HARMONi-6", "presented", "2026-06-02", ["venue": "ASCO 2026"])])
        try c.trials(
            "Append", ["event": event("HARMONi-2", "readout", "2025", ["kind": "final", "outcome": "positive"])])
        try c.trials(
            "Append",
            [
                "event": event(
                    "HARMONi-6", "readout", "2026-06-02",
                    ["kind": "primary", "outcome": "positive", "endpoints": ["OS"]])
            ])
        let events = try got.wait()
        XCTAssertEqual(events.map { $0["seq"] }, [5])
        XCTAssertEqual(events.first?["payload"]?["endpoints"], ["OS"])
        try await server.stop()
    }

    func testASubscriberThatStopsReadingIsDroppedAndResumes() async throws {
        let server = try await InProcessDaemon { $0.subscriberBacklog = 64 }
        let path = server.socketPath
        let slow = try server.connect()
        try slow.send(
            VarlinkCall(method: TrialsInterface.method("Subscribe"), parameters: JSONObject([("since", 0)]), more: true)
                .json)
        try waitUntil("the slow subscriber's subscription to be registered") { server.daemon.broadcaster.count == 1 }
        // 3000 appends go through at full speed while the subscriber reads nothing.
        _ = try onThreads(4) { k in
            let c = try VarlinkConnection(path: path, timeout: clientTimeout)
            for i in 0..<750 {
                try c.trials("Append", ["event": event("T-\(k)", "presented", "2024", ["venue": .string("M\(i)")])])
            }
        }
        XCTAssertEqual(server.daemon.broadcaster.count, 0, "the stuck subscriber was dropped")
        // Reading now: events up to some seq, then SubscriberTooSlow naming it (or the close).
        var last: Int64 = 0
        var dropError: VarlinkError?
        while let m = try slow.receive() {
            let r = try VarlinkReply(message: m)
            if let e = r.varlinkError { dropError = e; break }
            let seq = r.parameters["event"]!["seq"]!.int64Value!
            XCTAssertEqual(seq, last + 1)
            last = seq
        }
        // The error frame comes after the events it was sent, before the connection closes.
        let error = try XCTUnwrap(dropError, "the connection closed without SubscriberTooSlow")
        XCTAssertEqual(error.shortName, "SubscriberTooSlow")
        XCTAssertEqual(error.parameters["lastSeq"]?.int64Value, last)
        XCTAssertLessThan(last, 3000)
        // Resuming from the last seq received gives the rest, in order.
        var rest: [Int64] = []
        try server.connect().stream(TrialsInterface.method("Subscribe"), JSONObject([("since", .int(last))])) { p in
            rest.append(p["event"]!["seq"]!.int64Value!)
            return rest.last! < 3000
        }
        XCTAssertEqual(rest, Array((last + 1)...3000))
        try await server.stop()
    }

    /// 500 subscribers that never read (issue 29, point 4): each used to hold its own copy of
    /// every event (1.36 GB after 12,000 events); they now share the broadcaster's ring, and
    /// trialsd's memory stays bounded whatever their number. Each gets SubscriberTooSlow once
    /// it reads again.
    func testManySubscribersThatNeverReadShareOneBoundedRing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(directory: dir)
        try daemon.start()
        defer { _ = daemon.terminate() }
        let c = try daemon.connect()
        try c.register("HARMONi-2")
        let baseline = daemon.residentKiB
        let subscribers = try (0..<500).map { _ in
            let s = try daemon.connect()
            try s.send(
                VarlinkCall(method: TrialsInterface.method("Subscribe"), parameters: JSONObject(), more: true).json)
            return s
        }
        try waitUntil("500 subscriptions") { try c.trials("Stats")["subscribers"] == 500 }
        // 12,000 events in batches, while no subscriber reads.
        let venue = String(repeating: "v", count: 100)
        for b in 0..<24 {
            let events: [JSONValue] = (0..<500).map { i in
                event("HARMONi-2", "presented", "2024", ["venue": .string("\(venue) \(b)-\(i)")])
            }
            try c.trials("AppendMany", ["events": .array(events)])
        }
        let held = daemon.residentKiB
        XCTAssertLessThan(
            held - baseline, 200 * 1024, "500 stuck subscribers took trialsd from \(baseline) to \(held) KiB")
        XCTAssertEqual(try c.trials("Stats")["subscribers"], 0, "the ring left every stuck subscriber behind")
        // One reads again: the events it was sent, then SubscriberTooSlow.
        var last: Int64 = 0
        while let m = try subscribers[0].receive() {
            let r = try VarlinkReply(message: m)
            if let e = r.varlinkError {
                XCTAssertEqual(e.shortName, "SubscriberTooSlow")
                XCTAssertEqual(e.parameters["lastSeq"]?.int64Value, last)
                break
            }
            last = try XCTUnwrap(r.parameters["event"]?["seq"]?.int64Value)
        }
        XCTAssertGreaterThan(last, 1)
        XCTAssertEqual(try c.trials("Verify")["ok"], true)
    }
}
