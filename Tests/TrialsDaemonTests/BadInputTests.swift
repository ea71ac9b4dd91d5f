import Foundation
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// Broken messages and broken peers: each gets the right error or a clean close, and
/// everyone else keeps being served.
final class BadInputTests: XCTestCase {
    var server: InProcessDaemon!

    override func setUp() async throws { server = try await InProcessDaemon() }
    override func tearDown() async throws { try await server.stop() }

    func assertStillServes(_ c: VarlinkConnection, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try c.call("org.varlink.service.GetInfo")["product"], "trialsd", file: file, line: line)
    }

    func testMalformedMessagesGetAnErrorAndTheConnectionGoesOn() throws {
        let c = try server.connect()
        let cases: [(String, [UInt8], String)] = [
            ("not JSON", Array("{method: Status}".utf8), "malformed JSON"),
            ("a non-object", Array("[1, 2, 3]".utf8), "must be a JSON object"),
            ("a string", Array("\"Status\"".utf8), "must be a JSON object"),
            ("no method", Array(#"{"parameters": {}}"#.utf8), "no \"method\""),
            ("method not a string", Array(#"{"method": 7}"#.utf8), "no \"method\""),
            (
                "parameters not an object",
                Array(#"{"method": "org.trialtrack.Trials.Status", "parameters": [1]}"#.utf8),
                "\"parameters\" must be an object"
            ),
            (
                "unknown field", Array(#"{"method": "org.trialtrack.Trials.Status", "colour": "red"}"#.utf8),
                "unknown field 'colour'"
            ),
            (
                "more not a boolean", Array(#"{"method": "org.trialtrack.Trials.Status", "more": "yes"}"#.utf8),
                "\"more\" must be a boolean"
            ),
            ("binary garbage", (0..<300).map { UInt8(1 + ($0 * 37) % 255) }, "malformed JSON"),
            ("invalid UTF-8", [0x22, 0xC3, 0x28, 0x22], "malformed JSON"),
            ("an empty message", [], "malformed JSON"),
        ]
        for (name, bytes, reason) in cases {
            let reply = try c.roundTrip(raw: bytes + [0], name)
            XCTAssertEqual(reply.error, "org.trialtrack.Trials.MalformedRequest", name)
            XCTAssertTrue(reply.parameters["reason"]?.stringValue?.contains(reason) == true, "\(name): \(reply)")
        }
        try assertStillServes(c)
        // Wrong parameter types and unknown parameters name the parameter.
        let wrong = try c.roundTrip(["method": "org.trialtrack.Trials.Log", "parameters": ["since": "zero"]])
        XCTAssertEqual(wrong.varlinkError, .invalidParameter("since"))
        let unknown = try c.roundTrip(["method": "org.trialtrack.Trials.Verify", "parameters": ["deep": true]])
        XCTAssertEqual(unknown.varlinkError, .invalidParameter("deep"))
        XCTAssertEqual(try server.connect().trials("Stats")["events"], 0, "nothing reached the log")
    }

    func testAMessageOverTheLimitWithoutNULIsRefusedAndClosed() throws {
        let bystander = try server.connect()
        let c = try server.connect()
        // 1 MiB and a bit, never a NUL.
        let reply = try c.roundTrip(raw: [UInt8](repeating: UInt8(ascii: "a"), count: (1 << 20) + 4096))
        XCTAssertEqual(reply.error, "org.trialtrack.Trials.RequestTooLarge")
        XCTAssertEqual(reply.parameters["limit"], .int(1 << 20))
        // Closed after the error: an end of input, or a reset when trialsd closed with the
        // message's tail still unread (the kernel then resets an AF_UNIX connection).
        let closed: Bool
        do { closed = try c.receive() == nil } catch {
            closed = "\(error)".hasSuffix(String(cString: strerror(ECONNRESET)))
        }
        XCTAssertTrue(closed, "the connection is closed after the error")
        try assertStillServes(bystander)
        // A message with its NUL within the limit is fine, however large.
        let big = try server.connect()
        let title = String(repeating: "x", count: 9000)
        let r = try big.trials("Append", ["event": event("HARMONi-A", "registered", "2022", ["title": .string(title)])])
        XCTAssertEqual(r["event"]?["seq"], 1)
    }

    func testHalfAMessageThenAHangUpLeavesNoTrace() throws {
        let bystander = try server.connect()
        for _ in 0..<20 {
            let c = try server.connect()
            try c.sendRaw(
                Array(#"{"method": "org.trialtrack.Trials.Append", "parameters": {"event": {"trial": "X", "ty"#.utf8))
            c.close()
        }
        try assertStillServes(bystander)
        XCTAssertEqual(try bystander.trials("Stats")["events"], 0)
        // Every half-open connection went away: only the bystander is left.
        // The server notices hang-ups asynchronously: wait (bounded) for the figure.
        try waitUntil("the 20 half-open connections to close (Stats.connections == 1, the bystander)") {
            try bystander.trials("Stats")["connections"]?.int64Value == 1
        }
    }
}

/// The daemon as a process: its memory stays bounded under abuse.
final class BoundedMemoryTests: XCTestCase {
    func testGarbageWithoutNULDoesNotGrowTheDaemon() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(directory: dir)
        try daemon.start()
        defer { _ = daemon.terminate() }
        let probe = try daemon.connect()
        try probe.trials("Stats")
        let before = daemon.residentKiB
        // 48 connections × 1.25 MiB without a NUL: 60 MiB sent, none of it may be kept.
        let path = daemon.socketPath
        _ = try onThreads(8) { _ in
            for _ in 0..<6 {
                let c = try VarlinkConnection(path: path, timeout: clientTimeout)
                try? c.sendRaw([UInt8](repeating: 0x7B, count: (1 << 20) + (1 << 18)))
                _ = try? c.receive()
                c.close()
            }
        }
        try probe.trials("Stats")
        let after = daemon.residentKiB
        XCTAssertLessThan(
            after - before, 24 * 1024,
            "the daemon kept what it should have dropped: \(before) KiB resident before, \(after) KiB after 60 MiB of garbage"
        )
    }
}
