import ClinicalTrialsGov
import TrialStore

/// What the writer committed in one transaction, as its observers see it: every queued
/// group's result, in queue order (so the recorded events are in seq order), and the change
/// severities that came with a group (an import's classification, one per event), so that
/// whoever needs them (the journal's PRIORITY) has them without the reply path.
public struct CommittedBatch: Sendable {
    /// Each group's result: its outcomes (some may be replays, which recorded nothing), or
    /// why it was refused (a refused group left no trace).
    public let results: [Result<[AppendOutcome], GroupError>]
    /// Each group's change severities, in `results`' order; nil when nobody classified it.
    public let severities: [[ChangeSeverity]?]

    public init(results: [Result<[AppendOutcome], GroupError>], severities: [[ChangeSeverity]?]) {
        self.results = results
        self.severities = severities
    }

    /// The events this commit recorded (not replays), in seq order, each with its severity.
    public func forEachRecorded(_ body: (AppendOutcome, ChangeSeverity?) throws -> Void) rethrows {
        for (result, severities) in zip(results, severities) {
            guard case .success(let outcomes) = result else { continue }
            for (i, o) in outcomes.enumerated() where !o.replayed {
                try body(o, severities.flatMap { i < $0.count ? $0[i] : nil })
            }
        }
    }

    /// How many events this commit recorded (not replays).
    public var recordedCount: Int {
        var n = 0
        forEachRecorded { _, _ in n += 1 }
        return n
    }
}

/// Hears of every commit, in the spirit of GRDB's `TransactionObserver`: registered with the
/// group committer when the daemon is made, called on the writer thread once per committed
/// transaction, in commit order, after the commit is durable and before any caller hears
/// back. This is the one path after a commit: the broadcaster (subscribers) and the journal
/// sink (journald) are observers, and so is every append, whoever queued it (a connection,
/// Correct, Retract, Import, the `--seed` file, the overdue watcher).
///
/// `committed` runs on the log's bottleneck: it must not block and should do as little as
/// it can (hand the batch to a thread of its own, wake waiters).
public protocol CommitObserver: AnyObject, Sendable {
    func committed(_ batch: CommittedBatch)
}
