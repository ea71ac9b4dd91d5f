import Foundation
import NIOConcurrencyHelpers
import TrialDomain
import TrialProtocol
import XCTest

/// Reads are GRDB async reads: no thread is held by one. A peer that asks for an expensive read
/// and hangs up does not keep a reader connection busy for the others (its call is cancelled,
/// and the read with it), and no read waits behind the thread pool's blocking work.
final class AsyncReadTests: XCTestCase {
    /// `trials` trials of `events` events each (a registration, then presentations in
    /// 2020–2022), through AppendMany: each trial as it stood on a day is a fold of its events.
    func load(_ server: InProcessDaemon, trials: Int, events: Int) throws {
        let loader = try server.connect()
        let perCall = max(1, 2_000 / events)
        for first in stride(from: 0, to: trials, by: perCall) {
            let batch: [JSONValue] = (first..<min(first + perCall, trials)).flatMap { i -> [JSONValue] in
                let trial = String(format: "NCT%08d", i)
                return [registration(trial)]
                    + (1..<events).map { k in
                        event(trial, "presented", "20\(20 + k % 3)-0\(1 + k % 9)", ["venue": .string("Meeting \(k)")])
                    }
            }
            try loader.trials("AppendMany", ["events": .array(batch)])
        }
    }

    func testAPeerThatHangsUpMidReadFreesItsReader() async throws {
        // One reader connection: while the hung-up peer's read runs, no other read can.
        let server = try await InProcessDaemon { $0.readers = 1 }
        try load(server, trials: 1_000, events: 40)
        let asOf: JSONValue = ["asOf": "2021-12-31"]

        // Every trial as of that day in one reply: how long the fold holds the reader (paged,
        // the same fold is two reads of 500 trials), beside a Stats call on an idle daemon.
        let whole = try server.connect()
        var idle: [TimeInterval] = []
        for _ in 0..<5 {
            let s = Date()
            _ = try whole.trials("Stats")
            idle.append(Date().timeIntervalSince(s))
        }
        let stats = idle.sorted()[2]
        var start = Date()
        let reply = try whole.roundTrip(["method": .string(TrialsInterface.method("Status")), "parameters": asOf])
        let full = Date().timeIntervalSince(start)
        XCTAssertEqual(reply.parameters["trials"]?.arrayValue?.count, 1_000)
        XCTAssertGreaterThan(
            full, 40 * stats, "the fold (\(full) s) is too short beside a Stats (\(stats) s) to tell who waited")

        // Paged: once the first page is in, trialsd is reading the second; the peer hangs up.
        let hostile = try server.connect()
        try hostile.send(["method": .string(TrialsInterface.method("Status")), "parameters": asOf, "more": true])
        let first = try XCTUnwrap(try hostile.receive()?.objectValue)
        XCTAssertEqual(first["continues"], true)
        hostile.close()

        // Another peer's call is answered at once, not once the second page has been folded.
        let other = try server.connect()
        start = Date()
        XCTAssertEqual(try other.trials("Stats")["events"], 40_000)
        let waited = Date().timeIntervalSince(start)
        XCTAssertLessThan(
            waited, full / 8,
            "Stats waited \(waited) s behind a read whose peer had gone (a page's read takes about \(full / 2) s)")
        try await server.stop()
    }

    /// With one thread for blocking work, a Rebuild holds it for as long as it runs; every read
    /// method is answered meanwhile, round after round, from the last committed snapshot.
    func testEveryReadIsAnsweredWhileARebuildHoldsTheBlockingThread() async throws {
        let server = try await InProcessDaemon { $0.blockingThreads = 1 }
        try load(server, trials: 2_000, events: 20)
        // Connected before the rebuild: a connection's account lookup is blocking work too.
        let reader = try server.connect()
        let path = server.socketPath
        let rebuilt = NIOLockedValueBox(false)
        let rebuild = ThreadResult { () -> JSONObject in
            defer { rebuilt.withLockedValue { $0 = true } }
            return try VarlinkConnection(path: path, timeout: clientTimeout).trials("Rebuild")
        }
        // Each cheap, so that many rounds fit in the rebuild (a listing of every trial, with a
        // filter none matches: the same read, without 2,000 trials to send).
        let reads: [(String, JSONValue)] = [
            ("Stats", [:]), ("Status", ["phases": ["3"]]), ("Status", ["trial": "NCT00000007"]),
            ("Status", ["trial": "NCT00000007", "asOf": "2021-06-30"]), ("Log", ["limit": 50]),
            ("Upcoming", ["all": true]), ("Following", [:]),
        ]
        var rounds = 0
        var during = 0  // rounds answered before the rebuild's reply
        while !rebuilt.withLockedValue({ $0 }) && rounds < 10_000 {
            for (method, parameters) in reads {
                XCTAssertNoThrow(try reader.trials(method, parameters), method)
            }
            rounds += 1
            if !rebuilt.withLockedValue({ $0 }) { during += 1 }
        }
        let r = try rebuild.wait()
        XCTAssertEqual(r["events"], 40_000)
        // Had the reads needed the one thread, at most a round started before the rebuild took it.
        XCTAssertGreaterThanOrEqual(during, 3, "\(during) rounds of every read answered while the rebuild ran")
        try await server.stop()
    }
}
