import ClinicalTrialsGov
import TrialDomain

/// Something followed on the registry, as the sync reads it from trialsd.
public struct FollowedItem: Equatable, Sendable {
    public var id: Int64
    public var target: FollowTarget
    /// The registry's data date up to which everything was fetched; nil before a first sync.
    public var watermark: Day?

    public init(id: Int64, target: FollowTarget, watermark: Day?) {
        self.id = id
        self.target = target
        self.watermark = watermark
    }
}

/// What importing one study record did (or, in a dry run, would do).
public struct StudyOutcome: Equatable, Sendable {
    public var nctId: String
    /// The severity of each event recorded (or planned), in order.
    public var severities: [ChangeSeverity]
    /// One line saying why the record was refused; nil when it was imported.
    public var refused: String?

    public init(nctId: String, severities: [ChangeSeverity], refused: String? = nil) {
        self.nctId = nctId
        self.severities = severities
        self.refused = refused
    }

    public var events: Int { severities.count }
}

/// One listed version of a study, as a backfill submits it: the events are dated on the
/// version's date and their source names it.
public struct RegistryVersionRef: Equatable, Sendable {
    public var nctId: String
    public var number: Int
    public var date: Day

    public init(nctId: String, number: Int, date: Day) {
        self.nctId = nctId
        self.number = number
        self.date = date
    }

    /// `ClinicalTrials.gov NCT06388018 version 1, 2024-06-01`: the source of its events.
    public var source: String { "ClinicalTrials.gov \(nctId) version \(number), \(date)" }
}

/// Where a sync reads what is followed and records what it fetched: trialsd, through its
/// socket (every import is one atomic append per study), or a stand-in in tests.
public protocol SyncTarget: Sendable {
    /// Every active follow with its watermark.
    func followed() async throws -> [FollowedItem]
    /// Imports each study (its bytes, as the registry sent them) as its own atomic append,
    /// planned against the trial's current state.
    func importStudies(_ studies: [ArraySlice<UInt8>], dryRun: Bool) async throws -> [StudyOutcome]
    /// Imports one past version of a study, planned against the trial as it stood on the
    /// version's date.
    func importVersion(_ study: JSONValue, version: RegistryVersionRef, dryRun: Bool) async throws -> StudyOutcome
    /// Moves the follows' watermark after every one of their pages was imported.
    func recordSuccess(_ followIDs: [Int64], watermark: Day, studiesChecked: Int, eventsRecorded: Int) async throws
    /// Records why the follows' sync failed; their watermark stays where it was.
    func recordFailure(_ followIDs: [Int64], reason: String) async throws
}
