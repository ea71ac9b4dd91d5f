import ClinicalTrialsGov
import RegistryTestSupport
import TrialDomain
import XCTest

final class ReplicatedStudiesTests: XCTestCase {
    func testCopiesParseUnderTheirFreshNumbersAndTheEnlargedRecordIsLarge() throws {
        let results = try Records.study("NCT02552212")
        let big = try ReplicatedStudies.enlarged(results, toAtLeast: 1_500_000)
        XCTAssertGreaterThanOrEqual(big.count, 1_500_000, "the registry's largest records are 1.5 MB and more")
        let copies = ReplicatedStudies(templates: [
            .init(nctId: "NCT00973089", bytes: try Records.study("NCT00973089")),
            .init(nctId: "NCT02552212", bytes: big),
        ])
        let page = copies.page(5..<8, next: "x", total: 9)
        let studies = try StudyDocument.parse(try JSONValue.parse(page), file: "page")
        XCTAssertEqual(studies.map(\.nctId), ["NCT90000005", "NCT90000006", "NCT90000007"])
        XCTAssertTrue(studies[0].hasResults)
        XCTAssertFalse(studies[1].hasResults)
    }
}

extension ReplicatedStudiesTests {
    /// Enlarged as the registry's largest records are, what sync sends of it still fits in one
    /// message to trialsd.
    func testTheEnlargedRecordsEssentialsFitInOneMessage() throws {
        let big = try ReplicatedStudies.enlarged(try Records.study("NCT02552212"), toAtLeast: 1_500_000)
        let essentials = try StudyDocument.essentials(try JSONValue.parse(big))
        XCTAssertLessThan(essentials.canonicalText.utf8.count, 1 << 20)
    }
}
