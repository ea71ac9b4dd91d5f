import TrialDomain

/// A typed view of the parts of a ClinicalTrials.gov API v2 study record that trialtrack maps.
/// Strings are trimmed; empty optional strings count as absent. Enumerations are already in the
/// domain's vocabulary (`PHASE1` → `phase-1`).
public struct Study: Equatable, Sendable {
    /// `identificationModule.secondaryIdInfos[]`.
    public struct SecondaryId: Equatable, Sendable {
        public var id: String
        /// The registry's type (`EUDRACT_NUMBER`, `CTIS`, `NIH`, `REGISTRY`, `OTHER` …), as given.
        public var type: String?
        /// The issuing body (`IDRCB`), as given.
        public var domain: String?

        public init(id: String, type: String? = nil, domain: String? = nil) {
            self.id = id
            self.type = type
            self.domain = domain
        }
    }

    /// `armsInterventionsModule.armGroups[]`.
    public struct ArmGroup: Equatable, Sendable {
        public var label: String
        public var type: ArmType?
        public var interventionNames: [String]

        public init(label: String, type: ArmType? = nil, interventionNames: [String] = []) {
            self.label = label
            self.type = type
            self.interventionNames = interventionNames
        }
    }

    /// `designModule.enrollmentInfo`; the type is missing on some old records.
    public struct EnrollmentInfo: Equatable, Sendable {
        public var count: Int64
        public var type: EstimateType?

        public init(count: Int64, type: EstimateType?) {
            self.count = count
            self.type = type
        }
    }

    /// Where the study sits in its file (`$`, `[2]`, `studies[2]`).
    public var path: String

    // identificationModule
    public var nctId: String
    public var nctIdAliases: [String]
    /// `orgStudyIdInfo.id`: the sponsor's protocol id.
    public var orgStudyId: String?
    public var secondaryIds: [SecondaryId]
    public var acronym: String?
    public var briefTitle: String?
    public var officialTitle: String?

    // statusModule
    public var overallStatus: TrialStatus
    /// The sponsor's last submitted status, kept when the registry derived `UNKNOWN`.
    public var lastKnownStatus: TrialStatus?
    public var whyStopped: String?
    public var startDate: StudyDate?
    public var primaryCompletionDate: StudyDate?
    public var completionDate: StudyDate?
    /// Month precision (`2017-01`).
    public var statusVerifiedDate: PartialDate?
    /// `studyFirstPostDateStruct.date`: when the registration was first posted.
    public var firstPosted: Day?
    /// `lastUpdatePostDateStruct.date`: the version of the record (required).
    public var lastUpdatePosted: Day

    // designModule
    public var phases: [Phase]
    public var enrollment: EnrollmentInfo?
    public var allocation: Allocation?
    public var masking: Masking?

    public var armGroups: [ArmGroup]
    /// `outcomesModule.primaryOutcomes[].measure`.
    public var primaryOutcomes: [String]
    public var leadSponsor: String?
    public var collaborators: [String]
    public var conditions: [String]
    public var hasResults: Bool
    /// `statusModule.resultsFirstPostDateStruct.date`: when the results were first posted.
    public var resultsFirstPosted: Day? = nil
    /// `resultsSection.outcomeMeasuresModule.outcomeMeasures[]`, every one in the record's order,
    /// as structured results (see `StudyDocument.outcomeMeasure`). Empty without results.
    public var postedResults: [EndpointResult] = []

    /// The title events carry: the brief title, else the official one.
    public var title: String { briefTitle ?? officialTitle ?? nctId }

    /// `ClinicalTrials.gov NCT06171568, last update 2023-12-14`: the `source` of every planned event.
    public var source: String { "ClinicalTrials.gov \(nctId), last update \(lastUpdatePosted)" }
}
