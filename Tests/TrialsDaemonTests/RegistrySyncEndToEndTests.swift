import Foundation
import RegistryTestSupport
import Synchronization
import TrialDomain
import TrialTestSupport
import XCTest

/// `trialctl follow`, `sync` and `backfill`, the built binaries against a stand-in for the
/// registry's API on 127.0.0.1 serving the real records of demo/ctgov (and changed copies of
/// them) and a synthetic history made from the real version 0 of NCT04280705.
final class RegistrySyncEndToEndTests: XCTestCase {
    var dir: TemporaryDirectory!
    var daemon: DaemonProcess!
    var registry: FakeRegistry!
    var server: StubRegistryServer!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
        daemon = try DaemonProcess(directory: dir)
        try daemon.start()
        registry = FakeRegistry()
        for id in ["NCT00973089", "NCT02552212", "NCT06171568"] { try registry.put(try Self.record(id)) }
        server = try StubRegistryServer(handler: registry.answer)
    }

    override func tearDownWithError() throws {
        server.stop()
        XCTAssertEqual(daemon.terminate(), 0)
        dir.remove()
    }

    static func record(_ id: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Repository.path("demo/ctgov/\(id).json"))))
    }

    /// trialctl against the daemon and the stand-in, asking without a pause between requests.
    @discardableResult
    func trialctl(_ args: [String], timeout: Double = 120) throws -> ProgramResult {
        let env = ["PATH": "/usr/bin:/bin", "HOME": dir.url.path, "TRIALTRACK_CTGOV_URL": server.root]
        let registryCommand = ["sync", "backfill"].contains(args.first ?? "")
        return try runProgram(
            Products.path("trialctl"),
            ["--socket", daemon.socketPath] + args + (registryCommand ? ["--interval", "0"] : []),
            environment: env, output: .separate, timeout: timeout)
    }

    func json(_ r: ProgramResult) throws -> JSONValue {
        try JSONValue.parse(r.out.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func eventCount() throws -> Int64 {
        try json(try trialctl(["stats", "--json"]))["events"]?.int64Value ?? -1
    }

    func testFollowSyncAgainChangeAndPage() throws {
        // Follow by id, by query; what is followed, by whom.
        var r = try trialctl(["follow", "NCT00973089", "nct06171568"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.out, "following trial NCT00973089\nfollowing trial NCT06171568\n")
        r = try trialctl(["follow", "--query", "AREA[InterventionName]pembrolizumab"])
        XCTAssertEqual(r.status, 0, "\(r)")
        r = try trialctl(["follow", "NCT00973089"])
        XCTAssertTrue(r.out.hasPrefix("already following trial NCT00973089 (since "), r.out)
        r = try trialctl(["following"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.out.split(separator: "\n").count, 4, r.out)
        XCTAssertTrue(r.out.contains("query AREA[InterventionName]pembrolizumab"), r.out)
        XCTAssertTrue(r.out.contains("never synced"), r.out)

        // A first sync: every followed record, one page per search of two records at most.
        r = try trialctl(["sync", "--page-size", "1", "--json"])
        XCTAssertEqual(r.status, 0, "\(r)")
        var summary = try json(r)
        XCTAssertEqual(summary["followsSynced"], 3)
        XCTAssertEqual(summary["registryDate"], "2026-12-04")
        let firstChanged = summary["changed"]?.int64Value ?? 0
        XCTAssertGreaterThanOrEqual(firstChanged, 2)
        let studyRequests = server.requests.filter { $0.path == "/api/v2/studies" }
        XCTAssertTrue(studyRequests.contains { $0.query("pageToken") != nil }, "paged over several pages")
        XCTAssertTrue(
            studyRequests.allSatisfy { $0.query("filter.advanced") == nil }, "a first sync asks for everything")
        XCTAssertTrue(studyRequests.allSatisfy { $0.header("User-Agent")?.hasPrefix("trialtrack/") == true })
        let afterFirst = try eventCount()
        XCTAssertEqual(Int64(summary["events"]?.int64Value ?? 0), afterFirst)
        r = try trialctl(["following", "--json"])
        let follows = try json(r)["follows"]?.arrayValue ?? []
        XCTAssertEqual(follows.compactMap { $0["watermark"]?.stringValue }, ["2026-12-04", "2026-12-04", "2026-12-04"])

        // A second sync writes nothing, and asks from the watermark less a day.
        let asked = server.requests.count
        r = try trialctl(["sync"])
        XCTAssertEqual(r.status, 0, "\(r)")
        // Nothing was posted since the watermark: the registry answers no record at all.
        XCTAssertEqual(
            r.out,
            "sync: 0 checked, 0 changed, 0 events (0 critical, 0 notable, 0 minor); registry data of 2026-12-04\n")
        XCTAssertEqual(try eventCount(), afterFirst)
        XCTAssertTrue(
            server.requests.dropFirst(asked).filter { $0.path == "/api/v2/studies" }
                .allSatisfy { $0.query("filter.advanced") == "AREA[LastUpdatePostDate]RANGE[2026-12-03,MAX]" })

        // A changed record gives exactly its changes: terminated, with why.
        try registry.put(
            try StudyEdit.changing(
                try Self.record("NCT06171568"), status: "TERMINATED", lastUpdate: "2026-12-05",
                whyStopped: "sponsor decision"))
        registry.setDataTimestamp("2026-12-05T09:00:00")
        r = try trialctl(["sync", "--json"])
        XCTAssertEqual(r.status, 0, "\(r)")
        summary = try json(r)
        XCTAssertEqual(summary["changed"], 1)
        let changes = summary["changes"]?.arrayValue ?? []
        XCTAssertEqual(changes.map { $0["nctId"] }, ["NCT06171568"])
        XCTAssertEqual(changes.map { $0["type"] }, ["status-changed"])
        XCTAssertEqual(changes.first?["severity"], "critical")
        XCTAssertEqual(try eventCount(), afterFirst + 1)
        r = try trialctl(["status", "NCT06171568"])
        XCTAssertTrue(r.out.contains("Status: terminated since"), r.out)
        XCTAssertTrue(r.out.contains("sponsor decision"), r.out)

        // A record the log's rules refuse is named, the others recorded, and the exit status is 1.
        try registry.put(
            try StudyEdit.changing(try Self.record("NCT00973089"), status: "TERMINATED", lastUpdate: "2026-12-06"))
        registry.setDataTimestamp("2026-12-06T09:00:00")
        r = try trialctl(["sync"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertEqual(
            r.err,
            "trialctl: NCT00973089: refused: contradiction: NCT00973089 (at seq 8): was withdrawn (seq 2) and cannot become terminated; correct or retract seq 2 first\n"
        )
    }

    func testRetryAfterAndA503AreWaitedForThenTheSyncCompletes() throws {
        XCTAssertEqual(try trialctl(["follow", "NCT06171568"]).status, 0)
        registry.inject(
            .init(pathPrefix: "/api/v2/studies") { _ in .status(429, "slow down", headers: [("Retry-After", "1")]) })
        registry.inject(.init(pathPrefix: "/api/v2/studies") { _ in .status(503, "maintenance") })
        let started = Date()
        let r = try trialctl(["sync"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 2, "waited Retry-After's second and a backoff's")
        XCTAssertTrue(r.err.contains("429"), r.err)
        XCTAssertTrue(r.err.contains("503"), r.err)
        XCTAssertEqual(server.requests.filter { $0.path == "/api/v2/studies" }.count, 3)
        XCTAssertTrue(r.out.contains("1 checked, 1 changed"), r.out)
    }

    /// The second page is cut short: exit 1 with one line naming the URL; the first page's record
    /// is recorded whole, nothing of the second; the watermark did not move; the next sync
    /// completes.
    func testABodyCutShortFailsWithOneLineAndTheNextSyncCompletes() throws {
        XCTAssertEqual(try trialctl(["follow", "NCT00973089", "NCT06171568"]).status, 0)
        registry.inject(
            .init(pathPrefix: "/api/v2/studies", pageToken: "o1") { body in
                StubResponse(headers: [("Content-Type", "application/json")], body: body, sendOnly: body.count / 2)
            })
        var r = try trialctl(["sync", "--page-size", "1"])
        XCTAssertEqual(r.status, 1, "\(r)")
        let lines = r.err.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.err)
        XCTAssertTrue(lines.first?.hasPrefix("trialctl: sync: GET \(server.root)/api/v2/studies?") == true, r.err)
        XCTAssertTrue(r.err.contains("pageToken=o1"), r.err)
        r = try trialctl(["status", "NCT00973089"])
        XCTAssertEqual(r.status, 0, "the first page's record is recorded: \(r)")
        r = try trialctl(["status", "NCT06171568"])
        XCTAssertEqual(r.status, 4, "nothing of the record cut short: \(r)")
        r = try trialctl(["following", "--json"])
        let follows = try json(r)["follows"]?.arrayValue ?? []
        XCTAssertTrue(follows.allSatisfy { $0["watermark"] == nil }, "\(follows)")
        XCTAssertTrue(
            follows.allSatisfy { $0["lastError"]?.stringValue?.contains("pageToken=o1") == true }, "\(follows)")
        r = try trialctl(["following"])
        XCTAssertTrue(r.out.contains("failing: GET"), r.out)

        r = try trialctl(["sync", "--page-size", "1"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("2 checked, 1 changed"), r.out)
        XCTAssertEqual(try trialctl(["status", "NCT06171568"]).status, 0)
    }

    func testPostedResultsOfARealRecordShowInStatus() throws {
        XCTAssertEqual(try trialctl(["follow", "NCT02552212"]).status, 0)
        var r = try trialctl(["sync"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("NCT02552212 critical: "), r.out)
        r = try trialctl(["status", "NCT02552212"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("results-posted") || r.out.contains("results posted"), r.out)
        XCTAssertTrue(r.out.contains("95% CI"), r.out)
    }

    /// Versions 0 (not yet recruiting), 1 (recruiting), 2 (contacts only: not fetched) and 3
    /// (completed): `--as-of` shows the earlier states; a second backfill records nothing.
    func testAThreeVersionHistoryBackfillsAndAsOfShowsTheEarlierStatus() throws {
        let v0 = Array(
            try Data(
                contentsOf: URL(
                    fileURLWithPath: Repository.path("Tests/Fixtures/ctgov-history/NCT04280705_history_v0.json"))))
        guard case .object(let wrapper) = try JSONValue.parse(v0), let study = wrapper["study"] else {
            return XCTFail("the fixture's shape")
        }
        let base = Array(study.canonicalText.utf8)
        func version(_ n: Int, _ record: [UInt8]) throws -> [UInt8] {
            Array(#"{"studyVersion":\#(n),"study":"#.utf8) + record + Array("}".utf8)
        }
        let v1 = try StudyEdit.changing(base, status: "RECRUITING", lastUpdate: "2020-03-02")
        let v3 = try StudyEdit.changing(base, status: "COMPLETED", lastUpdate: "2020-06-01", enrollment: 1062)
        let list = #"""
            {"changes":[
              {"version":0,"date":"2020-02-21","status":"NOT_YET_RECRUITING","moduleLabels":[]},
              {"version":1,"date":"2020-03-02","status":"RECRUITING","moduleLabels":["Study Status"]},
              {"version":2,"date":"2020-04-10","status":"RECRUITING","moduleLabels":["Contacts/Locations"]},
              {"version":3,"date":"2020-06-01","status":"COMPLETED","moduleLabels":["Study Status","Study Design"]}
            ]}
            """#
        registry.putHistory(
            "NCT04280705", list: Array(list.utf8), versions: [0: v0, 1: try version(1, v1), 3: try version(3, v3)])

        var r = try trialctl(["backfill", "NCT04280705"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("4 versions listed, 3 fetched, 1 touching nothing recorded"), r.out)
        XCTAssertFalse(server.requests.contains { $0.path.hasSuffix("/history/2") })
        let events = try eventCount()
        XCTAssertGreaterThan(events, 3)

        r = try trialctl(["status", "NCT04280705", "--as-of", "2020-02-25"])
        XCTAssertTrue(r.out.contains("Status: not-yet-recruiting since 2020-02-21"), r.out)
        r = try trialctl(["status", "NCT04280705", "--as-of", "2020-03-15"])
        XCTAssertTrue(r.out.contains("Status: recruiting since 2020-03-02"), r.out)
        r = try trialctl(["status", "NCT04280705"])
        XCTAssertTrue(r.out.contains("Status: completed since 2020-06-01"), r.out)
        XCTAssertTrue(r.out.contains("1062"), r.out)
        r = try trialctl(["log", "NCT04280705", "--json"])
        let sources = Set((try json(r)["events"]?.arrayValue ?? []).compactMap { $0["source"]?.stringValue })
        XCTAssertEqual(
            sources,
            [
                "ClinicalTrials.gov NCT04280705 version 0, 2020-02-21",
                "ClinicalTrials.gov NCT04280705 version 1, 2020-03-02",
                "ClinicalTrials.gov NCT04280705 version 3, 2020-06-01",
            ])

        r = try trialctl(["backfill", "NCT04280705"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("0 events"), r.out)
        XCTAssertEqual(try eventCount(), events, "a second backfill records nothing")
    }

    func testRefusalsAreOneLine() throws {
        var r = try trialctl(["follow", "HARMONi-9"])
        XCTAssertEqual(r.status, 4, "\(r)")
        r = try trialctl(["follow", "--query", "a\nb"])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.err.hasPrefix("trialctl: cannot follow "), r.err)
        r = try trialctl(["sync", "--api-url", "ftp://example.org"])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
        r = try trialctl(["sync"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.err.contains("nothing is followed"), r.err)
        XCTAssertTrue(server.requests.isEmpty, "nothing followed: the registry is not asked")
    }
}
