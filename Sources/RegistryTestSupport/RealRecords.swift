import Foundation
import TrialTestSupport

/// The real records the stand-in serves in tests: demo/ctgov's v2 studies and the `/history/0`
/// body of Tests/Fixtures/ctgov-history (their provenance in the SOURCES.md beside them).
public enum RealRecords {
    public static let studyIds = ["NCT00973089", "NCT02552212", "NCT06171568"]

    public static func study(_ nctId: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Repository.path("demo/ctgov/\(nctId).json"))))
    }

    public static func historyVersion0() throws -> [UInt8] {
        Array(
            try Data(
                contentsOf: URL(
                    fileURLWithPath: Repository.path("Tests/Fixtures/ctgov-history/NCT04280705_history_v0.json"))))
    }

    /// A `/api/v2/studies` page holding the studies' bytes as they are.
    public static func page(_ nctIds: [String], next: String? = nil, total: Int? = nil) throws -> [UInt8] {
        StudiesPageBody.make(try nctIds.map(study), next: next, total: total)
    }

    /// `/api/v2/version`'s answer, with the data of 2026-12-04.
    public static let version = #"{"apiVersion":"2.0.5","dataTimestamp":"2026-12-04T09:00:05"}"#
}
