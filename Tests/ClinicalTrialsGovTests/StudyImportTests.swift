import ClinicalTrialsGov
import Foundation
import TrialDomain
import TrialTestSupport
import XCTest

/// The import's orchestration, against a log that is only closures' worth of state.
final class StudyImportTests: XCTestCase {
    struct Refusal: Error {
        var stale = false
        var index: Int?
    }

    /// A target whose appends fail as scripted, then succeed; it records what it was asked.
    final class Target: ImportTarget, @unchecked Sendable {  // used from one task at a time
        var failures: [Refusal] = []
        var reads = 0
        var appended: [[NewEvent]] = []

        func current(_ nctIDs: [String]) async throws -> [TrialView?] {
            reads += 1
            return nctIDs.map { _ in nil }
        }

        func append(_ events: [NewEvent], severities: [ChangeSeverity]) async throws -> [Int] {
            XCTAssertEqual(events.count, severities.count)
            if !failures.isEmpty { throw failures.removeFirst() }
            appended.append(events)
            return Array(events.indices)
        }

        func isStale(_ error: Error) -> Bool { (error as? Refusal)?.stale == true }
        func eventIndex(of error: Error) -> Int? { (error as? Refusal)?.index }
    }

    func document() throws -> JSONValue {
        let a = try Records.json("NCT06171568"), b = try Records.json("NCT02552212")
        let older = a.setting("protocolSection.statusModule.lastUpdatePostDateStruct.date", to: "2000-01-01")
        return .object(JSONObject([("studies", [a, b, older])]))
    }

    func testATrialListedTwiceIsImportedOnceFromItsLatestRecord() async throws {
        let study = try StudyImport(document: try document(), file: "page.json")
        XCTAssertEqual(study.studies.map(\.nctId), ["NCT06171568", "NCT02552212"])
        XCTAssertEqual(study.studies[0].lastUpdatePosted, try Records.study("NCT06171568").lastUpdatePosted)
        let target = Target()
        let records = try await study.run(into: target)
        XCTAssertEqual(records.map(\.plan.trial.text), ["NCT06171568", "NCT02552212"])
        XCTAssertEqual(records.map(\.outcomes.count), records.map(\.plan.events.count))
        // Each trial's first event carries the version its plan was made against.
        XCTAssertEqual(target.appended[0].first?.expectedVersion, 0)
    }

    func testAStaleVersionIsPlannedAgainUpToTheAttempts() async throws {
        let study = try StudyImport(document: try document(), file: "page.json")
        let target = Target()
        target.failures = [Refusal(stale: true), Refusal(stale: true)]
        _ = try await study.run(into: target)
        XCTAssertEqual(target.reads, 3)

        let stuck = Target()
        stuck.failures = Array(repeating: Refusal(stale: true), count: study.attempts)
        do {
            _ = try await study.run(into: stuck)
            XCTFail("imported although every attempt was stale")
        } catch {
            XCTAssertEqual(stuck.reads, study.attempts)
        }
    }

    func testARefusalNamesTheRecordOfItsEvent() async throws {
        let study = try StudyImport(document: try document(), file: "page.json")
        let first = ImportPlanner.plan(study: study.studies[0], current: nil).events.count
        let target = Target()
        target.failures = [Refusal(index: first)]
        do {
            _ = try await study.run(into: target)
            XCTFail("imported although refused")
        } catch let refused as StudyImport.Refused {
            XCTAssertEqual(refused.trial, "NCT02552212")
            XCTAssertEqual((refused.underlying as? Refusal)?.index, first)
        }
        let unnamed = Target()
        unnamed.failures = [Refusal()]
        do {
            _ = try await study.run(into: unnamed)
            XCTFail("imported although refused")
        } catch {
            XCTAssertTrue(error is Refusal, "\(error)")
        }
    }

    func testAnUnreadableDocumentIsAnImportError() {
        XCTAssertThrowsError(try StudyImport(document: .object(JSONObject([("studies", 3)])), file: "x.json")) { e in
            XCTAssertEqual((e as? ImportError)?.file, "x.json")
        }
    }
}

final class StudyEssentialsTests: XCTestCase {
    /// What sync sends is a fraction of the record and parses to the same study.
    func testTheEssentialsOfARecordParseToTheSameStudy() throws {
        for id in ["NCT00973089", "NCT02552212", "NCT06171568"] {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Repository.path("demo/ctgov/\(id).json"))))
            let whole = try JSONValue.parse(bytes)
            let essentials = try StudyDocument.essentials(whole)
            XCTAssertEqual(try StudyDocument.parse(essentials, file: id), try StudyDocument.parse(whole, file: id), id)
            XCTAssertLessThan(essentials.canonicalText.utf8.count, whole.canonicalText.utf8.count, id)
            // The same from the bytes, without a tree: what sync sends.
            let raw = try StudyDocument.essentials(raw: bytes[...])
            XCTAssertEqual(raw.nctId, id)
            XCTAssertEqual(try JSONValue.parse(raw.bytes), essentials, id)
        }
    }
}
