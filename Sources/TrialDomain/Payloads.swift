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

/// `registered`: what the registry (or the first source) says the trial is.
public struct Registered: Equatable, Sendable {
    public struct Arm: Equatable, Sendable {
        public var label: String
        public var type: ArmType?
        public var interventions: [String]

        public init(label: String, type: ArmType? = nil, interventions: [String] = []) {
            self.label = label
            self.type = type
            self.interventions = interventions
        }
    }
    public struct Design: Equatable, Sendable {
        public var allocation: Allocation?
        public var masking: Masking?

        public init(allocation: Allocation? = nil, masking: Masking? = nil) {
            self.allocation = allocation
            self.masking = masking
        }
    }

    public var title: String
    public var acronym: String?
    public var identifiers: [TrialIdentifier]
    public var sponsor: String?
    public var collaborators: [String]
    public var phases: [Phase]
    public var conditions: [String]
    public var arms: [Arm]
    public var primaryEndpoints: [String]
    public var enrollment: Enrollment?
    public var design: Design?

    public init(
        title: String, acronym: String? = nil, identifiers: [TrialIdentifier] = [], sponsor: String? = nil,
        collaborators: [String] = [], phases: [Phase] = [], conditions: [String] = [], arms: [Arm] = [],
        primaryEndpoints: [String] = [], enrollment: Enrollment? = nil, design: Design? = nil
    ) {
        self.title = title
        self.acronym = acronym
        self.identifiers = identifiers
        self.sponsor = sponsor
        self.collaborators = collaborators
        self.phases = phases
        self.conditions = conditions
        self.arms = arms
        self.primaryEndpoints = primaryEndpoints
        self.enrollment = enrollment
        self.design = design
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        title = try r.string("title")
        acronym = try r.optionalString("acronym", maxLength: 100)
        identifiers = try r.array("identifiers") { v in
            var f = try FieldReader(v)
            let registry = try f.enumeration("registry", Registry.self)
            let id = try f.string("id")
            try f.finish()
            do { return try TrialIdentifier(registry: registry, id: id) } catch let e as ValidationError { throw e.under("id") }
        }
        var seen = Set<String>()
        for (i, id) in identifiers.enumerated() where !seen.insert(id.lookupKey).inserted {
            throw ValidationError(field: "identifiers[\(i)]", reason: "'\(id.id)' is listed twice")
        }
        sponsor = try r.optionalString("sponsor")
        collaborators = try r.strings("collaborators")
        phases = try r.array("phases") { v in
            guard case .string(let s) = v else { throw ValidationError(field: "", reason: "expected a string, got \(v.kindName)") }
            return try parseEnumeration(s, Phase.self)
        }
        conditions = try r.strings("conditions")
        arms = try r.array("arms") { v in
            var f = try FieldReader(v)
            let arm = Arm(label: try f.string("label"), type: try f.optionalEnumeration("type", ArmType.self), interventions: try f.strings("interventions"))
            try f.finish()
            return arm
        }
        primaryEndpoints = try r.strings("primaryEndpoints")
        enrollment = try r.object("enrollment") { try Enrollment(json: $0) }
        design = try r.object("design") { v in
            var f = try FieldReader(v)
            let d = Design(allocation: try f.optionalEnumeration("allocation", Allocation.self), masking: try f.optionalEnumeration("masking", Masking.self))
            try f.finish()
            return d
        }
        try r.finish()
    }
}

// A registration lists its members once, for the tree (`json`) and for the bytes of the
// `registrations` row and of every reply that carries a trial (`write(to:)`).

extension Registered: JSONWritable {
    public func write(to w: inout JSONWriter) { writeObject(to: &w) }  // see JSONWritable.write

    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("acronym", acronym)
        s.member("arms", objects: arms)
        s.member("collaborators", strings: collaborators)
        s.member("conditions", strings: conditions)
        s.member("design", design)
        s.member("enrollment", enrollment)
        s.member("identifiers", objects: identifiers)
        s.member("phases", strings: phases.map(\.rawValue))
        s.member("primaryEndpoints", strings: primaryEndpoints)
        s.member("sponsor", sponsor)
        s.member("title", title)
    }
}

