import Foundation
import TrialDomain
import TrialProtocol
import XCTest

/// Only a registration, or an event that expects its trial to be new (expectedVersion 0),
/// starts a trial: a misspelt name is NoSuchTrial with the closest known name, and nothing is
/// written (issue 26, point 6).
final class RegistrationRuleTests: XCTestCase {
    var server: InProcessDaemon!

    override func setUp() async throws { server = try await InProcessDaemon { $0.newTrialsNeedRegistration = true } }
    override func tearDown() async throws { try await server.stop() }

    func testATypoIsRefusedWithTheClosestNameAndNothingIsWritten() throws {
        let c = try server.connect()
        try c.trials(
            "Append",
            ["event": event("HARMONi-6", "registered", "2025-04", ["title": "HARMONi-6", "acronym": "HARMONi-6"])])
        let readout: JSONValue = ["kind": "primary", "outcome": "positive", "endpoints": ["OS"]]
        XCTAssertEqual(
            c.trialsError("Append", ["event": event("HARMONi-7", "readout", "2026-06-02", readout)]),
            TrialsInterface.error("NoSuchTrial", [("trial", "HARMONi-7"), ("didYouMean", "HARMONi-6")]))
        XCTAssertEqual(
            c.trialsError("Append", ["event": event("KEYNOTE-189", "readout", "2026-06-02", readout)]),
            TrialsInterface.error("NoSuchTrial", [("trial", "KEYNOTE-189")]), "nothing close: no suggestion")
        // In a batch, with the event's index; the whole batch is refused.
        let many = c.trialsError(
            "AppendMany",
            [
                "events": [
                    event("HARMONi-6", "presented", "2026-06-02", ["venue": "ASCO 2026"]),
                    event("HARMONi-7", "presented", "2026-06-02", ["venue": "ASCO 2026"]),
                ]
            ])
        XCTAssertEqual(
            many,
            TrialsInterface.error("NoSuchTrial", [("index", 1), ("trial", "HARMONi-7"), ("didYouMean", "HARMONi-6")]))
        XCTAssertEqual(try c.trials("Stats")["events"], 1, "nothing of the refused appends was written")
        // Reads name the closest trial too.
        XCTAssertEqual(
            c.trialsError("Status", ["trial": "harmoni-7"]),
            TrialsInterface.error("NoSuchTrial", [("trial", "harmoni-7"), ("didYouMean", "HARMONi-6")]))
        XCTAssertEqual(c.trialsError("Log", ["trial": "HARMONi-7"])?.parameters["didYouMean"], "HARMONi-6")
    }

    func testARegistrationOrExpectedVersionZeroStartsATrial() throws {
        let c = try server.connect()
        // A batch may register a trial and record its events together.
        let batch = try c.trials(
            "AppendMany",
            [
                "events": [
                    event("ILLUMINE", "registered", "2025-12-04", ["title": "ILLUMINE"]),
                    event("ILLUMINE", "status-changed", "2025-12-04", ["status": "not-yet-recruiting"]),
                ]
            ])
        XCTAssertEqual(batch["events"]?.arrayValue?.count, 2)
        // An event that says its trial is new.
        var first = try XCTUnwrap(
            event("NCT04280705", "status-changed", "2020-03", ["status": "recruiting"]).objectValue)
        first["expectedVersion"] = 0
        XCTAssertEqual(try c.trials("Append", ["event": .object(first)])["event"]?["version"], 1)
        XCTAssertEqual(try c.trials("Stats")["trials"], 2)
    }
}
