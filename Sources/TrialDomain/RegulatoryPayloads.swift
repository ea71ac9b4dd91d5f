// Payloads of regulators: submissions and decisions.

/// `regulatory-submission`: agency, application, indication, state, target action date.
public struct RegulatorySubmission: Equatable, Sendable {
    public var agency: String
    public var application: String?
    public var indication: String?
    public var state: SubmissionState
    public var targetActionDate: PartialDate?

    public init(
        agency: String, application: String? = nil, indication: String? = nil, state: SubmissionState,
        targetActionDate: PartialDate? = nil
    ) {
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
