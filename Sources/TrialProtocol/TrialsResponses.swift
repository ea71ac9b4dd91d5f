import TrialDomain

/// A reply of org.trialtrack.Trials: written by trialsd as the reply's parameters, in the
/// IDL's order, and read by trialctl. The IDL's `Trial`, `Event` and `Upcoming` objects stay
/// JSON here (trialsd writes them from its views; trialctl reads them into its own types).
/// Reading is lenient about members a newer trialsd may add; a member of the wrong shape is a
/// ValidationError naming it.
public protocol TrialsResponse: Sendable {
    init(parameters: JSONObject) throws(ValidationError)
    var parameters: JSONObject { get }
}

/// A reply's members, read by a lenient `FieldReader` (members a newer trialsd adds are
/// ignored), with the messages trialctl has always shown for a reply of the wrong shape.
extension FieldReader {
    /// A reply's reader: lenient, whatever it is not asked for is ignored.
    static func reply(_ parameters: JSONObject) -> FieldReader { FieldReader(object: parameters, .lenient) }

    /// The member as sent (`null` included); missing is an error.
    func replyMember(_ key: String) throws(ValidationError) -> JSONValue {
        guard let v = object[key] else { throw ValidationError(field: key, reason: "missing") }
        return v
    }

    func replyArray(_ key: String) throws(ValidationError) -> [JSONValue] {
        guard case .array(let a)? = peek(key) else { throw ValidationError(field: key, reason: "expected an array") }
        return a
    }

    func replyObject(_ key: String) throws(ValidationError) -> JSONValue {
        guard let v = peek(key), case .object = v else {
            throw ValidationError(field: key, reason: "expected an object")
        }
        return v
    }
}

/// Status (each reply of a Status with `more`, too).
public struct StatusResponse: TrialsResponse, Equatable {
    public var trials: [JSONValue]
    public init(trials: [JSONValue]) { self.trials = trials }
    public init(parameters: JSONObject) throws(ValidationError) {
        trials = try FieldReader.reply(parameters).replyArray("trials")
    }
    public var parameters: JSONObject { JSONObject([("trials", .array(trials))]) }
}

public struct LogResponse: TrialsResponse, Equatable {
    public var events: [JSONValue]
    /// Set when more may follow: the next call's `since`.
    public var next: Int64?
    public init(events: [JSONValue], next: Int64?) {
        self.events = events
        self.next = next
    }
    public init(parameters: JSONObject) throws(ValidationError) {
        events = try FieldReader.reply(parameters).replyArray("events")
        next = parameters["next"]?.int64Value
    }
    public var parameters: JSONObject {
        var o = JSONObject([("events", .array(events))])
        if let next { o["next"] = .int(next) }
        return o
    }
}

/// Append's reply. trialsd writes it straight to bytes in this order (the payload's stored
/// text copied, not serialised again); `parameters` is the same reply as an object.
public struct AppendResponse: TrialsResponse, Equatable {
    public var event: JSONValue
    /// Nil from an older trialsd.
    public var replayed: Bool?
    public var trial: JSONValue?
    public init(event: JSONValue, replayed: Bool, trial: JSONValue) {
        self.event = event
        self.replayed = replayed
        self.trial = trial
    }
    public init(parameters: JSONObject) throws(ValidationError) {
        event = try FieldReader.reply(parameters).replyObject("event")
        if case .bool(let b)? = parameters["replayed"] { replayed = b }
        trial = parameters["trial"]
    }
    public var parameters: JSONObject {
        var o = JSONObject([("event", event)])
        if let replayed { o["replayed"] = .bool(replayed) }
        if let trial { o["trial"] = trial }
        return o
    }
}

public struct AppendManyResponse: TrialsResponse, Equatable {
    public var events: [JSONValue]
    /// Per event; nil from an older trialsd.
    public var replayed: [Bool]?
    public init(events: [JSONValue], replayed: [Bool]) {
        self.events = events
        self.replayed = replayed
    }
    public init(parameters: JSONObject) throws(ValidationError) {
        events = try FieldReader.reply(parameters).replyArray("events")
        replayed = parameters["replayed"]?.arrayValue?.map { $0 == .bool(true) }
    }
    public var parameters: JSONObject {
        var o = JSONObject([("events", .array(events))])
        if let replayed { o["replayed"] = .array(replayed.map { .bool($0) }) }
        return o
    }
}

/// Correct's and Retract's reply: the event that recorded the amendment.
public struct AmendResponse: TrialsResponse, Equatable {
    public var event: JSONValue
    /// Nil from an older trialsd.
    public var replayed: Bool?
    public init(event: JSONValue, replayed: Bool) {
        self.event = event
        self.replayed = replayed
    }
    public init(parameters: JSONObject) throws(ValidationError) {
        event = try FieldReader.reply(parameters).replyObject("event")
        if case .bool(let b)? = parameters["replayed"] { replayed = b }
    }
    public var parameters: JSONObject {
        var o = JSONObject([("event", event)])
        if let replayed { o["replayed"] = .bool(replayed) }
        return o
    }
}

