import ClinicalTrialsGov
import Systemd
import TrialDomain
import TrialStore

/// The journald entry of every appended event: a line a person reads, a fixed MESSAGE_ID per
/// event type (so `journalctl MESSAGE_ID=…` selects all readouts), a priority by severity,
/// and fields to filter on. The catalog (systemd/trialsd.catalog) explains each MESSAGE_ID.
public enum JournalEntries {
    /// MESSAGE_ID per event type: fixed forever (they are in the catalog and in people's
    /// filters). A switch, so that a new event type cannot go without one.
    public static func messageID(_ type: EventType) -> String {
        switch type {
        case .registered: "7c13dd6e61ed4e7fb87056787f777b1f"
        case .statusChanged: "ebae0eb9d7f24adcb12c30ba671170bf"
        case .enrollmentUpdated: "2453e3a0571e40158bcd426664876313"
        case .datesUpdated: "fa2c31b20aec4de884544b7a4e9b0a6c"
        case .interimAnalysis: "2fbeb7d3ce3d42cfaccd7bcc0b706cb5"
        case .readout: "93b4421272d64da78fba6ea9646e2dd9"
        case .presented: "3d11726a78f14eb0ac6b5b515dd88189"
        case .published: "b6c33d5a80b649288f1f9d8fe720e30d"
        case .regulatorySubmission: "485f8a5e2a5b495091b6f9cba0377646"
        case .regulatoryDecision: "9e665fb4582e4ebe949e607714fd8486"
        case .milestoneExpected: "8eda65d27be740df9a1bb150e6b1df7a"
        case .milestoneOverdue: "78c84febd7844547a237469bfc64efd1"
        case .corrected: "fb5e8567483e4dc39dba67f952e2f273"
        case .retracted: "f0b7aab669ab46eba11fbf2a2f2ccdd3"
        }
    }

    /// warning (4) for what calls for attention — suspended, terminated, withdrawn, an outcome
    /// not met, a refusal, an overdue milestone; notice (5) for every other milestone; info (6)
    /// for registry bookkeeping.
    public static func priority(_ payload: Payload) -> Journal.Priority {
        switch payload {
        case .statusChanged(let s): return s.status.isAlarming ? .warning : .notice
        case .interimAnalysis(let i): return i.outcome.isAlarming ? .warning : .notice
        case .readout(let r): return r.outcome == .negative ? .warning : .notice
        case .regulatoryDecision(let d): return d.decision == .approved ? .notice : .warning
        case .milestoneOverdue: return .warning
        case .enrollmentUpdated, .datesUpdated, .milestoneExpected, .corrected, .retracted: return .info
        default: return .notice
        }
    }

    /// The fields of the entry for an appended event, with the trial as it stands after it.
    /// With an import's `severity`, a critical change is a warning and a notable one at least
    /// a notice, and CHANGE_SEVERITY says which.
    public static func fields(_ event: RecordedEvent, trial: TrialSummary, severity: ChangeSeverity? = nil) -> [(
        String, String
    )] {
        var level = priority(event.payload)
        switch severity {
        case .critical?: level = min(level, .warning)
        case .notable?: level = min(level, .notice)
        default: break
        }
        let name = trial.displayName
        var text = EventText.describe(event.payload)
        if case .milestoneOverdue(let o) = event.payload,
            let x = trial.nextExpected, x.seq == o.expected
        {
            text = "\(x.milestone) expected \(x.window) is overdue"
        }
        var f: [(String, String)] = [
            ("MESSAGE", "\(name): \(event.type.rawValue) — \(text)".replacingNewlines),
            ("MESSAGE_ID", messageID(event.type)),
            ("PRIORITY", String(level.rawValue)),
            ("SYSLOG_IDENTIFIER", "trialsd"),
            ("TRIAL_ID", trial.key),
            ("EVENT_TYPE", event.type.rawValue),
            ("EVENT_SEQ", String(event.seq)),
            ("EVENT_VERSION", String(event.version)),
            ("EVENT_OCCURRED", event.occurred.description),
            ("EVENT_HASH", hexString(event.hash)),
            ("RECORDED_BY", event.recordedBy),
        ]
        if let a = trial.acronym { f.append(("TRIAL_ACRONYM", a)) }
        if let nct = trial.registration?.identifiers.first(where: { $0.registry == .nct }) {
            f.append(("TRIAL_NCT", nct.id))
        }
        if let s = trial.status { f.append(("TRIAL_STATUS", s.rawValue)) }
        if let s = event.source { f.append(("SOURCE", s.replacingNewlines)) }
        if let severity { f.append(("CHANGE_SEVERITY", severity.rawValue)) }
        return f
    }
}

extension String {
    /// One line: runs of line breaks become a space. Most text has none and is returned as it
    /// is, after a scan of its bytes for the line breaks `isNewline` knows (\n \v \f \r,
    /// U+0085 = C2 85, U+2028 and U+2029 = E2 80 A8/A9).
    fileprivate var replacingNewlines: String {
        var s = self
        let breaks = s.withUTF8 { b -> Bool in
            for i in b.indices {
                switch b[i] {
                case 0x0A...0x0D: return true
                case 0xC2 where i + 1 < b.count && b[i + 1] == 0x85: return true
                case 0xE2 where i + 2 < b.count && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9):
                    return true
                default: continue
                }
            }
            return false
        }
        return breaks ? split(whereSeparator: \.isNewline).joined(separator: " ") : self
    }
}
