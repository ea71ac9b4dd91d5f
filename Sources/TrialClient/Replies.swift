import TrialDomain
import TrialProtocol

/// Reply parameters decoded into the domain's types. Members a newer trialsd may add are
/// ignored; a member of the wrong shape is a protocol error naming its path.
public struct TrialReply: Equatable, Sendable {
    public var summary: TrialSummary
    /// Present when one trial was asked for.
    public var timeline: [TimelineEntry]?
    public var expectations: [Expectation]?
    /// Milestones withdrawn, found in the log (Status does not carry them).
    public var retracted: [RetractedEntry] = []

    public init(
        summary: TrialSummary, timeline: [TimelineEntry]? = nil, expectations: [Expectation]? = nil,
        retracted: [RetractedEntry] = []
    ) {
        self.summary = summary
        self.timeline = timeline
        self.expectations = expectations
        self.retracted = retracted
    }

    public init(json: JSONValue, path: String = "trial") throws(TrialctlError) {
        guard case .object(let o) = json else { throw Reply.unexpected(path, "expected an object") }
        summary = try Reply.decode(path) { try TrialSummary(json: .object(o.only(TrialsTypes.trialSummary))) }
        timeline = try Self.list(o, "timeline", path: path, keys: TrialsTypes.timelineEntry) {
            try TimelineEntry(json: $0)
        }
        expectations = try Self.list(o, "expectations", path: path, keys: TrialsTypes.expectation) {
            try Expectation(json: $0)
        }
    }

    /// The objects of array `key`, each cut to `keys` and decoded by `make`; nil when there is
    /// no such array.
    static func list<T>(
        _ o: JSONObject, _ key: String, path: String, keys: Set<String>, _ make: (JSONValue) throws -> T
    ) throws(TrialctlError) -> [T]? {
        guard case .array(let items)? = o[key] else { return nil }
        var out: [T] = []
        for (i, item) in items.enumerated() {
            let p = "\(path).\(key)[\(i)]"
            guard case .object(let e) = item else { throw Reply.unexpected(p, "expected an object") }
            out.append(try Reply.decode(p) { try make(.object(e.only(keys))) })
        }
        return out
    }

    /// The acronym, else the key.
    public var name: String { summary.displayName }

    /// The NCT number when known, else the key.
    public var primaryID: String {
        summary.registration?.identifiers.first { $0.registry == .nct }?.id ?? summary.key
    }
}

/// An event of the log as a reply carries it (the IDL's `Event`).
public struct EventReply: Equatable, Sendable {
    public var seq: Int64
    public var trial: String
    public var version: Int64
    public var type: String
    public var occurred: String
    public var recorded: String
    public var recordedBy: String
    public var source: String?
    public var payload: JSONValue
    /// The event as trialsd sent it (what --json prints).
    public var json: JSONValue

    public init(json: JSONValue, path: String = "event") throws(TrialctlError) {
        guard case .object(let o) = json else { throw Reply.unexpected(path, "expected an object") }
        self.json = json
        func string(_ k: String) throws(TrialctlError) -> String {
            guard case .string(let s)? = o[k] else { throw Reply.unexpected("\(path).\(k)", "expected a string") }
            return s
        }
        func int(_ k: String) throws(TrialctlError) -> Int64 {
            guard let i = o[k]?.int64Value else { throw Reply.unexpected("\(path).\(k)", "expected an integer") }
            return i
        }
        seq = try int("seq")
        trial = try string("trial")
        version = try int("version")
        type = try string("type")
        occurred = try string("occurred")
        recorded = try string("recorded")
        recordedBy = (try? string("recordedBy")) ?? ""
        source = o["source"]?.stringValue
        payload = o["payload"] ?? .object(JSONObject())
    }

    /// The payload, validated, when it is one of this vocabulary.
    public var typedPayload: Payload? {
        guard let t = EventType(rawValue: type) else { return nil }
        return try? Payload(type: t, json: payload)
    }

    /// One line for a person (`OS, primary endpoint met (ASCO 2026)`).
    public var text: String { text(typedPayload) }

    /// `text`, given `typedPayload` already worked out.
    func text(_ typed: Payload?) -> String { typed.map(EventText.describe) ?? payload.canonicalText }
}

/// An expected milestone on the calendar (the IDL's `Upcoming`).
public struct UpcomingReply: Equatable, Sendable {
    public var trial: String
    public var name: String
    public var seq: Int64
    public var milestone: String
    public var window: String
    public var state: ExpectationState
    public var madeOn: String
    public var source: String?

    public init(json: JSONValue, path: String) throws(TrialctlError) {
        guard case .object(let o) = json else { throw Reply.unexpected(path, "expected an object") }
        func string(_ k: String) throws(TrialctlError) -> String {
            guard case .string(let s)? = o[k] else { throw Reply.unexpected("\(path).\(k)", "expected a string") }
            return s
        }
        trial = try string("trial")
        name = (try? string("name")) ?? trial
        guard let s = o["seq"]?.int64Value else { throw Reply.unexpected("\(path).seq", "expected an integer") }
        seq = s
        milestone = try string("milestone")
        window = try string("window")
        guard let st = ExpectationState(rawValue: try string("state")) else {
            throw Reply.unexpected(
                "\(path).state", "expected one of \(ExpectationState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        state = st
        madeOn = (try? string("madeOn")) ?? ""
        source = o["source"]?.stringValue
    }
}

enum Reply {
    static func unexpected(_ path: String, _ reason: String) -> TrialctlError {
        .failure("protocol error: unexpected reply from trialsd: \(path): \(reason)")
    }

    static func decode<T>(_ path: String, _ body: () throws -> T) throws(TrialctlError) -> T {
        do { return try body() } catch let e as TrialDomain.ValidationError {
            throw unexpected(e.field.isEmpty ? path : "\(path).\(e.field)", e.reason)
        } catch {
            throw unexpected(path, "\(error)")
        }
    }

    /// A reply read as the contract's type for it; a member of the wrong shape is a protocol
    /// error naming it.
    static func read<R: TrialsResponse>(_ type: R.Type, _ reply: JSONObject) throws(TrialctlError) -> R {
        do { return try R(parameters: reply) } catch { throw unexpected(error.field, error.reason) }
    }

    static func array(_ reply: JSONObject, _ key: String) throws(TrialctlError) -> [JSONValue] {
        guard case .array(let a)? = reply[key] else { throw unexpected(key, "expected an array") }
        return a
    }

    /// Status's trials.
    static func trials(_ reply: JSONObject) throws(TrialctlError) -> [TrialReply] {
        var out: [TrialReply] = []
        for (i, t) in try read(StatusResponse.self, reply).trials.enumerated() {
            out.append(try TrialReply(json: t, path: "trials[\(i)]"))
        }
        return out
    }

    /// Log's events (AppendMany's too: the same member).
    static func events(_ reply: JSONObject) throws(TrialctlError) -> [EventReply] {
        try events(read(LogResponse.self, reply).events)
    }

    static func events(_ list: [JSONValue], key: String = "events") throws(TrialctlError) -> [EventReply] {
        var out: [EventReply] = []
        for (i, e) in list.enumerated() { out.append(try EventReply(json: e, path: "\(key)[\(i)]")) }
        return out
    }
}

extension JSONObject {
    /// The members whose keys are in `keys`.
    func only(_ keys: Set<String>) -> JSONObject {
        JSONObject(members.filter { keys.contains($0.key) }.map { ($0.key, $0.value) })
    }
}
