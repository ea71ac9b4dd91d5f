import TrialDomain

/// The registry's UPPER_SNAKE enumerations, each with its domain value, in the registry's order.
public enum RegistryVocabulary {
    /// `overallStatus` (and `lastKnownStatus`): 14 values, five of them for expanded access.
    public static let overallStatus: [(String, TrialStatus)] = [
        ("ACTIVE_NOT_RECRUITING", .activeNotRecruiting),
        ("COMPLETED", .completed),
        ("ENROLLING_BY_INVITATION", .enrollingByInvitation),
        ("NOT_YET_RECRUITING", .notYetRecruiting),
        ("RECRUITING", .recruiting),
        ("SUSPENDED", .suspended),
        ("TERMINATED", .terminated),
        ("WITHDRAWN", .withdrawn),
        ("AVAILABLE", .available),
        ("NO_LONGER_AVAILABLE", .noLongerAvailable),
        ("TEMPORARILY_NOT_AVAILABLE", .temporarilyNotAvailable),
        ("APPROVED_FOR_MARKETING", .approvedForMarketing),
        ("WITHHELD", .withheld),
        ("UNKNOWN", .unknown),
    ]

    /// `resultsSection.outcomeMeasuresModule.outcomeMeasures[].type`.
    public static let outcomeType: [(String, OutcomeType)] = [
        ("PRIMARY", .primary),
        ("SECONDARY", .secondary),
        ("OTHER_PRE_SPECIFIED", .otherPreSpecified),
        ("POST_HOC", .postHoc),
    ]

    /// `designModule.phases[]`; `NA` is not applicable.
    public static let phase: [(String, Phase)] = [
        ("NA", .notApplicable),
        ("EARLY_PHASE1", .earlyPhase1),
        ("PHASE1", .phase1),
        ("PHASE2", .phase2),
        ("PHASE3", .phase3),
        ("PHASE4", .phase4),
    ]

    /// The `type` of dates and of `enrollmentInfo`.
    public static let estimateType: [(String, EstimateType)] = [
        ("ACTUAL", .actual),
        ("ESTIMATED", .estimated),
    ]

    /// `designInfo.allocation`.
    public static let allocation: [(String, Allocation)] = [
        ("RANDOMIZED", .randomized),
        ("NON_RANDOMIZED", .nonRandomized),
        ("NA", .notApplicable),
    ]

    /// `designInfo.maskingInfo.masking`.
    public static let masking: [(String, Masking)] = [
        ("NONE", .none),
        ("SINGLE", .single),
        ("DOUBLE", .double),
        ("TRIPLE", .triple),
        ("QUADRUPLE", .quadruple),
    ]

    /// `armGroups[].type`.
    public static let armType: [(String, ArmType)] = [
        ("EXPERIMENTAL", .experimental),
        ("ACTIVE_COMPARATOR", .activeComparator),
        ("PLACEBO_COMPARATOR", .placeboComparator),
        ("SHAM_COMPARATOR", .shamComparator),
        ("NO_INTERVENTION", .noIntervention),
        ("OTHER", .other),
    ]
}
