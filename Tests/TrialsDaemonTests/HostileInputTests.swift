import Foundation
import TrialDomain
import TrialProtocol
import XCTest

/// What a hostile peer sends: integers at the edges of Int64 and texts that are not text. Every
/// such call is answered with an error naming what was wrong, or served and kept intact; the
/// daemon serves on and the hash chain verifies (issue 29, points 1 and 2).
final class HostileInputTests: XCTestCase {
    var server: InProcessDaemon!

    override func setUp() async throws { server = try await InProcessDaemon() }
    override func tearDown() async throws { try await server.stop() }

    /// `Upcoming` with `within: Int64.max` trapped on overflow adding the days to today, and a
    /// read-only peer could send it. Every integer parameter is range-checked where it is read.
    func testIntegersAtTheEdgesAreRefusedNotTrapped() throws {
        let c = try server.connect()
        try c.trials("Append", ["event": event("NCT00973089", "registered", "2009-09", ["title": "A trial"])])
        let extremes: [Int64] = [.max, .min, .max - 1, .min + 1, -1]
        for n in extremes {
            XCTAssertEqual(c.trialsError("Upcoming", ["within": .int(n)]), .invalidParameter("within"), "within \(n)")
            XCTAssertEqual(
                c.trialsError("Upcoming", ["within": .int(n), "all": true]), .invalidParameter("within"),
                "within \(n), all")
            if n < 0 {
                XCTAssertEqual(c.trialsError("Log", ["since": .int(n)]), .invalidParameter("since"), "since \(n)")
                XCTAssertEqual(
                    c.trialsError("Retract", ["seq": .int(n), "reason": "x"]), .invalidParameter("seq"), "seq \(n)")
            }
            XCTAssertEqual(c.trialsError("Log", ["limit": .int(n)]), .invalidParameter("limit"), "limit \(n)")
        }
        // In pages too (the paged Upcoming reads its parameters the same way).
        let paged = try c.roundTrip([
            "method": .string(TrialsInterface.method("Upcoming")), "more": true,
            "parameters": ["within": .int(.max)],
        ])
        XCTAssertEqual(paged.varlinkError, .invalidParameter("within"))
        XCTAssertEqual(
            c.trialsError("Retract", ["seq": .int(.max), "reason": "x"]),
            TrialsInterface.error("NoSuchEvent", [("seq", .int(.max))]))
        XCTAssertEqual(
            c.trialsError("Retract", ["seq": 1, "reason": "x", "expectedVersion": .int(.min)]),
            .invalidParameter("expectedVersion"))
        XCTAssertNil(try c.trials("Log", ["since": .int(.max)])["next"], "a seq past the end lists nothing")
        // The edges that are valid are served.
        XCTAssertEqual(
            try c.trials("Upcoming", ["within": .int(TrialsInterface.withinDays.upperBound)])["milestones"], [])
        XCTAssertEqual(
            try c.trials("Log", ["limit": .int(Int64(TrialsInterface.maximumLogLimit))])["events"]?.arrayValue?.count, 1
        )
        XCTAssertEqual(try c.trials("Stats")["events"], 1, "the daemon still serves")
    }

