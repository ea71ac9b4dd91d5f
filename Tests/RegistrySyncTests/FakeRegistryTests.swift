import ClinicalTrialsGov
import RegistryClient
import RegistrySync
import RegistryTestSupport
import TrialDomain
import XCTest

/// The stand-in the end-to-end tests use answers searches as the registry does.
final class FakeRegistryTests: XCTestCase {
    func testIdsTermsRangeAndPagingAnswerAsTheRegistryDoes() async throws {
        let registry = FakeRegistry()
        for id in ["NCT00973089", "NCT02552212", "NCT06171568"] { try registry.put(try Records.study(id)) }
        let server = try StubRegistryServer(handler: registry.answer)
        let client = try makeClient(server)

        var byIds = client.studies(StudiesQuery(ids: ["NCT06171568", "NCT00973089"], pageSize: 1))
        let ids = try await byIds.all().map { try StudyDocument.parse($0, file: "p")[0].nctId }
        XCTAssertEqual(ids, ["NCT00973089", "NCT06171568"])
        XCTAssertEqual(byIds.totalCount, 2)
        XCTAssertEqual(byIds.pagesFetched, 2)

        let edited = try StudyEdit.changing(
            try Records.study("NCT00973089"), status: "TERMINATED", lastUpdate: "2026-12-03", whyStopped: "futility")
        try registry.put(edited)
        var recent = client.studies(StudiesQuery(changedSince: Day(year: 2026, month: 12, day: 1)))
        let changed = try await recent.all().map { try StudyDocument.parse($0, file: "p")[0] }
        XCTAssertEqual(changed.map(\.nctId), ["NCT00973089"])
        XCTAssertEqual(changed.first?.overallStatus, .terminated)

        var none = client.studies(StudiesQuery(term: "AREA[InterventionName]nosuchdrugname"))
        let nothing = try await none.all()
        XCTAssertEqual(nothing.count, 0)
    }
}