public typealias CorrectResponse = AmendResponse
public typealias RetractResponse = AmendResponse

public struct ImportResponse: TrialsResponse, Equatable {
    /// What an import did to one trial (the IDL's ImportedTrial).
    public struct Trial: Equatable, Sendable {
        public var trial: String
        public var events: [JSONValue]
        /// Per event: critical, notable or minor.
        public var severities: [String]
        public init(trial: String, events: [JSONValue], severities: [String]) {
            self.trial = trial
            self.events = events
            self.severities = severities
        }
        public var json: JSONValue {
            .object(
                JSONObject([
                    ("trial", .string(trial)), ("events", .array(events)),
                    ("severities", .array(severities.map { .string($0) })),
                ]))
        }
    }
    public var trials: [Trial]
    public init(trials: [Trial]) { self.trials = trials }
    public init(parameters: JSONObject) throws(ValidationError) {
        var out: [Trial] = []
        for (i, t) in try FieldReader.reply(parameters).replyArray("trials").enumerated() {
            guard case .object(let o) = t, case .string(let name)? = o["trial"] else {
                throw ValidationError(field: "trials[\(i)]", reason: "expected an object with a trial")
            }
            out.append(
                Trial(
                    trial: name, events: o["events"]?.arrayValue ?? [],
                    severities: (o["severities"]?.arrayValue ?? []).map { $0.stringValue ?? "" }))
        }
        trials = out
    }
    public var parameters: JSONObject { JSONObject([("trials", .array(trials.map(\.json)))]) }
}

/// One reply of a subscription: one event.
public struct SubscribeResponse: TrialsResponse, Equatable {
    public var event: JSONValue
    public init(event: JSONValue) { self.event = event }
    public init(parameters: JSONObject) throws(ValidationError) {
        event = try FieldReader.reply(parameters).replyMember("event")
    }
    public var parameters: JSONObject { JSONObject([("event", event)]) }
}

public struct UpcomingResponse: TrialsResponse, Equatable {
    public var milestones: [JSONValue]
    public init(milestones: [JSONValue]) { self.milestones = milestones }
    public init(parameters: JSONObject) throws(ValidationError) {
        milestones = try FieldReader.reply(parameters).replyArray("milestones")
    }
    public var parameters: JSONObject { JSONObject([("milestones", .array(milestones))]) }
}

public struct VerifyResponse: TrialsResponse, Equatable {
    public var ok: Bool
    public var checked: Int64
    public var lastSeq: Int64
    public var headHash: String
    public var firstBroken: Int64?
    public var problem: String?
    public init(ok: Bool, checked: Int64, lastSeq: Int64, headHash: String, firstBroken: Int64?, problem: String?) {
        self.ok = ok
        self.checked = checked
        self.lastSeq = lastSeq
        self.headHash = headHash
        self.firstBroken = firstBroken
        self.problem = problem
    }
    /// Leniently: what is missing reads as a chain not known to be whole.
    public init(parameters r: JSONObject) {
        ok = r["ok"] == .bool(true)
        checked = r["checked"]?.int64Value ?? 0
        lastSeq = r["lastSeq"]?.int64Value ?? 0
        headHash = r["headHash"]?.stringValue ?? ""
        firstBroken = r["firstBroken"]?.int64Value
        problem = r["problem"]?.stringValue
    }
    public var parameters: JSONObject {
        var o = JSONObject([
            ("ok", .bool(ok)), ("checked", .int(checked)), ("lastSeq", .int(lastSeq)), ("headHash", .string(headHash)),
        ])
        if let firstBroken { o["firstBroken"] = .int(firstBroken) }
        if let problem { o["problem"] = .string(problem) }
        return o
    }
}

public struct RebuildResponse: TrialsResponse, Equatable {
    public var trials: Int
    public var events: Int64
    public var seconds: Double
    public init(trials: Int, events: Int64, seconds: Double) {
        self.trials = trials
        self.events = events
        self.seconds = seconds
    }
    /// Leniently: what is missing reads as 0.
    public init(parameters r: JSONObject) {
        trials = Int(r["trials"]?.int64Value ?? 0)
        events = r["events"]?.int64Value ?? 0
        seconds = r["seconds"]?.doubleValue ?? 0
    }
    public var parameters: JSONObject {
        JSONObject([("trials", .int(Int64(trials))), ("events", .int(events)), ("seconds", .double(seconds))])
    }
}

