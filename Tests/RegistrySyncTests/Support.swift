import ClinicalTrialsGov
import Foundation
import RegistryClient
import RegistrySync
import RegistryTestSupport
import Synchronization
import TrialDomain
import TrialTestSupport

typealias Records = RealRecords

func makeClient(_ server: StubRegistryServer, clock: ManualClock = ManualClock()) throws -> RegistryClient {
    RegistryClient(
        site: try CTGovSite(root: server.root),
        fetcher: PoliteFetcher(
            userAgent: RegistryClient.userAgent(version: "9.9.9"), timeout: 10, retry: RetryPolicy(), clock: clock))
}

/// A stand-in for trialsd: records what the sync asked, plans each study with the real planner
/// against the trials it has seen (so that a record imported twice plans nothing).
final class RecordingTarget: SyncTarget, Sendable {
    struct State {
        var follows: [FollowedItem] = []
        var imported: [String] = []
        var versions: [(RegistryVersionRef, JSONValue)] = []
        var successes: [([Int64], Day, Int, Int)] = []
        var failures: [([Int64], String)] = []
        var known: [String: Study] = [:]
    }

    let state: Mutex<State>

    init(follows: [FollowedItem]) { state = Mutex(State(follows: follows)) }

    func followed() async throws -> [FollowedItem] { state.withLock { $0.follows } }

    func importStudies(_ studies: [ArraySlice<UInt8>], dryRun: Bool) async throws -> [StudyOutcome] {
        try studies.map { bytes in
            let study = try StudyDocument.parse(try JSONValue.parse(Array(bytes)), file: "page")[0]
            return state.withLock { s in
                let changed = s.known[study.nctId] != study
                if !dryRun {
                    s.imported.append(study.nctId)
                    s.known[study.nctId] = study
                }
                return StudyOutcome(nctId: study.nctId, severities: changed ? [.notable] : [])
            }
        }
    }

    func importVersion(_ study: JSONValue, version: RegistryVersionRef, dryRun: Bool) async throws -> StudyOutcome {
        state.withLock { $0.versions.append((version, study)) }
        return StudyOutcome(nctId: version.nctId, severities: [.minor])
    }

    func recordSuccess(_ followIDs: [Int64], watermark: Day, studiesChecked: Int, eventsRecorded: Int) async throws {
        state.withLock { s in
            s.successes.append((followIDs, watermark, studiesChecked, eventsRecorded))
            for i in s.follows.indices where followIDs.contains(s.follows[i].id) { s.follows[i].watermark = watermark }
        }
    }

    func recordFailure(_ followIDs: [Int64], reason: String) async throws {
        state.withLock { $0.failures.append((followIDs, reason)) }
    }
}
