import ClinicalTrialsGov
import TrialDomain
import TrialProtocol
import TrialStore

/// The registry sync's methods (issue 28): Follow, Unfollow, Following, ImportStudies and
/// RecordSync. trialsd stays off the network: `trialctl sync` fetches, these record. Follows
/// and sync outcomes are written on the writer thread (`exclusive`), like every other write.
struct SyncService: Sendable {
    let context: ServiceContext
    let appends: AppendService
    let committer: GroupCommitter

    // MARK: Follows

    func follow(_ r: FollowRequest, peer: Peer) async throws -> FollowResponse {
        let targets = try await followTargets(r.trials, r.queries)
        let store = context.store
        let by = peer.recordedBy
        let rows = try await committer.exclusive { try store.follow(targets, by: by) }
        for (row, again) in rows where !again { context.logger.info("\(by) follows \(row.target)") }
        return FollowResponse(
            follows: rows.map { Self.record($0.follow) }, alreadyFollowed: rows.map(\.alreadyFollowed))
    }

    func unfollow(_ r: UnfollowRequest, peer: Peer) async throws -> UnfollowResponse {
        let targets = try await followTargets(r.trials, r.queries)
        let store = context.store
        let by = peer.recordedBy
        let done = try await committer.exclusive { try store.unfollow(targets, by: by) }
        var unfollowed: [String] = [], notFollowed: [String] = []
        for target in targets {
            if done[target] == true {
                unfollowed.append(target.text)
                context.logger.info("\(by) no longer follows \(target)")
            } else {
                notFollowed.append(target.text)
            }
        }
        return UnfollowResponse(unfollowed: unfollowed, notFollowed: notFollowed)
    }

    func following(_: FollowingRequest) async throws -> FollowingResponse {
        let store = context.store
        return FollowingResponse(follows: try await store.read(.follows()).map(Self.record))
    }

    func recordSync(_ r: RecordSyncRequest, peer: Peer) async throws -> RecordSyncResponse {
        let store = context.store
        let by = peer.recordedBy
        let ids = r.follows
        let rows: [Follow]
        do {
            switch r.outcome {
            case .success(let watermark, let checked, let events):
                rows = try await committer.exclusive {
                    try store.recordSyncSuccess(
                        followIDs: ids, watermark: watermark, studiesChecked: checked, eventsRecorded: events, by: by)
                }
            case .failure(let reason):
                rows = try await committer.exclusive {
                    try store.recordSyncFailure(followIDs: ids, error: reason, by: by)
                }
            }
        } catch let AppendError.invalid(e) {
            throw TrialsError.invalidFollow(target: e.field, reason: e.reason)
        }
        return RecordSyncResponse(follows: rows.map(Self.record))
    }

    /// Trials by any of their names (an NCT number is taken as it is, known or not; another name
    /// must be one the log knows, of a trial with an NCT number) and queries, validated.
    private func followTargets(_ trials: [String], _ queries: [String]) async throws -> [FollowTarget] {
        var targets: [FollowTarget] = []
        let store = context.store
        for name in trials {
            if let t = try? FollowTarget.trial(name).validated() {
                targets.append(t)
                continue
            }
            guard let view = try await store.read(.status(name)) else {
                throw await context.noSuchTrial(name)
            }
            guard let nct = view.summary.registration?.identifiers.first(where: { $0.registry == .nct }) else {
                throw TrialsError.invalidFollow(
                    target: name,
                    reason:
                        "\(view.summary.displayName) has no NCT number in the log; follow it by its NCT number, or a query"
                )
            }
            targets.append(.trial(nct.id))
        }
        for query in queries {
            do { targets.append(try FollowTarget.query(query).validated()) } catch {
                throw TrialsError.invalidFollow(target: query, reason: error.reason)
            }
        }
        return targets
    }

    static func record(_ f: Follow) -> FollowRecord {
        FollowRecord(
            id: f.id, target: f.target, addedAt: f.addedAt.description, addedBy: f.addedBy,
            watermark: f.sync?.watermark,
            lastSuccessAt: f.sync?.lastSuccessAt?.description, lastAttemptAt: f.sync?.lastAttemptAt.description,
            lastError: f.sync?.lastError, lastErrorAt: f.sync?.lastErrorAt?.description,
            lastSyncedBy: f.sync?.lastSyncedBy,
            studiesChecked: f.sync?.studiesChecked, eventsRecorded: f.sync?.eventsRecorded)
    }

    // MARK: ImportStudies

    /// Each record its own atomic append, all of them at once, so that the group committer
    /// commits them together (one fsync for the page) while each stays all or nothing.
    func importStudies(_ r: ImportStudiesRequest, peer: Peer) async throws -> ImportStudiesResponse {
        let target = StoreImportTarget(
            context: context, appends: appends, recordedBy: peer.recordedBy, asOf: r.version?.date)
        let results = try await withThrowingTaskGroup(of: (Int, ImportStudiesResponse.Study).self) { group in
            for (i, document) in r.studies.enumerated() {
                group.addTask { (i, try await self.one(document, index: i, request: r, target: target)) }
            }
            var out = [ImportStudiesResponse.Study?](repeating: nil, count: r.studies.count)
            for try await (i, study) in group { out[i] = study }
            return out.map { $0! }
        }
        let recorded = results.reduce(0) { $0 + $1.seqs.count }
        if recorded > 0 || results.contains(where: { $0.refused != nil }) {
            let refused = results.filter { $0.refused != nil }.count
            context.logger.info(
                "imported \(results.count) registry records (\(recorded) events, \(refused) refused) by \(peer.recordedBy)"
            )
        }
        return ImportStudiesResponse(studies: results)
    }

    private func one(_ document: JSONValue, index: Int, request r: ImportStudiesRequest, target: StoreImportTarget)
        async throws
        -> ImportStudiesResponse.Study
    {
        let nctId = document["protocolSection"]?["identificationModule"]?["nctId"]?.stringValue ?? "record \(index + 1)"
        func changes(_ plan: ImportPlan) -> [ImportStudiesResponse.Study.Change] {
            plan.changes.map {
                .init(type: $0.type.rawValue, severity: $0.severity.rawValue, description: $0.description)
            }
        }
        var study: StudyImport
        do { study = try StudyImport(document: document, file: nctId) } catch {
            let e = TrialsError.invalidImport(file: error.file, path: error.path, reason: error.reason)
            return .init(nctId: nctId, trial: nil, seqs: [], changes: [], refused: e)
        }
        if let version = r.version {
            study.dating = StudyImport.Dating(
                day: version.date, source: "ClinicalTrials.gov \(nctId) version \(version.number), \(version.date)")
        }
        do {
            if r.dryRun {
                let plan = try await study.plans(against: target)[0]
                return .init(nctId: nctId, trial: plan.trial.text, seqs: [], changes: changes(plan), refused: nil)
            }
            let record = try await study.run(into: target)[0]
            return .init(
                nctId: nctId, trial: record.plan.trial.text, seqs: record.outcomes.map(\.event.seq),
                changes: changes(record.plan), refused: nil)
        } catch let refused as StudyImport.Refused {
            guard let e = refused.underlying as? TrialsError else { throw refused.underlying }
            return .init(nctId: nctId, trial: refused.trial, seqs: [], changes: [], refused: e)
        } catch let e as TrialsError {
            if case .shuttingDown = e { throw e }
            return .init(nctId: nctId, trial: nil, seqs: [], changes: [], refused: e)
        }
    }
}