extension Registered.Arm: JSONWritable {
    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("interventions", strings: interventions)
        s.member("label", label)
        s.member("type", type)
    }
}

extension Registered.Design: JSONWritable {
    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("allocation", allocation)
        s.member("masking", masking)
    }
}

extension TrialIdentifier: JSONWritable {
    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("id", id)
        s.member("registry", registry)
    }
}

/// `status-changed`: the overall status, in ClinicalTrials.gov's vocabulary.
public struct StatusChanged: Equatable, Sendable {
    public var status: TrialStatus
    public var whyStopped: String?
    /// For `unknown`: the sponsor's last submitted status.
    public var lastKnownStatus: TrialStatus?

    public init(status: TrialStatus, whyStopped: String? = nil, lastKnownStatus: TrialStatus? = nil) {
        self.status = status
        self.whyStopped = whyStopped
        self.lastKnownStatus = lastKnownStatus
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        status = try r.enumeration("status", TrialStatus.self)
        whyStopped = try r.optionalString("whyStopped")
        lastKnownStatus = try r.optionalEnumeration("lastKnownStatus", TrialStatus.self)
        try r.finish()
        if lastKnownStatus != nil, status != .unknown {
            throw ValidationError(field: "lastKnownStatus", reason: "only an 'unknown' status keeps a last known status")
        }
        if lastKnownStatus == .unknown {
            throw ValidationError(field: "lastKnownStatus", reason: "the last known status cannot itself be 'unknown'")
        }
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("status", status)
        b.set("whyStopped", whyStopped)
        b.set("lastKnownStatus", lastKnownStatus)
        return b.value
    }
}

/// `enrollment-updated` (and `registered.enrollment`): participants, estimated or actual.
public struct Enrollment: Equatable, Sendable {
    public var count: Int64
    public var type: EstimateType

    public init(count: Int64, type: EstimateType) {
        self.count = count
        self.type = type
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        count = try r.int("count", range: 0...100_000_000)
        type = try r.enumeration("type", EstimateType.self)
        try r.finish()
    }
}

/// A registry date: a partial date, estimated or actual (the type is sometimes not given).
public struct StudyDate: Equatable, Sendable {
    public var date: PartialDate
    public var type: EstimateType?

    public init(date: PartialDate, type: EstimateType?) {
        self.date = date
        self.type = type
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        date = try r.partialDate("date")
        type = try r.optionalEnumeration("type", EstimateType.self)
        try r.finish()
    }
}

/// `dates-updated`: study start, primary completion, completion.
public struct DatesUpdated: Equatable, Sendable {
    public var start: StudyDate?
    public var primaryCompletion: StudyDate?
    public var completion: StudyDate?

    public init(start: StudyDate? = nil, primaryCompletion: StudyDate? = nil, completion: StudyDate? = nil) {
        self.start = start
        self.primaryCompletion = primaryCompletion
        self.completion = completion
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        start = try r.object("start") { try StudyDate(json: $0) }
        primaryCompletion = try r.object("primaryCompletion") { try StudyDate(json: $0) }
        completion = try r.object("completion") { try StudyDate(json: $0) }
        try r.finish()
        if start == nil, primaryCompletion == nil, completion == nil {
            throw ValidationError(field: "", reason: "give at least one of start, primaryCompletion, completion")
        }
    }
}

/// `interim-analysis`: which analysis, the endpoints assessed, the outcome and results.
public struct InterimAnalysis: Equatable, Sendable {
    public var analysis: String?
    public var endpoints: [String]
    public var outcome: InterimOutcome
    public var results: [EndpointResult]
    /// Where it was made public (`ASCO 2026`), if said.
    public var venue: String?

    public init(analysis: String? = nil, endpoints: [String] = [], outcome: InterimOutcome, results: [EndpointResult] = [], venue: String? = nil) {
        self.analysis = analysis
        self.endpoints = endpoints
        self.outcome = outcome
        self.results = results
        self.venue = venue
    }

