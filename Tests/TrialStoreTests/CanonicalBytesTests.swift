import Foundation
import GRDB
import TrialDomain
import TrialTestSupport
import XCTest

/// The hash chain covers each payload's canonical text as stored, so a vocabulary that grows
/// must read and write every payload an earlier build wrote to the very same bytes.
/// `Fixtures/schema-0001.db` was written by an earlier build from demo/trial-timeline.jsonl (and
/// a correction, a retraction and two late status changes): its bytes are the reference.
final class CanonicalBytesTests: XCTestCase {
    func storedPayloads() throws -> [(seq: Int64, id: String, type: String, payload: String)] {
        var config = Configuration()
        config.readonly = true
        let db = try DatabaseQueue(
            path: Repository.path("Tests/TrialStoreTests/Fixtures/schema-0001.db"), configuration: config)
        return try db.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, event_id, type, payload FROM events ORDER BY seq").map {
                (seq: $0["seq"], id: $0["event_id"], type: $0["type"], payload: $0["payload"])
            }
        }
    }

    /// Every stored payload, read and written again, gives back its stored bytes.
    func testEveryStoredPayloadRoundTripsToItsBytes() throws {
        let stored = try storedPayloads()
        XCTAssertEqual(stored.count, 40)
        for e in stored {
            let type = try XCTUnwrap(EventType.named(e.type))
            let payload = try Payload(type: type, json: try JSONValue.parse(e.payload))
            XCTAssertEqual(payload.json.canonicalText, e.payload, "seq \(e.seq)")
            if case .corrected(let c) = payload {
                // The replacement inside a correction is itself a payload of the target's type.
                let targetType = try XCTUnwrap(EventType.named(try XCTUnwrap(stored.first { $0.seq == c.target }).type))
                XCTAssertEqual(
                    try Payload(type: targetType, json: c.payload).json.canonicalText, c.payload.canonicalText,
                    "seq \(e.seq)")
            }
        }
    }

    /// Every event of the demo timeline, as a client submits it, gets the canonical payload the
    /// earlier build stored for it (omitted comparators and sidedness included).
    func testTheDemoTimelineGivesTheBytesStoredBefore() throws {
        let stored = Dictionary(uniqueKeysWithValues: try storedPayloads().map { ($0.id, $0.payload) })
        let text = try String(contentsOfFile: Repository.path("demo/trial-timeline.jsonl"), encoding: .utf8)
        var checked = 0
        for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let e = try NewEvent(json: try JSONValue.parse(String(line)), today: Fixture.today)
            let id = try XCTUnwrap(e.id)
            XCTAssertEqual(e.payload.json.canonicalText, stored[id], "event \(id)")
            checked += 1
        }
        XCTAssertEqual(checked, 35)
    }

    /// The test fixtures' results: what they always gave.
    func testTheFixturesResultsKeepTheirText() throws {
        let p = try Payload(type: .interimAnalysis, json: Fixture.harmoni2Interim)
        XCTAssertEqual(
            p.json.canonicalText,
            #"{"analysis":"preplanned interim analysis","endpoints":["PFS"],"outcome":"met","results":[{"arms":["ivonescimab","pembrolizumab"],"endpoint":"PFS","hazardRatio":{"ciHigh":0.69,"ciLevel":95,"ciLow":0.38,"value":0.51},"n":398,"pValue":{"comparator":"<","sided":1,"value":0.0001},"values":[{"arm":"ivonescimab","ciLow":7.3,"unit":"months","value":11.1},{"arm":"pembrolizumab","ciHigh":8.2,"ciLow":5,"unit":"months","value":5.8}]}]}"#
        )
        // An omitted sidedness is still written as 2, an omitted comparator as '='.
        let r = try Payload(
            type: .readout,
            json: .parsed(
                #"{"kind":"final","outcome":"negative","results":[{"endpoint":"OS","pValue":{"value":0.46}}]}"#))
        XCTAssertEqual(
            r.json.canonicalText,
            #"{"kind":"final","outcome":"negative","results":[{"endpoint":"OS","pValue":{"comparator":"=","sided":2,"value":0.46}}]}"#
        )
    }
}
