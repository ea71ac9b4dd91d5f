import ClinicalTrialsGov
import Dispatch
import RegistrySync
import Synchronization
import TrialDomain
import TrialProtocol

/// trialsd, as the registry sync submits to it: through the blocking session, one call at a
/// time. A page of records goes in calls of at most `ImportStudiesRequest.maximumStudies`
/// records and `maximumBytes` of JSON, each record cut to what the import reads.
final class SocketSyncTarget: SyncTarget {
    /// Used only under `lock`: one call at a time on the one connection.
    nonisolated(unsafe) private let session: Session
    private let lock = Mutex(())
    /// Below trialsd's message limit (1 MiB), with room for the call around the records.
    static let maximumBytes = TrialsInterface.maximumMessageBytes - 16 * 1024
    /// Called with what each call's records gave, as they come (nothing is kept: a sync of the
    /// whole registry reports half a million records).
    let onReport: @Sendable ([ImportStudiesResponse.Study]) -> Void

    init(session: Session, onReport: @escaping @Sendable ([ImportStudiesResponse.Study]) -> Void) {
        self.session = session
        self.onReport = onReport
    }

    private func call(_ method: TrialsMethod, _ parameters: JSONObject) throws(TrialctlError) -> JSONObject {
        try lock.withLock { _ throws(TrialctlError) in try session.call(method, parameters) }
    }

    func followed() async throws -> [FollowedItem] {
        let reply = try FollowingResponse(parameters: try call(.following, FollowingRequest().parameters))
        return reply.follows.map { FollowedItem(id: $0.id, target: $0.target, watermark: $0.watermark) }
    }

    func importStudies(_ studies: [ArraySlice<UInt8>], dryRun: Bool) async throws -> [StudyOutcome] {
        var outcomes: [StudyOutcome] = []
        // The call's message built from the records' bytes as they came: nothing is parsed here.
        let head = Array(
            #"{"method":"\#(TrialsMethod.importStudies.qualifiedName)","parameters":{\#(dryRun ? #""dryRun":true,"# : "")"studies":["#
                .utf8)
        let tail = Array("]}}".utf8)
        var message = head
        var count = 0
        func flush() throws {
            guard count > 0 else { return }
            message += tail
            let reply = try ImportStudiesResponse(
                parameters: try lock.withLock { _ throws(TrialctlError) in try session.callRaw(message) })
            outcomes += reply.studies.map(Self.outcome)
            onReport(reply.studies)
            message = head
            count = 0
        }
        for study in studies {
            let essentials: [UInt8]
            let nctId: String?
            do { (essentials, nctId) = try StudyDocument.essentials(raw: study) } catch {
                outcomes.append(StudyOutcome(nctId: "a record", severities: [], refused: "\(error)"))
                continue
            }
            guard head.count + essentials.count + tail.count < Self.maximumBytes else {
                // Rare: a record whose tracked modules alone pass the message limit.
                outcomes.append(
                    StudyOutcome(
                        nctId: nctId ?? "a record", severities: [],
                        refused:
                            "its tracked modules are \(Format.bytes(Int64(essentials.count))), more than trialsd takes in a message (\(Format.bytes(Int64(TrialsInterface.maximumMessageBytes))))"
                    ))
                continue
            }
            if count > 0,
                count == ImportStudiesRequest.maximumStudies
                    || message.count + 1 + essentials.count + tail.count > Self.maximumBytes
            {
                try flush()
            }
            if count > 0 { message.append(UInt8(ascii: ",")) }
            message += essentials
            count += 1
        }
        try flush()
        return outcomes
    }

    func importVersion(_ study: JSONValue, version: RegistryVersionRef, dryRun: Bool) async throws -> StudyOutcome {
        let request = ImportStudiesRequest(
            studies: [try StudyDocument.essentials(study)], dryRun: dryRun,
            version: StudyVersionRef(number: Int64(version.number), date: version.date))
        let reply = try ImportStudiesResponse(parameters: try call(.importStudies, request.parameters))
        onReport(reply.studies)
        guard let first = reply.studies.first else {
            throw TrialctlError.failure("trialsd answered ImportStudies without the record")
        }
        return Self.outcome(first)
    }

    func recordSuccess(_ followIDs: [Int64], watermark: Day, studiesChecked: Int, eventsRecorded: Int) async throws {
        let request = RecordSyncRequest(
            follows: followIDs,
            outcome: .success(
                watermark: watermark, studiesChecked: Int64(studiesChecked), eventsRecorded: Int64(eventsRecorded)))
        _ = try call(.recordSync, request.parameters)
    }

    func recordFailure(_ followIDs: [Int64], reason: String) async throws {
        _ = try call(.recordSync, RecordSyncRequest(follows: followIDs, outcome: .failure(reason)).parameters)
    }

    /// A record's outcome; a refusal in the sentence trialctl says for that error anywhere
    /// (`ErrorText`), without the record's NCT number in front when the sentence begins with it
    /// (the report names the record already).
    static func outcome(_ s: ImportStudiesResponse.Study) -> StudyOutcome {
        let reason = s.refused.map { e in
            let sentence = ErrorText.sentence(e, context: ErrorContext()).0
            return sentence.hasPrefix(s.nctId + ": ") ? String(sentence.dropFirst(s.nctId.count + 2)) : sentence
        }
        return StudyOutcome(
            nctId: s.nctId, severities: s.changes.compactMap { ChangeSeverity(rawValue: $0.severity) },
            refused: reason)
    }
}

/// Runs async work from a synchronous command (trialctl's commands are synchronous): the
/// calling thread waits while the work runs on the concurrency pool.
func waitFor<T: Sendable, E: Error>(_ work: @escaping @Sendable () async throws(E) -> T) throws(E) -> T {
    let result = Mutex<Result<T, E>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let r: Result<T, E>
        do throws(E) { r = .success(try await work()) } catch { r = .failure(error) }
        result.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}
