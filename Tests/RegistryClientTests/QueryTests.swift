import RegistryClient
import TrialDomain
import XCTest

/// The site's URLs and the incremental search's parameters, without a server.
final class QueryTests: XCTestCase {
    func testSiteComesFromTheFlagThenTheEnvironmentThenTheDefault() throws {
        let env = ["TRIALTRACK_CTGOV_URL": "http://127.0.0.1:9/stand-in/"]
        XCTAssertEqual(try CTGovSite.resolve(apiURL: nil, environment: [:]).root, "https://clinicaltrials.gov")
        XCTAssertEqual(try CTGovSite.resolve(apiURL: nil, environment: env).root, "http://127.0.0.1:9/stand-in")
        XCTAssertEqual(
            try CTGovSite.resolve(apiURL: "https://example.org", environment: env).root, "https://example.org")
        XCTAssertEqual(
            try CTGovSite.resolve(apiURL: "", environment: ["TRIALTRACK_CTGOV_URL": ""]).root,
            "https://clinicaltrials.gov")
    }

    func testASiteThatIsNotHTTPIsRefusedWithOneLine() {
        for bad in ["ftp://clinicaltrials.gov", "clinicaltrials.gov", "https://", "https://x.org/?q=1"] {
            XCTAssertThrowsError(try CTGovSite(root: bad), bad) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix("GET \(bad): not a usable site root"), text)
                XCTAssertFalse(text.contains("\n"))
            }
        }
    }

    func testTheSitesURLs() throws {
        let site = try CTGovSite(root: "https://clinicaltrials.gov")
        XCTAssertEqual(site.studiesURL, "https://clinicaltrials.gov/api/v2/studies")
        XCTAssertEqual(site.versionURL, "https://clinicaltrials.gov/api/v2/version")
        XCTAssertEqual(
            site.historyURL(nctId: "NCT04280705"), "https://clinicaltrials.gov/api/int/studies/NCT04280705/history")
        XCTAssertEqual(
            site.historyURL(nctId: "NCT04280705", version: 3),
            "https://clinicaltrials.gov/api/int/studies/NCT04280705/history/3")
        XCTAssertEqual(
            site.historyURL(nctId: "../x y"), "https://clinicaltrials.gov/api/int/studies/..%2Fx%20y/history")
    }

    func testTheFirstPageAsksForChangesSinceTheWatermarkLessADay() throws {
        let site = try CTGovSite(root: "https://clinicaltrials.gov")
        let query = StudiesQuery(
            changedSince: Day(year: 2025, month: 3, day: 1), ids: ["NCT05499390", "NCT07264075"],
            term: "AREA[InterventionName]ivonescimab")
        XCTAssertEqual(
            query.url(site: site),
            "https://clinicaltrials.gov/api/v2/studies?filter.advanced=AREA%5BLastUpdatePostDate%5DRANGE%5B2025-02-28%2CMAX%5D"
                + "&filter.ids=NCT05499390%2CNCT07264075&query.term=AREA%5BInterventionName%5Divonescimab&pageSize=1000&countTotal=true"
        )
    }

    func testALaterPageRepeatsTheFirstPagesParametersPlusTheToken() {
        let query = StudiesQuery(changedSince: Day(year: 2025, month: 1, day: 1), term: "lung cancer")
        let first = query.parameters()
        let later = query.parameters(pageToken: "a+b/c=")
        XCTAssertEqual(first.last?.0, "countTotal")
        XCTAssertEqual(later.dropLast().map { "\($0.0)=\($0.1)" }, first.dropLast().map { "\($0.0)=\($0.1)" })
        XCTAssertEqual(later.last?.0, "pageToken")
        XCTAssertTrue(
            query.url(site: try! CTGovSite(root: "http://h"), pageToken: "a+b/c=").hasSuffix(
                "&pageSize=1000&pageToken=a%2Bb%2Fc%3D"))
    }

    func testAFirstSyncHasNoDateFilter() {
        XCTAssertEqual(
            StudiesQuery(ids: ["NCT02552212"]).parameters().map(\.0), ["filter.ids", "pageSize", "countTotal"])
    }

    func testBackoffDoublesUpToItsCap() {
        let policy = RetryPolicy()
        XCTAssertEqual((1...8).map { policy.backoff(afterFailure: $0) }, [1, 2, 4, 8, 16, 32, 60, 60])
    }

    func testRetryAfterInSecondsOrAsAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_445_412_450)  // Wed, 21 Oct 2015 07:27:30 GMT
        XCTAssertEqual(RetryAfter.seconds("120", now: now), 120)
        XCTAssertEqual(RetryAfter.seconds("Wed, 21 Oct 2015 07:28:00 GMT", now: now), 30)
        XCTAssertEqual(RetryAfter.seconds("Wednesday, 21-Oct-15 07:28:00 GMT", now: now), 30)
        XCTAssertEqual(RetryAfter.seconds("Wed Oct 21 07:28:00 2015", now: now), 30)
        XCTAssertEqual(RetryAfter.seconds("Wed, 21 Oct 2015 07:00:00 GMT", now: now), 0)
        XCTAssertNil(RetryAfter.seconds("soon", now: now))
        XCTAssertNil(RetryAfter.seconds("-5", now: now))
    }
}
