import Foundation
import RegistryClient
import RegistrySync
import RegistryTestSupport
import TrialDomain
import TrialTestSupport
import XCTest

final class BackfillTests: XCTestCase {
    func testVersionsTouchingNothingTrackedAreNotFetched() {
        func change(_ v: Int, _ labels: [String]) -> HistoryChange {
            HistoryChange(version: v, date: Day(year: 2024, month: 1, day: 1 + v)!, moduleLabels: labels)
        }
        XCTAssertEqual(Backfill.choice(for: change(0, [])), .fetch)
        XCTAssertEqual(Backfill.choice(for: change(1, ["Contacts/Locations", "References"])), .skipUntracked)
        XCTAssertEqual(Backfill.choice(for: change(2, ["Contacts/Locations", "Study Status"])), .fetch)
        XCTAssertEqual(Backfill.choice(for: change(3, ["Something New"])), .fetch, "a label not known is fetched")
        XCTAssertEqual(Backfill.choice(for: change(4, [])), .fetch)
    }

    /// A three-version history (one of contacts only): versions 0 and 2 are fetched, imported
    /// oldest first with their dates, and their text unescaped.
    func testEachFetchedVersionIsImportedOnItsDateUnescaped() async throws {
        let v0 = Array(
            try Data(
                contentsOf: URL(
                    fileURLWithPath: Repository.path("Tests/Fixtures/ctgov-history/NCT04280705_history_v0.json"))))
        let history = #"""
            {"changes":[
              {"version":2,"date":"2020-04-02","status":"RECRUITING","moduleLabels":["Study Status"]},
              {"version":0,"date":"2020-02-21","status":"NOT_YET_RECRUITING","moduleLabels":[]},
              {"version":1,"date":"2020-03-01","status":"NOT_YET_RECRUITING","moduleLabels":["Contacts/Locations"]}
            ]}
            """#
        let server = try StubRegistryServer { request in
            switch request.path {
            case "/api/int/studies/NCT04280705/history": return .json(history)
            case "/api/int/studies/NCT04280705/history/0", "/api/int/studies/NCT04280705/history/2": return .json(v0)
            default: return .status(404)
            }
        }
        let target = RecordingTarget(follows: [])
        let report = try await Backfill(registry: try makeClient(server), target: target).run(nctId: "NCT04280705")
        XCTAssertEqual(report.listed, 3)
        XCTAssertEqual(report.fetched, 2)
        XCTAssertEqual(report.skipped, 1)
        XCTAssertFalse(server.requests.contains { $0.path.hasSuffix("/history/1") })
        let versions = target.state.withLock { $0.versions }
        XCTAssertEqual(versions.map(\.0.number), [0, 2])
        XCTAssertEqual(versions.map(\.0.date.description), ["2020-02-21", "2020-04-02"])
        XCTAssertEqual(versions[0].0.source, "ClinicalTrials.gov NCT04280705 version 0, 2020-02-21")
        let written = versions[0].1.canonicalText
        XCTAssertFalse(written.contains("&#x2F;"), "HTML entities are unescaped")
        XCTAssertFalse(written.contains("&lt;"))
        XCTAssertTrue(
            Array(v0).count > 0 && String(decoding: v0, as: UTF8.self).contains("&lt;"), "the fixture is escaped")
    }

    func testHTMLEntitiesAreUnescapedAndAnythingElseKept() {
        XCTAssertEqual(HTMLText.unescape("SpO2 &lt;&#x2F;= 94% &amp; &#47;&#X41;"), "SpO2 </= 94% & /A")
        XCTAssertEqual(HTMLText.unescape("AT&T &bogus; &#0; &#xD800; & end &"), "AT&T &bogus; &#0; &#xD800; & end &")
        XCTAssertEqual(HTMLText.unescape(.array([.string("a&gt;b"), .int(3)])), .array([.string("a>b"), .int(3)]))
    }

    func testAMissingHistoryNamesTheURL() async throws {
        let server = try StubRegistryServer { _ in .status(404, "no such study") }
        let backfill = Backfill(registry: try makeClient(server), target: RecordingTarget(follows: []))
        do throws(SyncFailure) {
            _ = try await backfill.run(nctId: "NCT09999999")
            XCTFail("expected a failure")
        } catch {
            XCTAssertTrue(
                error.reason.hasPrefix("GET \(server.root)/api/int/studies/NCT09999999/history: "), error.reason)
        }
    }
}
