import ClinicalTrialsGov
import TrialDomain
import TrialProtocol
import TrialStore

/// Import: a ClinicalTrials.gov document planned against the trials' current state and
/// appended as one group (`StudyImport` does the planning and the retries).
struct ImportService: Sendable {
    let context: ServiceContext
    let appends: AppendService

    func importDocument(_ r: ImportRequest, peer: Peer) async throws -> ImportResponse {
        let file = r.file ?? "<request>"
        let study: StudyImport
        do { study = try StudyImport(document: r.document, file: file) } catch {
            throw TrialsError.invalidImport(file: error.file, path: error.path, reason: error.reason)
        }
        let records: [StudyImport.Record<AppendOutcome>]
        do {
            records = try await study.run(
                into: StoreImportTarget(context: context, appends: appends, recordedBy: peer.recordedBy))
        } catch let refused as StudyImport.Refused {
            // Name the record rather than only the event's index in the batch.
            guard var e = (refused.underlying as? TrialsError)?.varlinkError else { throw refused.underlying }
            if e.parameters["trial"] == nil { e.parameters["trial"] = .string(refused.trial) }
            throw e
        }
        let events = records.reduce(0) { $0 + $1.outcomes.count }
        context.logger.info("imported \(file): \(records.count) records, \(events) events, by \(peer.recordedBy)")
        return ImportResponse(
            trials: records.map { record in
                ImportResponse.Trial(
                    trial: record.plan.trial.text, events: record.outcomes.map(\.event.json),
                    severities: record.plan.changes.map(\.severity.rawValue))
            })
    }
}

/// The store and the committer, as an import sees them (Import, ImportStudies); with `asOf`,
/// each trial as it stood on that day, for a past version of a record.
struct StoreImportTarget: ImportTarget {
    let context: ServiceContext
    let appends: AppendService
    let recordedBy: String
    var asOf: Day? = nil

    func current(_ nctIDs: [String]) async throws -> [TrialView?] {
        let store = context.store
        let point = asOf.map { PointInTime(asOf: $0) }
        let views = try await store.read(.statuses(nctIDs, at: point ?? PointInTime()))
        // A trial with no event by that day is, for the plan, not yet known.
        return point == nil ? views : views.map { view in view.flatMap { $0.summary.version > 0 ? $0 : nil } }
    }

    func append(_ events: [NewEvent], severities: [ChangeSeverity]) async throws -> [AppendOutcome] {
        try await appends.append(events, recordedBy: recordedBy, indexed: true, severities: severities)
    }

    func isStale(_ error: Error) -> Bool {
        if case .wrongExpectedVersion? = error as? TrialsError { return true }
        return false
    }

    func eventIndex(of error: Error) -> Int? { (error as? TrialsError)?.index }
}
