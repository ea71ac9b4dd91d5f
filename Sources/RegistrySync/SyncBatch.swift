import RegistryClient
import TrialDomain

/// One search of a sync and the follows it serves: followed trials with the same watermark go
/// together (at most `idsPerSearch` NCT ids a search, so that the URL stays short); each
/// followed query is its own search.
public struct SyncBatch: Equatable, Sendable {
    public var followIDs: [Int64]
    public var query: StudiesQuery

    public init(followIDs: [Int64], query: StudiesQuery) {
        self.followIDs = followIDs
        self.query = query
    }

    /// Trials first (in the order followed), then queries; within each, the order given.
    public static func plan(_ follows: [FollowedItem], idsPerSearch: Int = 100, pageSize: Int = 1000) -> [SyncBatch] {
        var batches: [SyncBatch] = []
        var trialGroups: [(watermark: Day?, items: [(Int64, String)])] = []
        for follow in follows {
            guard case .trial(let nct) = follow.target else { continue }
            if let i = trialGroups.firstIndex(where: { $0.watermark == follow.watermark }) {
                trialGroups[i].items.append((follow.id, nct))
            } else {
                trialGroups.append((follow.watermark, [(follow.id, nct)]))
            }
        }
        for group in trialGroups {
            var start = 0
            while start < group.items.count {
                let chunk = group.items[start..<min(start + idsPerSearch, group.items.count)]
                batches.append(
                    SyncBatch(
                        followIDs: chunk.map(\.0),
                        query: StudiesQuery(changedSince: group.watermark, ids: chunk.map(\.1), pageSize: pageSize)))
                start += idsPerSearch
            }
        }
        for follow in follows {
            guard case .query(let term) = follow.target else { continue }
            batches.append(
                SyncBatch(
                    followIDs: [follow.id],
                    query: StudiesQuery(changedSince: follow.watermark, term: term, pageSize: pageSize)))
        }
        return batches
    }
}
