import TrialDomain

/// A request of org.trialtrack.Trials: its method, read strictly from a call's parameters (an
/// unknown, missing or mistyped parameter is InvalidParameter naming it, every integer checked
/// against its range where it is read) and written as a call's parameters.
public protocol TrialsRequest: Sendable {
    static var method: TrialsMethod { get }
    init(parameters: JSONObject) throws(TrialsError)
    var parameters: JSONObject { get }
}

/// A request without parameters (Verify, Rebuild, Stats).
public protocol EmptyTrialsRequest: TrialsRequest { init() }

extension EmptyTrialsRequest {
    public init(parameters: JSONObject) throws(TrialsError) {
        _ = try Parameters(parameters, allowed: [])
        self.init()
    }
    public var parameters: JSONObject { JSONObject() }
}

/// Members that are left out when nil.
private func object(_ members: [(String, JSONValue?)]) -> JSONObject {
    JSONObject(members.compactMap { k, v in v.map { (k, $0) } })
}

private func eventTypes(_ p: Parameters) throws(TrialsError) -> [EventType] {
    var types: [EventType] = []
    for t in try p.strings("types") {
        guard let type = EventType(rawValue: t) else { throw .invalidParameter(parameter: "types") }
        types.append(type)
    }
    return types
}

extension TrialFilter {
    /// The filters' parameters, as Status, Upcoming and Log take them.
    static let parameterNames = ["phases", "statuses", "sponsors", "conditions", "interventions", "followed"]

    /// Values one filter may hold: a bound on the SQL a call makes.
    public static let maximumValues = 100

    /// Reads the filters alone (a client checking them before it calls).
    public init(parameters: JSONObject) throws(TrialsError) {
        try self.init(try Parameters(parameters, allowed: Self.parameterNames))
    }

    /// Reads the filters: an unknown phase or status is InvalidFilter with the valid values;
    /// a name with no letter or digit is InvalidFilter with none.
    init(_ p: Parameters) throws(TrialsError) {
        func values(_ key: String) throws(TrialsError) -> [String] {
            let v = try p.strings(key)
            guard v.count <= Self.maximumValues else { throw .invalidParameter(parameter: key) }
            return v
        }
        self.init()
        for v in try values("phases") {
            guard let term = PhaseTerm(filter: v) else {
                throw .invalidFilter(parameter: "phases", value: v, valid: PhaseTerm.allCases.map(\.rawValue))
            }
            phases.append(term)
        }
        for v in try values("statuses") {
            guard let status = Self.status(v) else {
                throw .invalidFilter(parameter: "statuses", value: v, valid: TrialStatus.allCases.map(\.rawValue))
            }
            statuses.append(status)
        }
        func names(_ key: String) throws(TrialsError) -> [String] {
            let v = try values(key)
            if let empty = v.first(where: { Self.words($0).isEmpty }) {
                throw .invalidFilter(parameter: key, value: empty, valid: [])
            }
            return v
        }
        sponsors = try names("sponsors")
        conditions = try names("conditions")
        interventions = try names("interventions")
        followed = try p.bool("followed") ?? false
    }

    /// Adds the filters to a call's parameters (none for an empty filter).
    public func add(to parameters: inout JSONObject) {
        for case let (k, v?) in members { parameters[k] = v }
    }

    /// The filters as parameters, left out when empty.
    public var members: [(String, JSONValue?)] {
        func list(_ v: [String]) -> JSONValue? { v.isEmpty ? nil : .array(v.map { .string($0) }) }
        return [
            ("phases", list(phases.map(\.rawValue))), ("statuses", list(statuses.map(\.rawValue))),
            ("sponsors", list(sponsors)),
            ("conditions", list(conditions)), ("interventions", list(interventions)),
            ("followed", followed ? .bool(true) : nil),
        ]
    }
}

public struct StatusRequest: TrialsRequest, Equatable {
    public static let method = TrialsMethod.status
    public var trial: String?
    /// World time: a day.
    public var asOf: Day?
    /// Recording time.
    public var knownAt: Timestamp?
    /// Which trials are listed (without `trial`).
    public var filter: TrialFilter

