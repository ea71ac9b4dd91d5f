import Foundation
import RegistryClient
import RegistryTestSupport
import XCTest

/// The registry compresses its answers: a gzip body, whose Content-Length counts the
/// compressed bytes, is inflated and taken whole, not mistaken for a body cut short.
final class CompressionTests: XCTestCase {
    func testAGzipPageIsInflatedAndWhole() async throws {
        let page = try Records.page(Records.studyIds, total: 3)
        let compressed = try gzip(page)
        XCTAssertLessThan(compressed.count, page.count)
        let server = try StubRegistryServer(script: [
            StubResponse(
                headers: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body: compressed)
        ])
        var pager = try makeClient(server).studies(StudiesQuery(ids: Records.studyIds))
        let studies = try await pager.all()
        XCTAssertEqual(studies.count, 3)
    }

    func testAGzipBodyCutShortIsStillCaught() async throws {
        let compressed = try gzip(try Records.page(Records.studyIds, total: 3))
        let server = try StubRegistryServer(script: [
            StubResponse(headers: [("Content-Encoding", "gzip")], body: compressed, sendOnly: compressed.count / 2)
        ])
        let client = try makeClient(server)
        var pager = client.studies(StudiesQuery(ids: Records.studyIds))
        let error = await registryError { () async throws(RegistryError) in try await pager.next() }
        XCTAssertEqual(error?.kind, .cutShort, "\(String(describing: error))")
        XCTAssertEqual(server.requests.count, 1)
    }

    /// Debian's gzip, so the test needs no compression library.
    func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("registry-gzip-\(UUID().uuidString)")
        try Data(bytes).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c", input.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return Array(out)
    }
}