    public init(json: JSONValue, detail: PayloadDetail = .full) throws {
        var r = try FieldReader(json)
        analysis = try r.optionalString("analysis")
        endpoints = try r.strings("endpoints")
        outcome = try r.enumeration("outcome", InterimOutcome.self)
        results = try r.array("results") { try EndpointResult(json: $0, detail: detail) }
        venue = try r.optionalString("venue")
        try r.finish()
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("analysis", analysis)
        b.set("endpoints", strings: endpoints)
        b.set("outcome", outcome)
        b.set("results", array: results.map(\.json))
        b.set("venue", venue)
        return b.value
    }
}

/// `readout`: top-line, primary, final or updated results.
public struct Readout: Equatable, Sendable {
    public var kind: ReadoutKind
    public var outcome: ReadoutOutcome
    public var endpoints: [String]
    public var results: [EndpointResult]
    public var venue: String?

    public init(kind: ReadoutKind, outcome: ReadoutOutcome, endpoints: [String] = [], results: [EndpointResult] = [], venue: String? = nil) {
        self.kind = kind
        self.outcome = outcome
        self.endpoints = endpoints
        self.results = results
        self.venue = venue
    }

    public init(json: JSONValue, detail: PayloadDetail = .full) throws {
        var r = try FieldReader(json)
        kind = try r.enumeration("kind", ReadoutKind.self)
        outcome = try r.enumeration("outcome", ReadoutOutcome.self)
        endpoints = try r.strings("endpoints")
        results = try r.array("results") { try EndpointResult(json: $0, detail: detail) }
        venue = try r.optionalString("venue")
        try r.finish()
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("kind", kind)
        b.set("outcome", outcome)
        b.set("endpoints", strings: endpoints)
        b.set("results", array: results.map(\.json))
        b.set("venue", venue)
        return b.value
    }
}

/// `presented`: a conference presentation.
public struct Presented: Equatable, Sendable {
    public var venue: String
    public var abstract: String?

    public init(venue: String, abstract: String? = nil) {
        self.venue = venue
        self.abstract = abstract
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        venue = try r.string("venue")
        abstract = try r.optionalString("abstract")
        try r.finish()
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("venue", venue)
        b.set("abstract", abstract)
        return b.value
    }
}

/// `published`: a journal citation and DOI.
public struct Published: Equatable, Sendable {
    public var citation: String
    public var doi: String?

    public init(citation: String, doi: String? = nil) {
        self.citation = citation
        self.doi = doi
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        citation = try r.string("citation")
        var d = try r.optionalString("doi")
        try r.finish()
        if let raw = d {
            let lower = raw.lowercased()
            for prefix in ["https://doi.org/", "http://doi.org/", "doi:"] where lower.hasPrefix(prefix) {
                d = String(raw.dropFirst(prefix.count))
            }
            let s = d!
            let parts = s.split(separator: "/", maxSplits: 1)
            guard parts.count == 2, parts[0].hasPrefix("10."), parts[0].count >= 7,
                parts[0].dropFirst(3).allSatisfy({ $0.isNumber || $0 == "." }), !parts[1].isEmpty,
                !s.contains(where: { $0.isWhitespace })
            else {
                throw ValidationError(field: "doi", reason: "'\(raw)' is not a DOI; the form is 10.NNNN/suffix, e.g. 10.1016/S0140-6736(24)02722-3")
            }
        }
        doi = d
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("citation", citation)
        b.set("doi", doi)
        return b.value
    }
}

/// `regulatory-submission`: agency, application, indication, state, target action date.
public struct RegulatorySubmission: Equatable, Sendable {
    public var agency: String
    public var application: String?
    public var indication: String?
    public var state: SubmissionState
    public var targetActionDate: PartialDate?

    public init(agency: String, application: String? = nil, indication: String? = nil, state: SubmissionState, targetActionDate: PartialDate? = nil) {
        self.agency = agency
        self.application = application
        self.indication = indication
        self.state = state
        self.targetActionDate = targetActionDate
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        agency = try r.string("agency")
        application = try r.optionalString("application")
        indication = try r.optionalString("indication")
        state = try r.enumeration("state", SubmissionState.self)
        targetActionDate = try r.optionalPartialDate("targetActionDate")
        try r.finish()
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("agency", agency)
        b.set("application", application)
        b.set("indication", indication)
        b.set("state", state)
        b.set("targetActionDate", targetActionDate)
        return b.value
    }
}

