import Foundation
import RegistryClient
import RegistryTestSupport
import TrialTestSupport
import XCTest

/// The real records the stand-in serves: demo/ctgov's v2 studies and the `/history/0` body of
/// Tests/Fixtures/ctgov-history (their provenance in the SOURCES.md beside them).
enum Records {
    static let studyIds = ["NCT00973089", "NCT02552212", "NCT06171568"]

    static func study(_ nctId: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Repository.path("demo/ctgov/\(nctId).json"))))
    }

    static func historyVersion0() throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Repository.path("Tests/Fixtures/ctgov-history/NCT04280705_history_v0.json"))))
    }

    /// A `/api/v2/studies` page holding the studies' bytes as they are.
    static func page(_ nctIds: [String], next: String? = nil, total: Int? = nil) throws -> [UInt8] {
        var out = Array(#"{"studies":["#.utf8)
        for (i, id) in nctIds.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += try study(id)
        }
        out += Array("]".utf8)
        if let next { out += Array(#","nextPageToken":"\#(next)""#.utf8) }
        if let total { out += Array(#","totalCount":\#(total)"#.utf8) }
        out += Array("}".utf8)
        return out
    }
}

/// A client of the stand-in, with a clock that does not sleep.
func makeClient(
    _ server: StubRegistryServer, clock: ManualClock = ManualClock(), userAgent: String = RegistryClient.userAgent(version: "9.9.9"),
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
