import ClinicalTrialsGov
import RegistryClient
import RegistryTestSupport
import TrialDomain
import XCTest

/// The history list, a history version and the version endpoint, served and decoded.
final class DecoderTests: XCTestCase {
    /// The list's shape as SOURCES.md gives it (no real list is committed anywhere): the entry
    /// keys pharma_statistics checks, `moduleLabels` empty for version 0, the optional flags.
    static let historyList = """
        {"changes":[
          {"version":0,"date":"2020-02-21","status":"NOT_YET_RECRUITING","studyType":"INTERVENTIONAL","moduleLabels":[],"lastUpdateSubmitQcDate":"2020-02-20"},
          {"version":1,"date":"2020-02-26","status":"RECRUITING","studyType":"INTERVENTIONAL","moduleLabels":["Study Status","Contacts/Locations"],"lastUpdateSubmitQcDate":"2020-02-25"},
          {"version":2,"date":"2020-05-29","status":"ACTIVE_NOT_RECRUITING","studyType":"INTERVENTIONAL","moduleLabels":["Study Status","Outcome Measures (Results)"],"lastUpdateSubmitQcDate":"2020-05-28","reviewNotPassed":true,"unpostedEvents":[]}
         ],
         "lastUpdateVersions":{"outcomes":3,"enrollmentInfo":1},"originalData":{"enrollmentCountSame":true},"outcomesUpdateCount":1}
        """

    func testTheHistoryListDecodes() async throws {
        let server = try StubRegistryServer(script: [.json(Self.historyList)])
        let history = try await makeClient(server).history(of: "NCT04280705")
        XCTAssertEqual(server.requests.map(\.path), ["/api/int/studies/NCT04280705/history"])
        XCTAssertEqual(history.changes.map(\.version), [0, 1, 2])
        XCTAssertEqual(
            history.changes.map(\.date),
            [
                Day(year: 2020, month: 2, day: 21)!, Day(year: 2020, month: 2, day: 26)!,
                Day(year: 2020, month: 5, day: 29)!,
            ])
        XCTAssertEqual(history.changes.map(\.status), ["NOT_YET_RECRUITING", "RECRUITING", "ACTIVE_NOT_RECRUITING"])
        XCTAssertEqual(history.changes[0].moduleLabels, [])
        XCTAssertEqual(history.changes[1].moduleLabels, ["Study Status", "Contacts/Locations"])
        XCTAssertEqual(history.changes.map(\.reviewNotPassed), [false, false, true])
        XCTAssertEqual(history.changes[2].raw["lastUpdateSubmitQcDate"], "2020-05-28")
    }

    func testAHistoryListWithOnlyTheRequiredMembers() throws {
        let history = try StudyHistory.decode(Array(#"{"changes":[{"version":0,"date":"2024-06-01"}]}"#.utf8), url: "u")
        XCTAssertEqual(
            history.changes,
            [
                HistoryChange(
                    version: 0, date: Day(year: 2024, month: 6, day: 1)!, raw: ["version": 0, "date": "2024-06-01"])
            ])
    }

    func testTheRealVersionZeroDecodesAndTheStudyParserTakesIt() async throws {
        let server = try StubRegistryServer(script: [.json(try Records.historyVersion0())])
        let version = try await makeClient(server).historyVersion(of: "NCT04280705", version: 0)
        XCTAssertEqual(server.requests.map(\.path), ["/api/int/studies/NCT04280705/history/0"])
        XCTAssertEqual(version.studyVersion, 0)
        XCTAssertEqual(version.study["hasResults"], .bool(false))
        let studies = try StudyDocument.parse(version.study, file: "history/0")
        XCTAssertEqual(studies.map(\.nctId), ["NCT04280705"])
        XCTAssertEqual(studies.first?.overallStatus, .notYetRecruiting)
        XCTAssertEqual(studies.first?.enrollment?.count, 394)
    }

    func testTheAPIVersionDecodes() async throws {
        let server = try StubRegistryServer(script: [
            .json(#"{"apiVersion":"2.0.5","dataTimestamp":"2025-06-20T09:00:05"}"#)
        ])
        let version = try await makeClient(server).version()
        XCTAssertEqual(version, RegistryVersion(apiVersion: "2.0.5", dataTimestamp: "2025-06-20T09:00:05"))
        XCTAssertEqual(server.requests.map(\.path), ["/api/v2/version"])
    }

    func testAStudiesPageWithNullsAndAnEmptyToken() throws {
        let page = try StudiesPage.decode(Array(#"{"studies":[],"nextPageToken":"","totalCount":null}"#.utf8), url: "u")
        XCTAssertEqual(page.studies.count, 0)
        XCTAssertNil(page.nextPageToken)
        XCTAssertNil(page.totalCount)
    }

    func testEveryRealRecordSurvivesAPageAndTheStudyParser() throws {
        let page = try StudiesPage.decode(try Records.page(Records.studyIds, next: "t", total: 1234), url: "u")
        XCTAssertEqual(page.totalCount, 1234)
        XCTAssertEqual(page.nextPageToken, "t")
        for (study, id) in zip(page.studies, Records.studyIds) {
            XCTAssertEqual(study, try JSONValue.parse(try Records.study(id)))
            XCTAssertEqual(try StudyDocument.parse(study, file: id).map(\.nctId), [id])
        }
    }
}
