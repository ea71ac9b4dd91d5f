import Foundation
import TrialDomain
import TrialStore
import XCTest

/// The writer finds every identifier it wrote, in the same transaction, without its bounded
/// cache of aliases or once it was cleared, and after a rebuild.
final class AliasResolutionTests: StoreTestCase {
    /// A registration and, in the same transaction, another trial claiming its identifier: the
    /// second is refused, as across transactions. And after a rebuild (which forgets the
    /// writer's caches) every identifier still finds its trial.
    func testIdentifiersWrittenInTheOpenTransactionAndAfterARebuild() throws {
        let first = try event(
            "ALPHA", .registered, "2024-01",
            ["title": "Alpha", "identifiers": [["registry": "nct", "id": "NCT09100001"]]])
        let claim = try event(
            "BETA", .registered, "2024-01",
            ["title": "Beta", "identifiers": [["registry": "nct", "id": "NCT09100001"]]])
        let results = try store.append(groups: [[first], [claim]], recordedBy: "t")
        guard case .success = results[0] else { return XCTFail("\(results[0])") }
        guard case .failure(let e) = results[1] else { return XCTFail("BETA took ALPHA's identifier") }
        XCTAssertEqual(e.error, .identifierTaken(identifier: "NCT09100001", trial: "ALPHA"))
        // The writer's cache of aliases is bounded and cleared when full: the table must then
        // still say ALPHA's identifier is taken. A writer that caches no alias reads only the table.
        try reopen(aliasCacheCapacity: 0)
        let afterClear = try store.append(groups: [[claim]], recordedBy: "t")
        guard case .failure(let e1) = afterClear[0] else {
            return XCTFail("BETA took ALPHA's identifier without the cache")
        }
        XCTAssertEqual(e1.error, .identifierTaken(identifier: "NCT09100001", trial: "ALPHA"))
        // One alias at a time: each new one clears the cache, as a full cache is cleared.
        try reopen(aliasCacheCapacity: 1)
        _ = try append(
            "GAMMA", .registered, "2024-01",
            ["title": "Gamma", "identifiers": [["registry": "nct", "id": "NCT09100002"]]])
        let afterFull = try store.append(groups: [[claim]], recordedBy: "t")
        guard case .failure(let e3) = afterFull[0] else {
            return XCTFail("BETA took ALPHA's identifier once the cache was full")
        }
        XCTAssertEqual(e3.error, .identifierTaken(identifier: "NCT09100001", trial: "ALPHA"))
        try reopen()
        _ = try store.rebuild()
        XCTAssertEqual(try store.resolve("nct09100001"), "ALPHA")
        let again = try store.append(groups: [[claim]], recordedBy: "t")
        guard case .failure(let e2) = again[0] else { return XCTFail("BETA took ALPHA's identifier after a rebuild") }
        XCTAssertEqual(e2.error, .identifierTaken(identifier: "NCT09100001", trial: "ALPHA"))
        XCTAssertEqual(
            try append("NCT09100001", .statusChanged, "2024-02", ["status": "recruiting"]).event.trial, "ALPHA")
    }
}
