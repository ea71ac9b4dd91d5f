/// A validated payload, one case per event type. `init(type:json:)` refuses missing,
/// mistyped and unknown fields, naming each; `json` gives back the canonical form.
public enum Payload: Equatable, Sendable {
    case registered(Registered)
    case statusChanged(StatusChanged)
    case enrollmentUpdated(Enrollment)
    case datesUpdated(DatesUpdated)
    case interimAnalysis(InterimAnalysis)
    case readout(Readout)
    case presented(Presented)
    case published(Published)
    case regulatorySubmission(RegulatorySubmission)
    case regulatoryDecision(RegulatoryDecision)
    case milestoneExpected(MilestoneExpected)
    case milestoneOverdue(MilestoneOverdue)
    case corrected(Corrected)
    case retracted(Retracted)

    /// - Parameter detail: `.lifecycle` reads results down to their endpoints' names only
    ///   (`PayloadDetail`); the default reads and checks everything.
    public init(type: EventType, json: JSONValue, detail: PayloadDetail = .full) throws(ValidationError) {
        do {
            switch type {
            case .registered: self = .registered(try Registered(json: json))
            case .statusChanged: self = .statusChanged(try StatusChanged(json: json))
            case .enrollmentUpdated: self = .enrollmentUpdated(try Enrollment(json: json))
            case .datesUpdated: self = .datesUpdated(try DatesUpdated(json: json))
            case .interimAnalysis: self = .interimAnalysis(try InterimAnalysis(json: json, detail: detail))
            case .readout: self = .readout(try Readout(json: json, detail: detail))
            case .presented: self = .presented(try Presented(json: json))
            case .published: self = .published(try Published(json: json))
            case .regulatorySubmission: self = .regulatorySubmission(try RegulatorySubmission(json: json))
            case .regulatoryDecision: self = .regulatoryDecision(try RegulatoryDecision(json: json))
            case .milestoneExpected: self = .milestoneExpected(try MilestoneExpected(json: json))
            case .milestoneOverdue: self = .milestoneOverdue(try MilestoneOverdue(json: json))
            case .corrected: self = .corrected(try Corrected(json: json))
            case .retracted: self = .retracted(try Retracted(json: json))
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            throw ValidationError(field: "", reason: "\(error)")
        }
    }

    public var type: EventType {
        switch self {
        case .registered: .registered
        case .statusChanged: .statusChanged
        case .enrollmentUpdated: .enrollmentUpdated
        case .datesUpdated: .datesUpdated
        case .interimAnalysis: .interimAnalysis
        case .readout: .readout
        case .presented: .presented
        case .published: .published
        case .regulatorySubmission: .regulatorySubmission
        case .regulatoryDecision: .regulatoryDecision
        case .milestoneExpected: .milestoneExpected
        case .milestoneOverdue: .milestoneOverdue
        case .corrected: .corrected
        case .retracted: .retracted
        }
    }

    /// The canonical JSON (the form stored, hashed and printed).
    public var json: JSONValue {
        switch self {
        case .registered(let p): p.json
        case .statusChanged(let p): p.json
        case .enrollmentUpdated(let p): p.json
        case .datesUpdated(let p): p.json
        case .interimAnalysis(let p): p.json
        case .readout(let p): p.json
        case .presented(let p): p.json
        case .published(let p): p.json
        case .regulatorySubmission(let p): p.json
        case .regulatoryDecision(let p): p.json
        case .milestoneExpected(let p): p.json
        case .milestoneOverdue(let p): p.json
        case .corrected(let p): p.json
        case .retracted(let p): p.json
        }
    }
}

/// How much of a payload to read.
public enum PayloadDetail: Sendable {
    /// Every field, checked: what a client sends, what a reader shows.
    case full
    /// What the lifecycle fold reads: a result is read down to its endpoint's name (its
    /// values, hazard ratio and p-value are left out). Only for payloads the log holds, which
    /// were read in full and checked when they were appended: replays and rebuilds, where
    /// reading results was a share of the work worth saving (benchmarks/README.md) and the
    /// fold never looks at them.
    case lifecycle
}
