import RegistryClient
import TrialDomain

/// What `backfill` does with one listed version, and why.
public enum VersionChoice: Equatable, Sendable {
    case fetch
    /// Its `moduleLabels` touch nothing trialtrack records (contacts, references, eligibility …).
    case skipUntracked
}

/// Folds the registry's version history of a study into the log: each listed version becomes
/// the events that version changed, dated on the version's date, with a source naming the
/// version (`ClinicalTrials.gov NCT06388018 version 1, 2024-06-01`). trialsd plans each version
/// against the trial as it stood on that date, so the past slots in by world order beside what
/// was already recorded, and a second backfill plans nothing.
public struct Backfill: Sendable {
    public let registry: RegistryClient
    public let target: any SyncTarget

    public init(registry: RegistryClient, target: any SyncTarget) {
        self.registry = registry
        self.target = target
    }

    /// The modules whose changes trialtrack does not record. A version is skipped only when every
    /// label it lists is one of these: a label not known here is fetched (a skip must be sure).
    public static let untrackedModules: Set<String> = [
        "Contacts/Locations", "References", "Eligibility", "Oversight", "Study Description", "IPD Sharing",
        "IPD Sharing Statement", "Document Section", "Large Document", "More Information", "Adverse Events",
        "Baseline Characteristics", "Participant Flow", "Certain Agreements", "Point of Contact",
        "Limitations and Caveats",
    ]

    /// Version 0 and a version listing no labels are always fetched.
    public static func choice(for change: HistoryChange) -> VersionChoice {
        if change.version == 0 || change.moduleLabels.isEmpty { return .fetch }
        return change.moduleLabels.allSatisfy(untrackedModules.contains) ? .skipUntracked : .fetch
    }

    /// What one study's backfill did.
    public struct Report: Equatable, Sendable {
        public var nctId: String
        public var listed = 0
        public var fetched = 0
        public var skipped = 0
        public var summary = SyncSummary()
    }

    /// Backfills one study, oldest version first. A failure names the URL (or the socket) and
    /// keeps every version already imported; running it again completes the rest.
    public func run(
        nctId: String, dryRun: Bool = false, progress: @Sendable (_ done: Int, _ of: Int) -> Void = { _, _ in }
    ) async throws(SyncFailure) -> Report {
        var report = Report(nctId: nctId)
        report.summary.dryRun = dryRun
        do {
            let history = try await registry.history(of: nctId)
            let changes = history.changes.sorted { $0.version < $1.version }
            report.listed = changes.count
            let chosen = changes.filter { Backfill.choice(for: $0) == .fetch }
            report.skipped = changes.count - chosen.count
            for (i, change) in chosen.enumerated() {
                let version = try await registry.historyVersion(of: nctId, version: change.version)
                let ref = RegistryVersionRef(nctId: nctId, number: change.version, date: change.date)
                let outcome = try await target.importVersion(
                    HTMLText.unescape(version.study), version: ref, dryRun: dryRun)
                report.fetched += 1
                report.summary.add(outcome)
                progress(i + 1, chosen.count)
            }
        } catch let failure as SyncFailure {
            throw failure
        } catch {
            throw SyncFailure(reason: "\(error)", completed: report.summary)
        }
        return report
    }
}
