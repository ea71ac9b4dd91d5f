// Payloads of what a registry says: the registration, status, enrollment and dates.

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
            do { return try TrialIdentifier(registry: registry, id: id) } catch let e as ValidationError {
                throw e.under("id")
            }
        }
        var seen = Set<String>()
        for (i, id) in identifiers.enumerated() where !seen.insert(id.lookupKey).inserted {
            throw ValidationError(field: "identifiers[\(i)]", reason: "'\(id.id)' is listed twice")
        }
        sponsor = try r.optionalString("sponsor")
        collaborators = try r.strings("collaborators")
        phases = try r.array("phases") { v in
            guard case .string(let s) = v else {
                throw ValidationError(field: "", reason: "expected a string, got \(v.kindName)")
            }
            return try parseEnumeration(s, Phase.self)
        }
        conditions = try r.strings("conditions")
        arms = try r.array("arms") { v in
            var f = try FieldReader(v)
            let arm = Arm(
                label: try f.string("label"), type: try f.optionalEnumeration("type", ArmType.self),
                interventions: try f.strings("interventions"))
            try f.finish()
            return arm
        }
        primaryEndpoints = try r.strings("primaryEndpoints")
        enrollment = try r.object("enrollment") { try Enrollment(json: $0) }
        design = try r.object("design") { v in
            var f = try FieldReader(v)
            let d = Design(
                allocation: try f.optionalEnumeration("allocation", Allocation.self),
                masking: try f.optionalEnumeration("masking", Masking.self))
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
            throw ValidationError(
                field: "lastKnownStatus", reason: "only an 'unknown' status keeps a last known status")
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
