import Foundation
import RegistryClient
import RegistryTestSupport
import TrialProtocol
import XCTest

/// The User-Agent, the rate limit, Retry-After and backoff, seen by the stand-in and the clock.
final class PolitenessTests: XCTestCase {
    let version = #"{"apiVersion":"2.0.5","dataTimestamp":"2025-06-20T09:00:05"}"#

    func testTheUserAgentNamesTrialtrackAndItsVersion() async throws {
        let server = try StubRegistryServer(script: [.json(version)])
        let client = try makeClient(server, userAgent: RegistryClient.userAgent(version: trialtrackVersion))
        _ = try await client.version()
        let agent = try XCTUnwrap(server.requests.first?.header("User-Agent"))
        XCTAssertTrue(agent.hasPrefix("trialtrack/\(trialtrackVersion) "), agent)
        XCTAssertFalse(agent.contains("Foundation"), "URLSession's default agent replaced: \(agent)")
        XCTAssertEqual(server.requests.first?.header("Accept"), "application/json")
        // Compressed answers are asked for (a page of 1,000 studies is tens of megabytes).
        XCTAssertTrue(server.requests.first?.header("Accept-Encoding")?.contains("gzip") ?? false)
    }

    func testTheRateLimiterSpacesRequestsByTheRestOfASecond() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(interval: 1, clock: clock)
        try await limiter.acquire()
        clock.advance(by: 0.3)
        try await limiter.acquire()
        clock.advance(by: 5)
        try await limiter.acquire()
        try await limiter.acquire()
        XCTAssertEqual(clock.sleeps.count, 2)
        XCTAssertEqual(clock.sleeps[0], 0.7, accuracy: 1e-9)
        XCTAssertEqual(clock.sleeps[1], 1, accuracy: 1e-9)
    }

    func testRequestsThroughTheFetcherAreASecondApart() async throws {
        let server = try StubRegistryServer { _ in
            .json(#"{"apiVersion":"2.0.5","dataTimestamp":"2025-06-20T09:00:05"}"#)
        }
        let clock = ManualClock()
        let client = try makeClient(server, clock: clock)
        for _ in 0..<4 { _ = try await client.version() }
        XCTAssertEqual(server.requests.count, 4)
        XCTAssertEqual(clock.sleeps, [1, 1, 1])
    }

    func testA429WaitsItsRetryAfterInSeconds() async throws {
        let server = try StubRegistryServer(script: [
            .status(429, "slow down", headers: [("Retry-After", "7")]), .json(version),
        ])
        let clock = ManualClock()
        let notices = NoticeLog()
        let add: @Sendable (RetryNotice) -> Void = { notices.add($0) }
        let client = try makeClient(server, clock: clock, onRetry: add)
        let answer = try await client.version()
        XCTAssertEqual(answer, RegistryVersion(apiVersion: "2.0.5", dataTimestamp: "2025-06-20T09:00:05"))
        XCTAssertEqual(server.requests.count, 2)
        // The 7 s the server asked for, and no rate-limit wait on top (7 s is past the second).
        XCTAssertEqual(clock.sleeps, [7])
        XCTAssertEqual(notices.all.map(\.problem), ["HTTP 429 Too Many Requests (Retry-After 7 s)"])
    }

    func testA429WaitsItsRetryAfterAsAnHTTPDate() async throws {
        let clock = ManualClock()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let date = formatter.string(from: clock.wallStart.addingTimeInterval(30))
        let server = try StubRegistryServer(script: [.status(429, headers: [("Retry-After", date)]), .json(version)])
        _ = try await makeClient(server, clock: clock).version()
        XCTAssertEqual(clock.sleeps.count, 1)
        XCTAssertEqual(clock.sleeps[0], 30, accuracy: 1)
    }

    func testARetryAfterLongerThanTheClientWaitsIsAnError() async throws {
        let server = try StubRegistryServer(script: [.status(429, headers: [("Retry-After", "86400")])])
        let client = try makeClient(server)
        let error = await registryError { () async throws(RegistryError) in try await client.version() }
        XCTAssertEqual(
            error?.description,
            "GET \(server.root)/api/v2/version: HTTP 429 Too Many Requests: Retry-After 86400 s is longer than the 600 s this client waits"
        )
    }

    func testA503ThenSuccessRetriesWithBackoff() async throws {
        let server = try StubRegistryServer(script: [.status(503), .status(502), .json(version)])
        let clock = ManualClock()
        _ = try await makeClient(server, clock: clock).version()
        XCTAssertEqual(server.requests.count, 3)
        XCTAssertEqual(clock.sleeps, [1, 2])
    }

    func testServerErrorsGiveUpAfterTheLastTry() async throws {
        let server = try StubRegistryServer { _ in .status(503, "maintenance") }
        let clock = ManualClock()
        let client = try makeClient(
            server, clock: clock, retry: RetryPolicy(maxAttempts: 4, initialBackoff: 1, maxBackoff: 3))
        let error = await registryError { () async throws(RegistryError) in try await client.version() }
        XCTAssertEqual(error?.kind, .status(503))
        XCTAssertEqual(
            error?.description,
            "GET \(server.root)/api/v2/version: HTTP 503 Service Unavailable (gave up after 4 tries)")
        XCTAssertEqual(clock.sleeps, [1, 2, 3])
        XCTAssertEqual(server.requests.count, 4)
    }

    func testASlowAnswerTimesOutAndIsRetried() async throws {
        let server = try StubRegistryServer(script: [
            StubResponse(status: 200, body: Array(version.utf8), delay: 3), .json(version),
        ])
        let clock = ManualClock()
        _ = try await makeClient(server, clock: clock, timeout: 1).version()
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertEqual(clock.sleeps, [1])
    }

    func testASlowAnswerEveryTimeIsATimeoutError() async throws {
        let server = try StubRegistryServer { _ in StubResponse(status: 200, body: [], delay: 3) }
        let client = try makeClient(server, timeout: 1, retry: RetryPolicy(maxAttempts: 1))
        let error = await registryError { () async throws(RegistryError) in try await client.version() }
        XCTAssertEqual(error?.kind, .timedOut)
        XCTAssertEqual(
            error?.description, "GET \(server.root)/api/v2/version: no answer within 1 s (gave up after 1 tries)")
    }
}

/// Retry notices, gathered from the fetcher's callback.
final class NoticeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var notices: [RetryNotice] = []
    var all: [RetryNotice] { lock.withLock { notices } }
    func add(_ notice: RetryNotice) { lock.withLock { notices.append(notice) } }
}
