import Foundation
import GRDB
import TrialDomain
@testable import TrialStore
import XCTest

/// The writer finds every identifier it wrote, in the same transaction, once its bounded cache
/// of aliases was cleared, and after a rebuild.
final class AliasResolutionTests: StoreTestCase {
    /// A registration and, in the same transaction, another trial claiming its identifier: the
    /// second is refused, as across transactions. And after a rebuild (which forgets the
    /// writer's caches) every identifier still finds its trial.
    func testIdentifiersWrittenInTheOpenTransactionAndAfterARebuild() throws {
        let first = try event("ALPHA", .registered, "2024-01", ["title": "Alpha", "identifiers": [["registry": "nct", "id": "NCT09100001"]]])
        let claim = try event("BETA", .registered, "2024-01", ["title": "Beta", "identifiers": [["registry": "nct", "id": "NCT09100001"]]])
        let results = try store.append(groups: [[first], [claim]], recordedBy: "t")
        guard case .success = results[0] else { return XCTFail("\(results[0])") }
        guard case .failure(let e) = results[1] else { return XCTFail("BETA took ALPHA's identifier") }
        XCTAssertEqual(e.error, .identifierTaken(identifier: "NCT09100001", trial: "ALPHA"))
        // The writer's cache of aliases is bounded and cleared when full: the table must then
        // still say ALPHA's identifier is taken.
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
