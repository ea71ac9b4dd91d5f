import ClinicalTrialsGov
import RegistryClient
import RegistrySync
import RegistryTestSupport
import Synchronization
import TrialDomain
import XCTest

final class SyncEngineTests: XCTestCase {
    let registryDate = Day(year: 2026, month: 12, day: 4)!

    func testSearchesGroupTrialsByWatermarkInChunksAndQueriesAlone() {
        let old = Day(year: 2026, month: 1, day: 2)
        var follows = (1...5).map { FollowedItem(id: Int64($0), target: .trial("NCT0000000\($0)"), watermark: nil) }
        follows[3].watermark = old
        follows.append(FollowedItem(id: 9, target: .query("AREA[InterventionName]ivonescimab"), watermark: old))
        let batches = SyncBatch.plan(follows, idsPerSearch: 2)
        XCTAssertEqual(batches.map(\.followIDs), [[1, 2], [3, 5], [4], [9]])
        XCTAssertEqual(batches[0].query.ids, ["NCT00000001", "NCT00000002"])
        XCTAssertNil(batches[0].query.changedSince)
        XCTAssertEqual(batches[2].query.changedSince, old)
        XCTAssertEqual(batches[3].query.term, "AREA[InterventionName]ivonescimab")
        XCTAssertEqual(batches[3].query.ids, [])
    }

    /// Two pages, then the watermark moves to the registry's data date; a second sync asks
    /// from that date less a day and, the records unchanged, records nothing.
    func testAFirstSyncPagesAndMovesTheWatermarkAndASecondFindsNothingNew() async throws {
        let server = try StubRegistryServer { request in
            switch (request.path, request.query("pageToken")) {
            case ("/api/v2/version", _): return .json(Records.version)
            case ("/api/v2/studies", nil):
                return .json(try! Records.page(["NCT00973089", "NCT02552212"], next: "two", total: 3))
            case ("/api/v2/studies", "two"): return .json(try! Records.page(["NCT06171568"]))
            default: return .status(404)
            }
        }
        let target = RecordingTarget(follows: [FollowedItem(id: 7, target: .query("lung cancer"), watermark: nil)])
        let engine = SyncEngine(registry: try makeClient(server), target: target)
        let first = try await engine.run()
        XCTAssertEqual(first.checked, 3)
        XCTAssertEqual(first.changed, 3)
        XCTAssertEqual(first.bySeverity[.notable], 3)
        XCTAssertEqual(first.registryDate, registryDate)
        XCTAssertEqual(first.line, "3 checked, 3 changed, 3 events (0 critical, 3 notable, 0 minor)")
        let after = target.state.withLock { $0 }
        XCTAssertEqual(after.imported, ["NCT00973089", "NCT02552212", "NCT06171568"])
        XCTAssertEqual(after.successes.map(\.0), [[7]])
        XCTAssertEqual(after.successes.first?.1, registryDate)
        XCTAssertEqual(after.successes.first?.2, 3)
        XCTAssertTrue(after.failures.isEmpty)
        XCTAssertNil(server.requests[1].query("filter.advanced"), "a first sync asks for everything")

        let second = try await engine.run()
        XCTAssertEqual(second.checked, 3)
        XCTAssertEqual(second.changed, 0)
        XCTAssertEqual(second.events, 0)
        let asked = server.requests.filter { $0.path == "/api/v2/studies" && $0.query("pageToken") == nil }.last
        XCTAssertEqual(asked?.query("filter.advanced"), "AREA[LastUpdatePostDate]RANGE[2026-12-03,MAX]")
        XCTAssertEqual(asked?.query("query.term"), "lung cancer")
    }

    /// The second page is cut short: the first page's studies stay imported, the follow's
    /// watermark does not move, the failure names the URL; the next sync completes from the old
    /// watermark.
    func testASyncCutShortKeepsWhatItCompletedAndMovesNoWatermark() async throws {
        let cut = Mutex(true)
        let server = try StubRegistryServer { request in
            switch (request.path, request.query("pageToken")) {
            case ("/api/v2/version", _): return .json(Records.version)
            case ("/api/v2/studies", nil): return .json(try! Records.page(["NCT00973089"], next: "two", total: 2))
            case ("/api/v2/studies", "two"):
                let body = try! Records.page(["NCT02552212"])
                return cut.withLock { c in
                    defer { c = false }; return c
                } ? StubResponse(body: body, sendOnly: body.count / 2) : .json(body)
            default: return .status(404)
            }
        }
        let target = RecordingTarget(follows: [FollowedItem(id: 1, target: .trial("NCT00973089"), watermark: nil)])
        let engine = SyncEngine(registry: try makeClient(server), target: target)
        do throws(SyncFailure) {
            _ = try await engine.run()
            XCTFail("a page cut short must fail the sync")
        } catch {
            XCTAssertTrue(error.reason.hasPrefix("GET \(server.root)/api/v2/studies?"), error.reason)
            XCTAssertTrue(error.reason.contains("pageToken=two"), error.reason)
            XCTAssertFalse(error.reason.contains("\n"))
            XCTAssertEqual(error.completed.checked, 1)
        }
        var seen = target.state.withLock { $0 }
        XCTAssertEqual(seen.imported, ["NCT00973089"])
        XCTAssertTrue(seen.successes.isEmpty)
        XCTAssertEqual(seen.failures.map(\.0), [[1]])
        XCTAssertNil(seen.follows[0].watermark)

        let summary = try await engine.run()
        XCTAssertEqual(summary.checked, 2)
        XCTAssertEqual(summary.changed, 1, "the first page's record was already imported")
        seen = target.state.withLock { $0 }
        XCTAssertEqual(seen.follows[0].watermark, registryDate)
    }

    func testADryRunRecordsNothing() async throws {
        let server = try StubRegistryServer { request in
            request.path == "/api/v2/version" ? .json(Records.version) : .json(try! Records.page(["NCT02552212"]))
        }
        let target = RecordingTarget(follows: [FollowedItem(id: 1, target: .trial("NCT02552212"), watermark: nil)])
        let summary = try await SyncEngine(registry: try makeClient(server), target: target).run(dryRun: true)
        XCTAssertEqual(summary.changed, 1)
        XCTAssertTrue(summary.line.contains("would be recorded"), summary.line)
        let seen = target.state.withLock { $0 }
        XCTAssertTrue(seen.imported.isEmpty)
        XCTAssertTrue(seen.successes.isEmpty)
    }

    func testNothingFollowedAsksTheRegistryNothing() async throws {
        let server = try StubRegistryServer { _ in .status(500) }
        let summary = try await SyncEngine(registry: try makeClient(server), target: RecordingTarget(follows: [])).run()
        XCTAssertEqual(summary.checked, 0)
        XCTAssertTrue(server.requests.isEmpty)
    }

    func testAVersionWithoutADateIsAnErrorNamingTheURL() async throws {
        let server = try StubRegistryServer { _ in .json(#"{"apiVersion":"2.0.5","dataTimestamp":"soon"}"#) }
        let target = RecordingTarget(follows: [FollowedItem(id: 1, target: .trial("NCT02552212"), watermark: nil)])
        let engine = SyncEngine(registry: try makeClient(server), target: target)
        do throws(SyncFailure) {
            _ = try await engine.run()
            XCTFail("expected a failure")
        } catch {
            XCTAssertEqual(
                error.reason,
                "GET \(server.root)/api/v2/version: dataTimestamp \"soon\" does not start with a date (YYYY-MM-DD)")
        }
    }
}