    public init(trial: String? = nil, asOf: Day? = nil, knownAt: Timestamp? = nil, filter: TrialFilter = TrialFilter())
    {
        self.trial = trial
        self.asOf = asOf
        self.knownAt = knownAt
        self.filter = filter
    }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(parameters, allowed: ["trial", "asOf", "knownAt"] + TrialFilter.parameterNames)
        filter = try TrialFilter(p)
        if let a = try p.string("asOf") {
            guard let d = Day(a) else {
                throw .invalidDate(parameter: "asOf", reason: "'\(a)' is not a day; use YYYY-MM-DD")
            }
            asOf = d
        }
        if let k = try p.string("knownAt") {
            do { knownAt = try Timestamp(parsing: k) } catch {
                throw .invalidDate(parameter: "knownAt", reason: error.reason)
            }
        }
        trial = try p.string("trial")
    }

    public var parameters: JSONObject {
        object(
            [
                ("trial", trial.map { .string($0) }), ("asOf", asOf.map { .string($0.description) }),
                ("knownAt", knownAt.map { .string($0.description) }),
            ] + filter.members)
    }
}

public struct LogRequest: TrialsRequest, Equatable {
    public static let method = TrialsMethod.log
    /// The most events one call returns (its `limit` is 1 to this).
    public static let maximumLimit = 10_000
    public var trial: String?
    /// Events after this seq.
    public var since: Int64
    public var types: [EventType]
    public var limit: Int
    /// Only events of the trials it lets through.
    public var filter: TrialFilter

    public init(
        trial: String? = nil, since: Int64 = 0, types: [EventType] = [], limit: Int = 100,
        filter: TrialFilter = TrialFilter()
    ) {
        self.trial = trial
        self.since = since
        self.types = types
        self.limit = limit
        self.filter = filter
    }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(parameters, allowed: ["trial", "since", "types", "limit"] + TrialFilter.parameterNames)
        filter = try TrialFilter(p)
        limit = Int(try p.int("limit", in: 1...Int64(Self.maximumLimit)) ?? 100)
        types = try eventTypes(p)
        since = try p.int("since", in: 0...Int64.max) ?? 0
        trial = try p.string("trial")
    }

    public var parameters: JSONObject {
        object(
            [
                ("trial", trial.map { .string($0) }), ("since", .int(since)),
                ("types", types.isEmpty ? JSONValue?.none : .array(types.map { .string($0.rawValue) })),
                ("limit", .int(Int64(limit))),
            ]
                + filter.members)
    }
}

public struct AppendRequest: TrialsRequest {
    public static let method = TrialsMethod.append
    /// The IDL's NewEvent, validated by the service (the day it is read is today's default).
    public var event: JSONValue

    public init(event: JSONValue) { self.event = event }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(parameters, allowed: ["event"])
        event = try p.requiredObject("event")
    }

    public var parameters: JSONObject { JSONObject([("event", event)]) }
}

public struct AppendManyRequest: TrialsRequest {
    public static let method = TrialsMethod.appendMany
    /// NewEvents, at least one.
    public var events: [JSONValue]

    public init(events: [JSONValue]) { self.events = events }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(parameters, allowed: ["events"])
        events = try p.requiredArray("events")
        guard !events.isEmpty else { throw .invalidParameter(parameter: "events") }
    }

    public var parameters: JSONObject { JSONObject([("events", .array(events))]) }
}

/// Correct and Retract: an amendment of event `seq`, recorded as a `corrected` or `retracted`
/// event.
public struct AmendRequest: Sendable {
    public var seq: Int64
    public var reason: String
    /// Correct's replacement payload; nil for Retract.
    public var payload: JSONValue?
    public var occurred: String?
    public var source: String?
    public var id: String?
    public var expectedVersion: Int64?

    init(parameters: JSONObject, correcting: Bool) throws(TrialsError) {
        let p = try Parameters(
            parameters,
            allowed: correcting
                ? ["seq", "reason", "payload", "occurred", "source", "id", "expectedVersion"]
                : ["seq", "reason", "occurred", "source", "id", "expectedVersion"])
        seq = try p.requiredInt("seq", in: 1...Int64.max)
        reason = try p.requiredString("reason")
        payload = correcting ? .some(try p.requiredObject("payload")) : .none
        occurred = try p.string("occurred")
        source = try p.string("source")
        id = try p.string("id")
        expectedVersion = try p.int("expectedVersion", in: 0...Int64.max)
    }

