import Foundation
import RegistryClient
import RegistryTestSupport
import TrialTestSupport
import XCTest

typealias Records = RealRecords

/// A client of the stand-in, with a clock that does not sleep.
func makeClient(
    _ server: StubRegistryServer, clock: ManualClock = ManualClock(),
    userAgent: String = RegistryClient.userAgent(version: "9.9.9"),
    timeout: Double = 10, retry: RetryPolicy = RetryPolicy(), onRetry: (@Sendable (RetryNotice) -> Void)? = nil
) throws -> RegistryClient {
    RegistryClient(
        site: try CTGovSite(root: server.root),
        fetcher: PoliteFetcher(userAgent: userAgent, timeout: timeout, retry: retry, clock: clock, onRetry: onRetry))
}

/// The error an async call throws, or a test failure if it returns.
func registryError<T>(
    _ body: () async throws(RegistryError) -> T, file: StaticString = #filePath, line: UInt = #line
) async -> RegistryError? {
    do {
        let value = try await body()
        XCTFail("expected a RegistryError, got \(value)", file: file, line: line)
        return nil
    } catch {
        XCTAssertFalse(error.description.contains("\n"), "not one line: \(error)", file: file, line: line)
        return error
    }
}
