import Foundation
import TrialDomain
import TrialProtocol
import XCTest

/// A peer that asks for an expensive read and hangs up does not keep a reader connection busy
/// for the others: its call is cancelled, and the read with it (GRDB's interrupt; the store's
/// statements stop). With reads on a thread pool, the read ran to its end whoever was left to
/// answer.
final class ReadCancellationTests: XCTestCase {
    func testAPeerThatHangsUpMidReadFreesItsReader() async throws {
        // One reader connection: while the hung-up peer's read runs, no other read can.
        let server = try await InProcessDaemon { $0.readers = 1 }
        // 1,000 trials of 40 events: each trial as it stood on a day is a fold of its 40.
        let loader = try server.connect()
        for batch in 0..<20 {
            let events: [JSONValue] = (0..<50).flatMap { i -> [JSONValue] in
                let trial = JSONValue.string(String(format: "NCT%08d", batch * 50 + i))
                let registered: JSONValue = [
                    "trial": trial, "type": "registered", "occurred": "2020-01", "payload": ["title": "A trial"],
                ]
                return [registered]
                    + (1...39).map { k in
                        [
                            "trial": trial, "type": "presented", "occurred": .string("20\(20 + k % 3)-0\(1 + k % 9)"),
                            "payload": ["venue": .string("Meeting \(k)")],
                        ]
                    }
            }
            try loader.trials("AppendMany", ["events": .array(events)])
        }
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
}