    /// Each text field of an event, with a NUL, invalid UTF-8, an unpaired surrogate and a
    /// 100,000-character string: refused with a reason, or stored, read back as sent and
    /// covered by the hash chain. A source `a\0b` used to be acknowledged and break `Verify`.
    func testHostileTextsAreRefusedOrStoredAndVerified() throws {
        let c = try server.connect()
        try c.trials("Append", ["event": event("NCT00973089", "registered", "2009-09", ["title": "A trial"])])
        let long = String(repeating: "x", count: 100_000)
        let texts: [(name: String, json: [UInt8])] = [
            ("NUL", Array(#""a\u0000b""#.utf8)),
            ("a raw NUL byte", Array("\"a".utf8) + [0] + Array("b\"".utf8)),
            ("invalid UTF-8", Array("\"a".utf8) + [0xFF, 0xC3] + Array("b\"".utf8)),
            ("an unpaired surrogate", Array(#""a\ud800b""#.utf8)),
            ("a newline", Array(#""a\nb""#.utf8)),
            ("100,000 characters", Array("\"\(long)\"".utf8)),
        ]
        // Events with one field to fill ("@@"), each a valid event with a plain text there.
        let templates: [(field: String, event: String)] = [
            ("trial", #"{"trial":@@,"type":"presented","occurred":"2010","payload":{"venue":"ASCO"}}"#),
            (
                "source",
                #"{"trial":"NCT00973089","type":"presented","occurred":"2010","source":@@,"payload":{"venue":"ASCO"}}"#
            ),
            ("id", #"{"trial":"NCT00973089","type":"presented","occurred":"2010","id":@@,"payload":{"venue":"ASCO"}}"#),
            ("occurred", #"{"trial":"NCT00973089","type":"presented","occurred":@@,"payload":{"venue":"ASCO"}}"#),
            ("type", #"{"trial":"NCT00973089","type":@@,"occurred":"2010","payload":{"venue":"ASCO"}}"#),
            ("payload.venue", #"{"trial":"NCT00973089","type":"presented","occurred":"2010","payload":{"venue":@@}}"#),
            ("payload.title", #"{"trial":"HOSTILE-@N","type":"registered","occurred":"2010","payload":{"title":@@}}"#),
            (
                "payload.acronym",
                #"{"trial":"HOSTILE-@N","type":"registered","occurred":"2010","payload":{"title":"t","acronym":@@}}"#
            ),
            (
                "payload.sponsor",
                #"{"trial":"HOSTILE-@N","type":"registered","occurred":"2010","payload":{"title":"t","sponsor":@@}}"#
            ),
            (
                "payload.conditions",
                #"{"trial":"HOSTILE-@N","type":"registered","occurred":"2010","payload":{"title":"t","conditions":[@@]}}"#
            ),
        ]
        var stored = 0, refused = 0, n = 0
        for template in templates {
            for text in texts {
                n += 1
                let parts = template.event.replacingOccurrences(of: "@N", with: "\(n)").components(separatedBy: "@@")
                let eventBytes = Array(parts[0].utf8) + text.json + Array(parts[1].utf8)
                let call =
                    Array(#"{"method":"org.trialtrack.Trials.Append","parameters":{"event":"#.utf8) + eventBytes
                    + Array("}}".utf8) + [0]
                let what = "\(template.field) with \(text.name)"
                let reply = try c.roundTrip(raw: call, what)
                // A raw NUL ends a Varlink message: the rest is a second (malformed) message.
                for _ in 1..<call.filter({ $0 == 0 }).count {
                    XCTAssertEqual(try c.nextReply(what).varlinkError?.shortName, "MalformedRequest", what)
                }
                if let error = reply.varlinkError {
                    // Refused: with a reason, as an event or the message (invalid UTF-8 is not JSON).
                    XCTAssertTrue(
                        ["InvalidEvent", "InvalidParameter", "MalformedRequest"].contains(error.shortName),
                        "\(what): \(error)")
                    refused += 1
                    continue
                }
                stored += 1
                let recorded = try XCTUnwrap(reply.parameters["event"], what)
                let seq = try XCTUnwrap(recorded["seq"]?.int64Value, what)
                // Read back from the log as it was acknowledged.
                let back = try c.trials("Log", ["since": .int(seq - 1), "limit": 1])["events"]?.arrayValue?.first
                XCTAssertEqual(back, recorded, "\(what): read back as acknowledged")
                let verify = try c.trials("Verify")
                XCTAssertEqual(verify["ok"], true, "\(what): \(verify)")
            }
        }
        // What makes no sense is refused: a control character in a source, a trial name or an id.
        for (field, template) in templates where ["trial", "source", "id", "payload.acronym"].contains(field) {
            let call =
                #"{"method":"org.trialtrack.Trials.Append","parameters":{"event":"#
                + template.replacingOccurrences(of: "@N", with: "0").replacingOccurrences(
                    of: "@@", with: #""a\u0000b""#) + "}}"
            let error = try XCTUnwrap(try c.roundTrip(raw: Array(call.utf8) + [0]).varlinkError, field)
            XCTAssertEqual(error.shortName, "InvalidEvent", field)
            XCTAssertEqual(
                error.parameters["field"]?.stringValue, field == "payload.acronym" ? "payload.acronym" : field)
        }
        XCTAssertGreaterThan(stored, 0, "some hostile texts are valid payload text and stored")
        XCTAssertGreaterThan(refused, 0)
        XCTAssertEqual(try c.trials("Verify")["ok"], true)
        XCTAssertEqual(try c.trials("Stats")["events"]?.int64Value, Int64(1 + stored))
    }
}
