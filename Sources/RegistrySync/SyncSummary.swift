import ClinicalTrialsGov
import TrialDomain

/// What a sync or a backfill did: `N checked, M changed, K events (c critical, n notable, m minor)`.
public struct SyncSummary: Equatable, Sendable {
    /// Study records fetched and imported (a record matched by two searches counts twice).
    public var checked = 0
    /// Records that gave at least one event.
    public var changed = 0
    public var bySeverity: [ChangeSeverity: Int] = [:]
    /// Records refused (NCT number and why), each also named on stderr.
    public var refused: [Refusal] = []
    /// Follows whose sync completed.
    public var followsSynced = 0
    /// The registry's data date the watermarks moved to (nil for a backfill).
    public var registryDate: Day?
    public var dryRun = false

    public struct Refusal: Equatable, Sendable {
        public var nctId: String
        public var reason: String
    }

    public init() {}

    public var events: Int { bySeverity.values.reduce(0, +) }

    mutating func add(_ outcome: StudyOutcome) {
        checked += 1
        if let reason = outcome.refused {
            refused.append(Refusal(nctId: outcome.nctId, reason: reason))
            return
        }
        if outcome.events > 0 { changed += 1 }
        for s in outcome.severities { bySeverity[s, default: 0] += 1 }
    }

    /// `12 checked, 3 changed, 5 events (1 critical, 2 notable, 2 minor)`; a dry run says
    /// `would record`.
    public var line: String {
        let kinds = ChangeSeverity.allCases.sorted(by: >).map { "\(bySeverity[$0, default: 0]) \($0.rawValue)" }
        var text = "\(checked) checked, \(changed) changed, \(events) event\(events == 1 ? "" : "s")"
        if dryRun { text += " would be recorded" }
        text += " (" + kinds.joined(separator: ", ") + ")"
        if !refused.isEmpty { text += ", \(refused.count) refused" }
        return text
    }

    /// For `--json`: every figure by name.
    public var json: JSONValue {
        var o = JSONObject([
            ("checked", .int(Int64(checked))), ("changed", .int(Int64(changed))), ("events", .int(Int64(events))),
            ("critical", .int(Int64(bySeverity[.critical, default: 0]))),
            ("notable", .int(Int64(bySeverity[.notable, default: 0]))),
            ("minor", .int(Int64(bySeverity[.minor, default: 0]))),
            ("followsSynced", .int(Int64(followsSynced))), ("dryRun", .bool(dryRun)),
            (
                "refused",
                .array(
                    refused.map { .object(JSONObject([("nctId", .string($0.nctId)), ("reason", .string($0.reason))])) })
            ),
        ])
        if let registryDate { o["registryDate"] = .string(registryDate.description) }
        return .object(o)
    }
}
