import ClinicalTrialsGov
import RegistryClient
import RegistryTestSupport
import TrialDomain
import XCTest

/// The incremental search over several pages of real records, served on 127.0.0.1.
final class PagingTests: XCTestCase {
    let query = StudiesQuery(
        changedSince: Day(year: 2025, month: 3, day: 1), ids: ["NCT00973089", "NCT02552212", "NCT06171568"],
        term: "AREA[InterventionName]ivonescimab OR lung cancer")

    /// Page 1: two studies; page 2: empty, with a token; page 3: the last study, no token.
    func pagedServer() throws -> StubRegistryServer {
        let pages: [String: [UInt8]] = [
            "": try Records.page(["NCT00973089", "NCT02552212"], next: "p2/+=", total: 3),
            "p2/+=": try Records.page([], next: "p3"),
            "p3": try Records.page(["NCT06171568"]),
        ]
        return try StubRegistryServer { request in
            guard request.path == "/api/v2/studies", let page = pages[request.query("pageToken") ?? ""] else {
                return .status(404, "no such page")
            }
            return .json(page)
        }
    }

    func testPagingGathersEveryStudyOnceInOrder() async throws {
        let server = try pagedServer()
        let clock = ManualClock()
        var pager = try makeClient(server, clock: clock).studies(query)
        var studies: [JSONValue] = []
        var sizes: [Int] = []
        while let page = try await pager.next() {
            sizes.append(page.studies.count)
            studies += page.studies
        }
        XCTAssertEqual(sizes, [2, 0, 1])
        XCTAssertEqual(pager.totalCount, 3)
        XCTAssertEqual(pager.pagesFetched, 3)
        let ids = try studies.map { study in try StudyDocument.parse(study, file: "page").map(\.nctId) }.flatMap { $0 }
        XCTAssertEqual(ids, ["NCT00973089", "NCT02552212", "NCT06171568"])
        // After the last page the pager asks nothing more.
        let after = try await pager.next()
        XCTAssertNil(after)
        XCTAssertEqual(server.requests.count, 3)
        // About one request a second: the clock was asked to wait a second before each later page.
        XCTAssertEqual(clock.sleeps.count, 2)
        for wait in clock.sleeps { XCTAssertEqual(wait, 1, accuracy: 0.01) }
    }

    func testLaterPagesRepeatTheFirstPagesParametersPlusTheToken() async throws {
        let server = try pagedServer()
        var pager = try makeClient(server).studies(query)
        _ = try await pager.all()
        let requests = server.requests
        XCTAssertEqual(requests.count, 3)
        let first = requests[0].query.map { "\($0.name)=\($0.value)" }
        XCTAssertEqual(
            first,
            [
                "filter.advanced=AREA[LastUpdatePostDate]RANGE[2025-02-28,MAX]",
                "filter.ids=NCT00973089,NCT02552212,NCT06171568",
                "query.term=AREA[InterventionName]ivonescimab OR lung cancer",
                "pageSize=1000",
                "countTotal=true",
            ])
        for (request, token) in zip(requests.dropFirst(), ["p2/+=", "p3"]) {
            let later = request.query.map { "\($0.name)=\($0.value)" }
            XCTAssertEqual(later, Array(first.dropLast()) + ["pageToken=\(token)"])
            XCTAssertNil(request.query("countTotal"), "countTotal only on the first page")
        }
        // Percent-encoded on the wire: no brackets, commas, spaces, plus signs or slashes raw.
        for request in requests {
            let raw = request.rawQuery ?? ""
            XCTAssertFalse(raw.contains { "[], +/".contains($0) }, raw)
        }
        XCTAssertTrue(
            requests[0].rawQuery!.hasPrefix("filter.advanced=AREA%5BLastUpdatePostDate%5DRANGE%5B2025-02-28%2CMAX%5D&"))
    }

    func testATokenAfterAFullLastPageEndsWithAnEmptyPage() async throws {
        let server = try StubRegistryServer(script: [
            .json(try Records.page(["NCT02552212"], next: "more", total: 1)),
            .json(#"{"studies":[]}"#),
        ])
        var pager = try makeClient(server).studies(StudiesQuery(ids: ["NCT02552212"]))
        let studies = try await pager.all()
        XCTAssertEqual(studies.count, 1)
        XCTAssertEqual(server.requests.map { $0.query("pageToken") }, [nil, "more"])
    }

    func testATokenGivenTwiceIsAnErrorNotAnEndlessLoop() async throws {
        let server = try StubRegistryServer { _ in .json(#"{"studies":[],"nextPageToken":"same"}"#) }
        var pager = try makeClient(server).studies(StudiesQuery(term: "x"))
        let error = await registryError { () async throws(RegistryError) in try await pager.all() }
        XCTAssertEqual(error?.kind, .unexpectedShape)
        XCTAssertTrue(
            error?.description.contains("nextPageToken \"same\" was already given") ?? false,
            "\(String(describing: error))")
        XCTAssertEqual(server.requests.count, 2)
    }
}
