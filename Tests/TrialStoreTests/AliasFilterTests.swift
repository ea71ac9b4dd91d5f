import Foundation
import GRDB
import TrialDomain
@testable import TrialStore
import XCTest

/// The writer's filter of aliases says "absent" only of an alias it was never given, and the
/// writer still finds every identifier it wrote, in the same transaction or after a rebuild.
final class AliasFilterTests: StoreTestCase {
    func testAbsentIsCertainAndPresentRarelyWrong() {
        var filter = AliasFilter(capacity: 10_000)
        let added = (0..<10_000).map { String(format: "nct%08d", $0) }
        for a in added { filter.insert(a) }
        XCTAssertTrue(added.allSatisfy(filter.mayContain), "no false absent")
        let wrong = (10_000..<20_000).filter { filter.mayContain(String(format: "nct%08d", $0)) }.count
        XCTAssertLessThan(wrong, 300, "about 1% of others said present, not \(wrong)")
        XCTAssertGreaterThan(wrong, 0, "a 10-bit filter is not exact: the test measures it")
    }

    /// A registration and, in the same transaction, another trial claiming its identifier: the
    /// second is refused, as across transactions. And after a rebuild (which forgets the
    /// filter) every identifier still finds its trial.
    func testIdentifiersWrittenInTheOpenTransactionAndAfterARebuild() throws {
        let first = try event("ALPHA", .registered, "2024-01", ["title": "Alpha", "identifiers": [["registry": "nct", "id": "NCT09100001"]]])
        let claim = try event("BETA", .registered, "2024-01", ["title": "Beta", "identifiers": [["registry": "nct", "id": "NCT09100001"]]])
        let results = try store.append(groups: [[first], [claim]], recordedBy: "t")
        guard case .success = results[0] else { return XCTFail("\(results[0])") }
        guard case .failure(let e) = results[1] else { return XCTFail("BETA took ALPHA's identifier") }
        XCTAssertEqual(e.error, .identifierTaken(identifier: "NCT09100001", trial: "ALPHA"))
        // The writer's cache of aliases is bounded and cleared when full: the filter alone must
        // then still say ALPHA's identifier may be taken.
        try store.pool.write { _ in store.writer.aliasCache.removeAll() }
        let afterClear = try store.append(groups: [[claim]], recordedBy: "t")
        guard case .failure(let e1) = afterClear[0] else { return XCTFail("BETA took ALPHA's identifier once the cache was cleared") }
        XCTAssertEqual(e1.error, .identifierTaken(identifier: "NCT09100001", trial: "ALPHA"))
        _ = try store.rebuild()
        XCTAssertEqual(try store.resolve("nct09100001"), "ALPHA")
        let again = try store.append(groups: [[claim]], recordedBy: "t")
        guard case .failure(let e2) = again[0] else { return XCTFail("BETA took ALPHA's identifier after a rebuild") }
        XCTAssertEqual(e2.error, .identifierTaken(identifier: "NCT09100001", trial: "ALPHA"))
        XCTAssertEqual(try append("NCT09100001", .statusChanged, "2024-02", ["status": "recruiting"]).event.trial, "ALPHA")
    }
}