/// Stats' reply. trialctl prints it as it comes (`stats` shows the JSON's members), so it is
/// only written here.
public struct StatsResponse: Sendable, Equatable {
    public struct Checkpoints: Sendable, Equatable {
        public var runs: Int, failures: Int
        public var lastAt: String?
        public var logPages: Int, copiedPages: Int
        public var lastFailure: String?
        public init(runs: Int, failures: Int, lastAt: String?, logPages: Int, copiedPages: Int, lastFailure: String?) {
            (self.runs, self.failures, self.lastAt, self.logPages, self.copiedPages, self.lastFailure) =
                (runs, failures, lastAt, logPages, copiedPages, lastFailure)
        }
        var json: JSONValue {
            .object(
                JSONObject([
                    ("runs", .int(Int64(runs))), ("failures", .int(Int64(failures))),
                    ("lastAt", lastAt.map { .string($0) } ?? .null),
                    ("logPages", .int(Int64(logPages))), ("copiedPages", .int(Int64(copiedPages))),
                    ("lastFailure", lastFailure.map { .string($0) } ?? .null),
                ]))
        }
    }
    public var events: Int64, trials: Int64, lastSeq: Int64
    public var lastRecorded: String?
    public var eventsByType: [(String, Int64)]
    public var expectationsByState: [(String, Int64)]
    public var databaseBytes: Int64, walBytes: Int64
    public var schema: [String]
    public var database: String
    public var connections: Int, subscribers: Int
    public var uptimeSeconds: Double
    public var checkpoints: Checkpoints?
    /// What is followed on the registry: how many, how many never synced, and the oldest last
    /// successful sync among them (how stale the least fresh follow is).
    public var follows: Int64 = 0
    public var followsNeverSynced: Int64 = 0
    public var oldestFollowSuccess: String?

    public init(
        events: Int64, trials: Int64, lastSeq: Int64, lastRecorded: String?, eventsByType: [(String, Int64)],
        expectationsByState: [(String, Int64)], databaseBytes: Int64, walBytes: Int64, schema: [String],
        database: String,
        connections: Int, subscribers: Int, uptimeSeconds: Double, checkpoints: Checkpoints?
    ) {
        (self.events, self.trials, self.lastSeq, self.lastRecorded) = (events, trials, lastSeq, lastRecorded)
        (self.eventsByType, self.expectationsByState) = (eventsByType, expectationsByState)
        (self.databaseBytes, self.walBytes, self.schema, self.database) = (databaseBytes, walBytes, schema, database)
        (self.connections, self.subscribers, self.uptimeSeconds, self.checkpoints) = (
            connections, subscribers, uptimeSeconds, checkpoints
        )
    }

    public static func == (a: StatsResponse, b: StatsResponse) -> Bool { a.parameters == b.parameters }

    public var parameters: JSONObject {
        JSONObject([
            ("events", .int(events)), ("trials", .int(trials)), ("lastSeq", .int(lastSeq)),
            ("lastRecorded", lastRecorded.map { .string($0) } ?? .null),
            ("eventsByType", .object(JSONObject(eventsByType.map { ($0.0, .int($0.1)) }))),
            ("expectationsByState", .object(JSONObject(expectationsByState.map { ($0.0, .int($0.1)) }))),
            ("databaseBytes", .int(databaseBytes)), ("walBytes", .int(walBytes)),
            ("schema", .array(schema.map { .string($0) })), ("database", .string(database)),
            ("connections", .int(Int64(connections))), ("subscribers", .int(Int64(subscribers))),
            ("uptimeSeconds", .double(uptimeSeconds)),
            ("checkpoints", checkpoints?.json ?? .null),
            ("follows", .int(follows)), ("followsNeverSynced", .int(followsNeverSynced)),
            ("oldestFollowSuccess", oldestFollowSuccess.map { .string($0) } ?? .null),
        ])
    }
}

/// The members of the IDL's object types that replies carry, as the IDL declares them: what
/// trialctl reads of each (members a newer trialsd adds are left out before decoding).
public enum TrialsTypes {
    /// `Trial`, without the one trial's `timeline` and `expectations`.
    public static let trialSummary: Set<String> = [
        "key", "registration", "enrollment", "status", "statusSince", "whyStopped", "lastKnownStatus", "dates",
        "lastMilestone", "nextExpected", "version", "lastSeq",
    ]
    /// `TimelineEntry`.
    public static let timelineEntry: Set<String> = [
        "seq", "type", "occurred", "text", "payload", "source", "correctedBy",
    ]
    /// `Expectation`.
    public static let expectation: Set<String> = [
        "seq", "milestone", "window", "madeOn", "source", "state", "resolvedBy", "overdueSeq",
    ]
}
