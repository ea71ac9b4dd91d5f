import Foundation
import TrialDomain
import TrialProtocol
import XCTest

/// Every append's reply says whether its event was in the log already (the same id and
/// content sent again), so that a client need not guess from the clock.
final class ReplayedFlagTests: XCTestCase {
    func testAppendManyCorrectAndRetractSayWhatWasReplayed() async throws {
        let server = try await InProcessDaemon()
        let c = try server.connect()
        func withID(_ e: JSONValue, _ id: Int) -> JSONValue {
            var o = e.objectValue!
            o["id"] = .string(String(format: "00000000-0000-4000-8000-%012d", id))
            return .object(o)
        }
        let batch: JSONValue = [
            withID(registration("HARMONi-2"), 1), withID(event("HARMONi-2", "presented", "2024", ["venue": "ASCO"]), 2),
        ]
        XCTAssertEqual(try c.trials("AppendMany", ["events": batch])["replayed"], [false, false])
        let again: JSONValue = [
            withID(event("HARMONi-2", "presented", "2024", ["venue": "ASCO"]), 2),
            withID(event("HARMONi-2", "presented", "2025", ["venue": "ESMO"]), 3),
        ]
        XCTAssertEqual(try c.trials("AppendMany", ["events": again])["replayed"], [true, false])
        let retract: JSONValue = ["seq": 3, "reason": "a duplicate", "id": "00000000-0000-4000-8000-000000000004"]
        XCTAssertEqual(try c.trials("Retract", retract)["replayed"], false)
        let twice = try c.trials("Retract", retract)
        XCTAssertEqual(twice["replayed"], true)
        XCTAssertEqual(twice["event"]?["seq"], 4)
        let correct: JSONValue = ["seq": 2, "reason": "the venue", "payload": ["venue": "ASCO 2024"]]
        XCTAssertEqual(try c.trials("Correct", correct)["replayed"], false)
        try await server.stop()
    }
}