/// `regulatory-decision`: agency, decision, indication.
public struct RegulatoryDecision: Equatable, Sendable {
    public var agency: String
    public var decision: Decision
    public var indication: String?

    public init(agency: String, decision: Decision, indication: String? = nil) {
        self.agency = agency
        self.decision = decision
        self.indication = indication
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        agency = try r.string("agency")
        decision = try r.enumeration("decision", Decision.self)
        indication = try r.optionalString("indication")
        try r.finish()
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("agency", agency)
        b.set("decision", decision)
        b.set("indication", indication)
        return b.value
    }
}

/// What a forecast expects: an event type and an optional qualifier (`readout:OS`).
public struct MilestoneSpec: Hashable, Sendable, CustomStringConvertible {
    public var type: EventType
    public var qualifier: String?

    public init(type: EventType, qualifier: String? = nil) {
        self.type = type
        self.qualifier = qualifier
    }

    public init(parsing s: String) throws(ValidationError) {
        // Split at the first colon by hand: `split` and a String per part were a visible
        // cost of every forecast in a replay (benchmarks/README.md).
        let colon = s.utf8.firstIndex(of: UInt8(ascii: ":"))
        let name = String(s[..<(colon ?? s.endIndex)]).trimmingSpaces
        let rest = colon.map { String(s[s.utf8.index(after: $0)...]).trimmingSpaces }
        guard let t = EventType.named(name), t.canBeExpected else {
            let allowed = EventType.allCases.filter(\.canBeExpected).map(\.rawValue).joined(separator: ", ")
            throw ValidationError(field: "", reason: "'\(s)' is not a milestone; use one of \(allowed), optionally with ':qualifier' (readout:OS)")
        }
        type = t
        qualifier = rest?.isEmpty == false ? rest : nil
    }

    public var description: String { qualifier.map { "\(type.rawValue):\($0)" } ?? type.rawValue }
}

/// `milestone-expected`: a forecast of a milestone within a window.
public struct MilestoneExpected: Equatable, Sendable {
    public var milestone: MilestoneSpec
    public var window: PartialDate

    public init(milestone: MilestoneSpec, window: PartialDate) {
        self.milestone = milestone
        self.window = window
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        let m = try r.string("milestone")
        do { milestone = try MilestoneSpec(parsing: m) } catch { throw error.under("milestone") }
        window = try r.partialDate("window")
        try r.finish()
    }

    public var json: JSONValue { ["milestone": .string(milestone.description), "window": .string(window.description)] }
}

/// `milestone-overdue`: written by the daemon when an expected milestone's window passed.
public struct MilestoneOverdue: Equatable, Sendable {
    /// The seq of the `milestone-expected` event.
    public var expected: Int64

    public init(expected: Int64) { self.expected = expected }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        expected = try r.int("expected", range: 1...Int64.max)
        try r.finish()
    }

    public var json: JSONValue { ["expected": .int(expected)] }
}

/// `corrected`: replaces the payload of an earlier event, saying why.
public struct Corrected: Equatable, Sendable {
    public var target: Int64
    public var reason: String
    /// The replacement payload, validated against the target's type by the store.
    public var payload: JSONValue

    public init(target: Int64, reason: String, payload: JSONValue) {
        self.target = target
        self.reason = reason
        self.payload = payload
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        target = try r.int("target", range: 1...Int64.max)
        reason = try r.string("reason")
        guard let p = r.value("payload") else { throw ValidationError(field: "payload", reason: "missing (required)") }
        guard case .object = p else { throw ValidationError(field: "payload", reason: "expected an object, got \(p.kindName)") }
        payload = p
        try r.finish()
    }

    public var json: JSONValue { ["target": .int(target), "reason": .string(reason), "payload": payload] }
}

/// `retracted`: withdraws an earlier event, saying why. The original stays readable.
public struct Retracted: Equatable, Sendable {
    public var target: Int64
    public var reason: String

    public init(target: Int64, reason: String) {
        self.target = target
        self.reason = reason
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        target = try r.int("target", range: 1...Int64.max)
        reason = try r.string("reason")
        try r.finish()
    }

    public var json: JSONValue { ["target": .int(target), "reason": .string(reason)] }
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
