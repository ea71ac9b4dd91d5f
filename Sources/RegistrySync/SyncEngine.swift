import ClinicalTrialsGov
import RegistryClient
import TrialDomain

/// How far a sync has come, for a progress line on a terminal.
public enum SyncProgress: Equatable, Sendable {
    /// The registry's data date was read and the searches planned.
    case started(registryDate: Day, searches: Int, follows: Int)
    /// A page was imported: `fetched` of the search's `total` (when the registry gave it).
    case page(search: Int, fetched: Int, total: Int?)
}

/// Why a sync stopped: one line naming the URL (or the socket) and the reason, and what it had
/// completed before (each study completed stays recorded; no watermark moved past it).
public struct SyncFailure: Error, Equatable, CustomStringConvertible, Sendable {
    public let reason: String
    public let completed: SyncSummary

    public init(reason: String, completed: SyncSummary) {
        self.reason = reason.split(whereSeparator: \.isNewline).joined(separator: " ")
        self.completed = completed
    }

    public var description: String { reason }
}

/// One sync: reads the follows, asks the registry for what changed since each one's watermark
/// (less a day's overlap), imports every page before asking for the next (each study one atomic
/// append), then moves the searched follows' watermark to the registry's data date. A failure
/// part-way keeps every study already imported, records the reason on the follows of the
/// search it was in, moves no watermark of that search or any later one, and ends the sync: the
/// next sync asks again from the old watermark, and records already imported plan nothing.
public struct SyncEngine: Sendable {
    public let registry: RegistryClient
    public let target: any SyncTarget
    public var idsPerSearch: Int
    public var pageSize: Int

    public init(registry: RegistryClient, target: any SyncTarget, idsPerSearch: Int = 100, pageSize: Int = 1000) {
        self.registry = registry
        self.target = target
        self.idsPerSearch = idsPerSearch
        self.pageSize = pageSize
    }

    public func run(dryRun: Bool = false, progress: @Sendable (SyncProgress) -> Void = { _ in })
        async throws(SyncFailure) -> SyncSummary
    {
        var summary = SyncSummary()
        summary.dryRun = dryRun
        let follows: [FollowedItem]
        do { follows = try await target.followed() } catch { throw SyncFailure(reason: "\(error)", completed: summary) }
        guard !follows.isEmpty else { return summary }

        let registryDate: Day
        do {
            let version = try await registry.version()
            guard let day = Day(String(version.dataTimestamp.prefix(10))) else {
                throw SyncFailure(
                    reason:
                        "GET \(registry.site.versionURL): dataTimestamp \"\(version.dataTimestamp)\" does not start with a date (YYYY-MM-DD)",
                    completed: summary)
            }
            registryDate = day
        } catch let failure as SyncFailure {
            throw failure
        } catch {
            throw SyncFailure(reason: "\(error)", completed: summary)
        }
        summary.registryDate = registryDate

        let batches = SyncBatch.plan(follows, idsPerSearch: idsPerSearch, pageSize: pageSize)
        progress(.started(registryDate: registryDate, searches: batches.count, follows: follows.count))
        for (number, batch) in batches.enumerated() {
            var inSearch = SyncSummary()
            do {
                var pager = registry.studies(batch.query)
                var fetched = 0
                while let page = try await pager.next() {
                    let outcomes =
                        page.ranges.isEmpty ? [] : try await target.importStudies(page.rawStudies, dryRun: dryRun)
                    for outcome in outcomes { inSearch.add(outcome) }
                    fetched += page.ranges.count
                    progress(.page(search: number + 1, fetched: fetched, total: pager.totalCount))
                }
                if !dryRun {
                    try await target.recordSuccess(
                        batch.followIDs, watermark: registryDate, studiesChecked: inSearch.checked,
                        eventsRecorded: inSearch.events)
                }
            } catch {
                summary.merge(inSearch)
                let reason = "\(error)"
                if !dryRun { try? await target.recordFailure(batch.followIDs, reason: reason) }
                throw SyncFailure(reason: reason, completed: summary)
            }
            summary.merge(inSearch)
            summary.followsSynced += batch.followIDs.count
        }
        return summary
    }
}

extension SyncSummary {
    mutating func merge(_ other: SyncSummary) {
        checked += other.checked
        changed += other.changed
        for (s, n) in other.bySeverity { bySeverity[s, default: 0] += n }
        refused += other.refused
        followsSynced += other.followsSynced
    }
}
