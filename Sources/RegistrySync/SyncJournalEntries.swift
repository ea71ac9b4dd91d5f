import ClinicalTrialsGov
import TrialDomain

/// The journal entries of a sync, as fields (trialctl sends them to journald): its start, its
/// summary and its failure, each with a MESSAGE_ID fixed forever and explained in the catalog
/// (systemd/trialsd.catalog), so that `journalctl MESSAGE_ID=…` finds every failed sync.
public enum SyncJournalEntries {
    public static let startedID = "1f7aeb54c9f54122a268cc7bf4c15b5b"
    public static let finishedID = "1ae1b5f086394873a2a90892802b784f"
    public static let failedID = "594055f644614362962c7a4b0b2fc546"

    /// syslog priorities: err 3, notice 5, info 6.
    public static func started(site: String, follows: Int, searches: Int, registryDate: Day, dryRun: Bool) -> [(
        String, String
    )] {
        [
            (
                "MESSAGE",
                "registry sync started: \(follows) follow\(follows == 1 ? "" : "s"), \(searches) search\(searches == 1 ? "" : "es") of \(site), data of \(registryDate)\(dryRun ? " (dry run)" : "")"
            ),
            ("MESSAGE_ID", startedID), ("PRIORITY", "6"), ("SYSLOG_IDENTIFIER", "trialctl"),
            ("SYNC_SITE", site), ("SYNC_FOLLOWS", String(follows)), ("SYNC_REGISTRY_DATE", registryDate.description),
            ("SYNC_DRY_RUN", dryRun ? "1" : "0"),
        ]
    }

    /// A summary with changes is a notice; one without, info.
    public static func finished(site: String, summary: SyncSummary) -> [(String, String)] {
        [
            ("MESSAGE", "registry sync finished: " + summary.line), ("MESSAGE_ID", finishedID),
            ("PRIORITY", summary.events > 0 ? "5" : "6"), ("SYSLOG_IDENTIFIER", "trialctl"), ("SYNC_SITE", site),
        ]
            + figures(summary)
    }

    public static func failed(site: String, failure: SyncFailure) -> [(String, String)] {
        [
            ("MESSAGE", "registry sync failed: \(failure.reason)"), ("MESSAGE_ID", failedID), ("PRIORITY", "3"),
            ("SYSLOG_IDENTIFIER", "trialctl"), ("SYNC_SITE", site), ("SYNC_ERROR", failure.reason),
        ]
            + figures(failure.completed)
    }

    static func figures(_ s: SyncSummary) -> [(String, String)] {
        var f = [
            ("SYNC_CHECKED", String(s.checked)), ("SYNC_CHANGED", String(s.changed)), ("SYNC_EVENTS", String(s.events)),
            ("SYNC_CRITICAL", String(s.bySeverity[.critical, default: 0])),
            ("SYNC_NOTABLE", String(s.bySeverity[.notable, default: 0])),
            ("SYNC_MINOR", String(s.bySeverity[.minor, default: 0])), ("SYNC_REFUSED", String(s.refused.count)),
            ("SYNC_DRY_RUN", s.dryRun ? "1" : "0"),
        ]
        if let d = s.registryDate { f.append(("SYNC_REGISTRY_DATE", d.description)) }
        return f
    }
}