    /// The event that records it, as a client would submit it (NewEvent).
    public var event: JSONValue {
        var payload = JSONObject([("target", .int(seq)), ("reason", .string(reason))])
        var type = "retracted"
        if case .some(let p) = self.payload {
            payload["payload"] = p
            type = "corrected"
        }
        return .object(
            object([
                ("type", .string(type)), ("payload", .object(payload)),
                ("occurred", occurred.map { .string($0) }), ("source", source.map { .string($0) }),
                ("id", id.map { .string($0) }),
                ("expectedVersion", expectedVersion.map { .int($0) }),
            ]))
    }

    public var parameters: JSONObject {
        object([
            ("seq", .int(seq)), ("reason", .string(reason)), ("payload", payload),
            ("occurred", occurred.map { .string($0) }),
            ("source", source.map { .string($0) }), ("id", id.map { .string($0) }),
            ("expectedVersion", expectedVersion.map { .int($0) }),
        ])
    }
}

public struct CorrectRequest: TrialsRequest {
    public static let method = TrialsMethod.correct
    public var amendment: AmendRequest
    public init(parameters: JSONObject) throws(TrialsError) {
        amendment = try AmendRequest(parameters: parameters, correcting: true)
    }
    public var parameters: JSONObject { amendment.parameters }
}

public struct RetractRequest: TrialsRequest {
    public static let method = TrialsMethod.retract
    public var amendment: AmendRequest
    public init(parameters: JSONObject) throws(TrialsError) {
        amendment = try AmendRequest(parameters: parameters, correcting: false)
    }
    public var parameters: JSONObject { amendment.parameters }
}

public struct ImportRequest: TrialsRequest {
    public static let method = TrialsMethod.importDocument
    /// ClinicalTrials.gov API v2 study JSON.
    public var document: JSONValue
    /// Where it came from, for messages ("<request>" when not given).
    public var file: String?

    public init(document: JSONValue, file: String?) {
        self.document = document
        self.file = file
    }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(parameters, allowed: ["document", "file"])
        document = try p.requiredObject("document")
        file = try p.string("file")
    }

    public var parameters: JSONObject { object([("document", document), ("file", file.map { .string($0) })]) }
}

public struct SubscribeRequest: TrialsRequest, Equatable {
    public static let method = TrialsMethod.subscribe
    /// Events after this seq first; nil: from now on.
    public var since: Int64?
    public var trial: String?
    public var types: [EventType]
    /// Only events of the trials it lets through, as they are when each event is sent.
    public var filter: TrialFilter

    public init(since: Int64? = nil, trial: String? = nil, types: [EventType] = [], filter: TrialFilter = TrialFilter())
    {
        self.since = since
        self.trial = trial
        self.types = types
        self.filter = filter
    }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(parameters, allowed: ["since", "trial", "types"] + TrialFilter.parameterNames)
        filter = try TrialFilter(p)
        types = try eventTypes(p)
        since = try p.int("since", in: 0...Int64.max)
        trial = try p.string("trial")
    }

    public var parameters: JSONObject {
        object(
            [
                ("since", since.map { .int($0) }), ("trial", trial.map { .string($0) }),
                ("types", types.isEmpty ? JSONValue?.none : .array(types.map { .string($0.rawValue) })),
            ] + filter.members)
    }
}

public struct UpcomingRequest: TrialsRequest, Equatable {
    public static let method = TrialsMethod.upcoming
    /// `within`: days ahead, up to a century (a bound, so that today plus it is a day).
    public static let withinDays: ClosedRange<Int64> = 0...36_500
    public var within: Int
    /// Met and superseded milestones too.
    public var all: Bool
    /// Only milestones of the trials it lets through.
    public var filter: TrialFilter

    public init(within: Int = 365, all: Bool = false, filter: TrialFilter = TrialFilter()) {
        self.within = within
        self.all = all
        self.filter = filter
    }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(parameters, allowed: ["within", "all"] + TrialFilter.parameterNames)
        within = try p.int("within", in: Self.withinDays).map(Int.init) ?? 365
        all = try p.bool("all") ?? false
        filter = try TrialFilter(p)
    }

    public var parameters: JSONObject {
        object([("within", .int(Int64(within))), ("all", .bool(all))] + filter.members)
    }
}

public struct VerifyRequest: EmptyTrialsRequest {
    public static let method = TrialsMethod.verify
    public init() {}
}

public struct RebuildRequest: EmptyTrialsRequest {
    public static let method = TrialsMethod.rebuild
    public init() {}
}

public struct StatsRequest: EmptyTrialsRequest {
    public static let method = TrialsMethod.stats
    public init() {}
}
