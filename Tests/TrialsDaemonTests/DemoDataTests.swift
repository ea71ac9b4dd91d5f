import Foundation
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// The demo data set (demo/trial-timeline.jsonl, taken from the five public pages of
/// trial-timeline.md) loads into a real daemon as its seed, all of it, and tells the story:
/// HARMONi-2's interim analysis with structured results, ILLUMINE under each of its names,
/// HARMONi-6 from the 2025 interim to the 2026 OS readout and its 2027 forecasts.
final class DemoDataTests: XCTestCase {
    static let demoFile = Repository.path("demo/trial-timeline.jsonl")

    static let pages = [
        "000_3ea1f97ca9b54d07.txt", "001_77885d9fba59d022.txt", "002_e0a9c25fbc4c4afa.txt",
        "003_1769e6a2d8574311.txt", "004_cb38b79805ccbdbd.txt",
    ]

    var server: InProcessDaemon!

    override func setUp() async throws {
        server = try await InProcessDaemon { $0.seedFile = DemoDataTests.demoFile }
    }

    override func tearDown() async throws {
        try await server?.stop()
        server = nil
    }

    /// The event objects of the demo file, in file order.
    func fileEvents() throws -> [JSONValue] {
        let text = try String(contentsOfFile: Self.demoFile, encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { try JSONValue.parse(String($0)) }
    }

    /// One trial's status (with timeline and expectations), by any of its names.
    func status(_ trial: String, asOf: String? = nil) throws -> JSONValue {
        var p: JSONValue = ["trial": .string(trial)]
        if let asOf { p = ["trial": .string(trial), "asOf": .string(asOf)] }
        let reply = try server.connect().trials("Status", p)
        let trials = try XCTUnwrap(reply["trials"]?.arrayValue)
        XCTAssertEqual(trials.count, 1)
        return try XCTUnwrap(trials.first)
    }

    func timeline(_ trial: JSONValue) -> [JSONValue] { trial["timeline"]?.arrayValue ?? [] }

    func testTheFileIsWellFormedAndEveryFactNamesItsPage() throws {
        let events = try fileEvents()
        XCTAssertGreaterThan(events.count, 30)
        let today = Fixture.today
        var registered: Set<String> = []
        for (i, e) in events.enumerated() {
            let line = i + 1
            XCTAssertNoThrow(try NewEvent(json: e, today: today), "line \(line)")
            let source = e["source"]?.stringValue ?? ""
            XCTAssertTrue(
                Self.pages.contains { source.contains($0) }, "line \(line): the source names no page: \(source)")
            XCTAssertNotNil(e["id"]?.stringValue, "line \(line): no idempotency id")
            let trial = try XCTUnwrap(e["trial"]?.stringValue, "line \(line)")
            if e["type"] == "registered" { registered.insert(trial) }
            XCTAssertTrue(registered.contains(trial), "line \(line): \(trial) has an event before its registration")
            // Facts and the dates forecasts were made on lie no later than the pages.
            let occurred = try PartialDate(parsing: try XCTUnwrap(e["occurred"]?.stringValue))
            XCTAssertLessThanOrEqual(occurred.start, try XCTUnwrap(Day("2026-11-22")), "line \(line)")
        }
        XCTAssertEqual(Set(events.compactMap { $0["id"]?.stringValue }).count, events.count, "ids are unique")
        XCTAssertEqual(
            registered,
            [
                "HARMONi-2", "HARMONi-6", "HARMONi-A", "Pragmatica-Lung", "NCT03425006", "NCT04911166", "NCT06472245",
                "ILLUMINE",
            ])
    }

    func testTheSeedLoadsEveryEventInFileOrder() throws {
        let file = try fileEvents()
        let reply = try server.connect().trials("Log", ["limit": 10_000])
        // Only what the seed recorded (an overdue watcher may add milestone-overdue events of its own).
        let logged = (reply["events"]?.arrayValue ?? []).filter { $0["type"] != "milestone-overdue" }
        XCTAssertEqual(logged.count, file.count)
        XCTAssertEqual(logged.compactMap { $0["id"]?.stringValue }, file.compactMap { $0["id"]?.stringValue })
        XCTAssertEqual(
            logged.compactMap { $0["occurred"]?.stringValue }, file.compactMap { $0["occurred"]?.stringValue })
        let all = try server.connect().trials("Status")
        XCTAssertEqual(all["trials"]?.arrayValue?.count, 8)
    }

    func testHarmoni2ShowsTheInterimAnalysisWithStructuredResults() throws {
        let trial = try status("HARMONi-2")
        XCTAssertEqual(trial["key"], "HARMONi-2")
        XCTAssertEqual(trial["registration"]?["acronym"], "HARMONi-2")
        XCTAssertEqual(trial["enrollment"]?["count"], 398)
        let interim = try XCTUnwrap(timeline(trial).first { $0["type"] == "interim-analysis" })
        XCTAssertEqual(interim["payload"]?["outcome"], "met")
        XCTAssertTrue(interim["payload"]?["analysis"]?.stringValue?.contains("OS immature") == true)
        let results = interim["payload"]?["results"]?.arrayValue ?? []
        let pfs = try XCTUnwrap(results.first { $0["endpoint"] == "PFS" })
        XCTAssertEqual(pfs["hazardRatio"]?["value"]?.doubleValue, 0.51)
        XCTAssertEqual(pfs["hazardRatio"]?["ciLow"]?.doubleValue, 0.38)
        XCTAssertEqual(pfs["hazardRatio"]?["ciHigh"]?.doubleValue, 0.69)
        XCTAssertEqual(pfs["hazardRatio"]?["ciLevel"]?.doubleValue, 95)
        XCTAssertEqual(pfs["pValue"]?["value"]?.doubleValue, 0.0001)
        XCTAssertEqual(pfs["pValue"]?["comparator"], "<")
        XCTAssertEqual(pfs["pValue"]?["sided"], 1)
        XCTAssertEqual(pfs["n"], 398)
        XCTAssertEqual(pfs["values"]?.arrayValue?.compactMap { $0["value"]?.doubleValue }, [11.1, 5.8])
        let orr = try XCTUnwrap(results.first { $0["endpoint"] == "ORR" })
        XCTAssertEqual(orr["values"]?.arrayValue?.compactMap { $0["value"]?.doubleValue }, [50, 39])
        let published = try XCTUnwrap(timeline(trial).first { $0["type"] == "published" })
        XCTAssertEqual(published["payload"]?["doi"], "10.1016/S0140-6736(24)02722-3")
        // The NCT number finds the same trial.
        XCTAssertEqual(try status("NCT05499390")["key"], "HARMONi-2")
    }

    func testIllumineIsFoundByEachOfItsFourNames() throws {
        for name in ["NCT07264075", "2025-522996-27-00", "GORTEC 2024-04", "ILLUMINE", "illumine"] {
            let trial = try status(name)
            XCTAssertEqual(trial["key"], "ILLUMINE", name)
            XCTAssertEqual(trial["status"], "not-yet-recruiting", name)
        }
        let trial = try status("ILLUMINE")
        let ids = trial["registration"]?["identifiers"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
        XCTAssertEqual(ids, ["NCT07264075", "2025-522996-27-00", "GORTEC 2024-04"])
        XCTAssertEqual(trial["enrollment"]?["count"], 780)
        XCTAssertEqual(trial["enrollment"]?["type"], "estimated")
        XCTAssertEqual(trial["dates"]?["start"]?["date"], "2026-01-31")
        XCTAssertEqual(trial["dates"]?["completion"]?["date"], "2030-05-31")
        XCTAssertEqual(trial["statusSince"], "2025-12-04")
    }

    func testHarmoni6GoesFromTheInterimToTheOSReadout() throws {
        let entries = timeline(try status("HARMONi-6"))
        let interim = try XCTUnwrap(entries.firstIndex { $0["type"] == "interim-analysis" })
        let readout = try XCTUnwrap(entries.firstIndex { $0["type"] == "readout" })
        XCTAssertEqual(entries[interim]["occurred"], "2025-04")
        XCTAssertEqual(entries[interim]["payload"]?["outcome"], "met")
        XCTAssertEqual(entries[interim]["payload"]?["analysis"], "first interim analysis")
        XCTAssertEqual(entries[readout]["occurred"], "2026-06-02")
        XCTAssertEqual(entries[readout]["payload"]?["endpoints"], ["OS"])
        XCTAssertEqual(entries[readout]["payload"]?["outcome"], "positive")
        XCTAssertEqual(entries[readout]["payload"]?["venue"], "ASCO 2026")
        XCTAssertLessThan(interim, readout)
        XCTAssertTrue(entries.contains { $0["type"] == "presented" && $0["occurred"] == "2026-06-02" })
    }

    func testUpcomingListsHarmoni6sSubmissionIn2027() throws {
        let reply = try server.connect().trials("Upcoming", ["within": 3650])
        let milestones = reply["milestones"]?.arrayValue ?? []
        let submission = try XCTUnwrap(
            milestones.first { $0["name"] == "HARMONi-6" && $0["milestone"] == "regulatory-submission" })
        XCTAssertEqual(submission["window"], "2027")
        XCTAssertEqual(submission["madeOn"], "2026-06-02")
        XCTAssertTrue(milestones.contains { $0["name"] == "HARMONi-6" && $0["milestone"] == "presented:ESMO" })
        XCTAssertTrue(milestones.contains { $0["name"] == "ILLUMINE" && $0["window"] == "2030-05-31" })
    }

    func testAsOfJune2025ShowsNeitherThe2026ReadoutNorWhatWasNotYetCertain() throws {
        let then = try status("HARMONi-6", asOf: "2025-06-01")
        XCTAssertEqual(timeline(then).compactMap { $0["type"]?.stringValue }, ["registered", "interim-analysis"])
        XCTAssertFalse(timeline(then).contains { $0["occurred"] == "2026-06-02" })
        XCTAssertEqual(then["expectations"]?.arrayValue?.count ?? 0, 0)
        let all = try server.connect().trials("Status", ["asOf": "2025-06-01"])
        let keys = Set(all["trials"]?.arrayValue?.compactMap { $0["key"]?.stringValue } ?? [])
        // Known then: HARMONi-A and NCT03425006 (2024) and HARMONi-6 (April 2025). ILLUMINE came later;
        // facts dated only "2025" had not certainly happened by 1 June 2025.
        XCTAssertEqual(keys, ["HARMONi-A", "NCT03425006", "HARMONi-6"])
    }

    func testTheHashChainVerifies() throws {
        let reply = try server.connect().trials("Verify")
        XCTAssertEqual(reply["ok"], true)
        XCTAssertGreaterThanOrEqual(reply["checked"]?.int64Value ?? 0, Int64(try fileEvents().count))
    }
}
