import RegistryClient
import RegistryTestSupport
import XCTest

/// Answers that are not what was asked for: each a one-line error naming the URL.
final class FailureTests: XCTestCase {
    func testABodyCutShortIsAnErrorNamingTheURL() async throws {
        let body = try Records.page(["NCT02552212"], total: 1)
        let server = try StubRegistryServer(script: [
            StubResponse(headers: [("Content-Type", "application/json")], body: body, sendOnly: body.count / 2)
        ])
        var pager = try makeClient(server).studies(StudiesQuery(ids: ["NCT02552212"]))
        let error = await registryError { () async throws(RegistryError) in try await pager.next() }
        let url = StudiesQuery(ids: ["NCT02552212"]).url(site: try CTGovSite(root: server.root))
        XCTAssertEqual(error?.url, url)
        XCTAssertEqual(error?.kind, .cutShort)
        XCTAssertTrue(
            error?.description.hasPrefix("GET \(url): body cut short: ") ?? false, "\(String(describing: error))")
        // Not retried: the sync stops there, keeping what it completed.
        XCTAssertEqual(server.requests.count, 1)
    }

    func testALengthThatDisagreesWithTheBodyIsCutShort() throws {
        let response = HTTPResponse(status: 200, headers: ["content-length": "10"], body: Array("{}".utf8))
        XCTAssertThrowsError(try URLSessionTransport.checkLength(response)) { error in
            XCTAssertEqual(error as? TransportFailure, .cutShort("body cut short: 2 of 10 bytes (Content-Length)"))
        }
        // A compressed body is inflated by libcurl, so its length is not compared.
        let gzip = HTTPResponse(
            status: 200, headers: ["Content-Length": "10", "Content-Encoding": "gzip"], body: Array("{}".utf8))
        XCTAssertNoThrow(try URLSessionTransport.checkLength(gzip))
    }

    func testJSONThatDoesNotParseIsAnErrorNamingTheURL() async throws {
        let server = try StubRegistryServer(script: [.json(#"{"studies":[{"protocolSection":"#)])
        var pager = try makeClient(server).studies(StudiesQuery(term: "x"))
        let error = await registryError { () async throws(RegistryError) in try await pager.next() }
        XCTAssertEqual(error?.kind, .malformedJSON)
        XCTAssertTrue(
            error?.description.hasPrefix(
                "GET \(server.root)/api/v2/studies?query.term=x&pageSize=1000&countTotal=true: the body is not whole JSON ("
            ) ?? false,
            "\(String(describing: error))")
    }

    func testAnother4xxIsAnErrorWithItsStatusAndIsNotRetried() async throws {
        let server = try StubRegistryServer(script: [.status(400, "filter.advanced: unknown area\nLastUpdate")])
        let clock = ManualClock()
        let client = try makeClient(server, clock: clock)
        let error = await registryError { () async throws(RegistryError) in try await client.history(of: "NCT04280705")
        }
        XCTAssertEqual(error?.kind, .status(400))
        XCTAssertEqual(
            error?.description,
            "GET \(server.root)/api/int/studies/NCT04280705/history: HTTP 400 Bad Request: filter.advanced: unknown area LastUpdate"
        )
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertEqual(clock.sleeps, [])
    }

    func testA404NamesTheURLAndTheStatus() async throws {
        let server = try StubRegistryServer(script: [.status(404)])
        let client = try makeClient(server)
        let error = await registryError { () async throws(RegistryError) in
            try await client.historyVersion(of: "NCT04280705", version: 9)
        }
        XCTAssertEqual(
            error?.description, "GET \(server.root)/api/int/studies/NCT04280705/history/9: HTTP 404 Not Found")
    }

    func testNothingListeningIsRetriedThenAnError() async throws {
        let server = try StubRegistryServer(script: [])
        let root = server.root
        server.stop()
        let fetcher = PoliteFetcher(userAgent: "t", retry: RetryPolicy(maxAttempts: 2), clock: ManualClock())
        let client = RegistryClient(site: try CTGovSite(root: root), fetcher: fetcher)
        let error = await registryError { () async throws(RegistryError) in try await client.version() }
        XCTAssertEqual(error?.kind, .transport)
        XCTAssertTrue(error?.description.hasPrefix("GET \(root)/api/v2/version: ") ?? false)
        XCTAssertTrue(error?.description.hasSuffix("(gave up after 2 tries)") ?? false, "\(String(describing: error))")
    }
}

/// Shapes the client does not understand, served as they would come.
final class ShapeTests: XCTestCase {
    func shapeError(_ body: String, _ call: (RegistryClient) async throws(RegistryError) -> Void) async throws -> String
    {
        let server = try StubRegistryServer(script: [.json(body)])
        let client = try makeClient(server)
        let error = await registryError { () async throws(RegistryError) in try await call(client) }
        XCTAssertEqual(error?.kind, .unexpectedShape)
        let text = error?.description ?? ""
        XCTAssertTrue(text.hasPrefix("GET \(server.root)/api/"), text)
        return String(text.drop { $0 != " " }.dropFirst().drop { $0 != " " }.dropFirst())
    }

    func testAPageWithoutStudies() async throws {
        let what = try await shapeError(#"{"error":"x","nextPageToken":"t"}"#) { c throws(RegistryError) in
            var p = c.studies(StudiesQuery()); _ = try await p.next()
        }
        XCTAssertEqual(what, "unexpected answer: no \"studies\" (the object has only error, nextPageToken)")
    }

    func testAStudyThatIsNotAnObject() async throws {
        let what = try await shapeError(#"{"studies":[{},"NCT1"]}"#) { c throws(RegistryError) in
            var p = c.studies(StudiesQuery()); _ = try await p.next()
        }
        XCTAssertEqual(what, "unexpected answer: studies[1] is a string, not an object")
    }

    func testATokenThatIsNotAString() async throws {
        let what = try await shapeError(#"{"studies":[],"nextPageToken":7}"#) { c throws(RegistryError) in
            var p = c.studies(StudiesQuery()); _ = try await p.next()
        }
        XCTAssertEqual(what, "unexpected answer: \"nextPageToken\" is a number, not a string")
    }

    func testAHistoryListWithoutChanges() async throws {
        let what = try await shapeError(#"{"history":{"changes":[]}}"#) { c throws(RegistryError) in
            _ = try await c.history(of: "NCT04280705")
        }
        XCTAssertEqual(what, "unexpected answer: no \"changes\" (the object has only history)")
    }

    func testAChangeWithoutADate() async throws {
        let what = try await shapeError(
            #"{"changes":[{"version":0,"date":"2020-02-21"},{"version":1,"date":"21/02/2020"}]}"#
        ) { c throws(RegistryError) in _ = try await c.history(of: "NCT04280705") }
        XCTAssertEqual(what, "unexpected answer: changes[1].date is \"21/02/2020\", not a YYYY-MM-DD date")
    }

    func testAVersionWithoutAStudy() async throws {
        let what = try await shapeError(#"{"studyVersion":0,"study":[]}"#) { c throws(RegistryError) in
            _ = try await c.historyVersion(of: "NCT04280705", version: 0)
        }
        XCTAssertEqual(what, "unexpected answer: \"study\" is an array, not an object")
    }

    func testAVersionAnswerThatIsAnArray() async throws {
        let what = try await shapeError(#"[]"#) { c throws(RegistryError) in _ = try await c.version() }
        XCTAssertEqual(what, "unexpected answer: an array, not an object")
    }
}
