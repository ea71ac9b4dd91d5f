import TrialDomain

// The registry sync's part of org.trialtrack.Trials (issue 28): what is followed on
// ClinicalTrials.gov, the import of fetched records one atomic append per study, and each
// sync's outcome. trialsd stays off the network: `trialctl sync` fetches and calls these.

private func members(_ m: [(String, JSONValue?)]) -> JSONObject {
    JSONObject(m.compactMap { k, v in v.map { (k, $0) } })
}

private func targets(_ p: Parameters) throws(TrialsError) -> (trials: [String], queries: [String]) {
    let trials = try p.strings("trials"), queries = try p.strings("queries")
    if trials.isEmpty && queries.isEmpty { throw .invalidParameter(parameter: "trials") }
    return (trials, queries)
}

/// The IDL's `Follow`: something followed, and how its last sync went.
public struct FollowRecord: Equatable, Sendable {
    public var id: Int64
    public var target: FollowTarget
    public var addedAt: String
    public var addedBy: String
    /// The registry's data date up to which everything was fetched.
    public var watermark: Day?
    public var lastSuccessAt: String?
    public var lastAttemptAt: String?
    public var lastError: String?
    public var lastErrorAt: String?
    public var lastSyncedBy: String?
    public var studiesChecked: Int64?
    public var eventsRecorded: Int64?

    public init(
        id: Int64, target: FollowTarget, addedAt: String, addedBy: String, watermark: Day? = nil,
        lastSuccessAt: String? = nil,
        lastAttemptAt: String? = nil, lastError: String? = nil, lastErrorAt: String? = nil, lastSyncedBy: String? = nil,
        studiesChecked: Int64? = nil, eventsRecorded: Int64? = nil
    ) {
        (self.id, self.target, self.addedAt, self.addedBy, self.watermark) = (id, target, addedAt, addedBy, watermark)
        (self.lastSuccessAt, self.lastAttemptAt, self.lastError, self.lastErrorAt) = (
            lastSuccessAt, lastAttemptAt, lastError, lastErrorAt
        )
        (self.lastSyncedBy, self.studiesChecked, self.eventsRecorded) = (lastSyncedBy, studiesChecked, eventsRecorded)
    }

    /// Whether the last attempt failed (its error is later than its last success).
    public var isFailing: Bool {
        guard let at = lastErrorAt else { return false }
        return lastSuccessAt.map { at > $0 } ?? true
    }

    public var json: JSONValue {
        .object(
            members([
                ("id", .int(id)), ("kind", .string(target.kind)), ("target", .string(target.text)),
                ("addedAt", .string(addedAt)),
                ("addedBy", .string(addedBy)), ("watermark", watermark.map { .string($0.description) }),
                ("lastSuccessAt", lastSuccessAt.map { .string($0) }),
                ("lastAttemptAt", lastAttemptAt.map { .string($0) }),
                ("lastError", lastError.map { .string($0) }), ("lastErrorAt", lastErrorAt.map { .string($0) }),
                ("lastSyncedBy", lastSyncedBy.map { .string($0) }), ("studiesChecked", studiesChecked.map { .int($0) }),
                ("eventsRecorded", eventsRecorded.map { .int($0) }),
            ]))
    }

    public init(json: JSONValue) throws(ValidationError) {
        guard case .object(let o) = json else { throw ValidationError(field: "follows", reason: "expected an object") }
        func string(_ k: String) throws(ValidationError) -> String {
            guard let s = o[k]?.stringValue else { throw ValidationError(field: k, reason: "expected a string") }
            return s
        }
        guard let id = o["id"]?.int64Value else { throw ValidationError(field: "id", reason: "expected an integer") }
        self.id = id
        target = try FollowTarget(kind: try string("kind"), target: try string("target"))
        addedAt = try string("addedAt")
        addedBy = try string("addedBy")
        watermark = o["watermark"]?.stringValue.flatMap(Day.init)
        lastSuccessAt = o["lastSuccessAt"]?.stringValue
        lastAttemptAt = o["lastAttemptAt"]?.stringValue
        lastError = o["lastError"]?.stringValue
        lastErrorAt = o["lastErrorAt"]?.stringValue
        lastSyncedBy = o["lastSyncedBy"]?.stringValue
        studiesChecked = o["studiesChecked"]?.int64Value
        eventsRecorded = o["eventsRecorded"]?.int64Value
    }
}

/// The parameters Follow and Unfollow take: trials by any of their names (an NCT number need
/// not be in the log yet) and saved searches. At least one of the two.
public protocol FollowTargetsRequest: TrialsRequest {
    var trials: [String] { get set }
    var queries: [String] { get set }
    init()
}

extension FollowTargetsRequest {
    public init(trials: [String] = [], queries: [String] = []) {
        self.init()
        self.trials = trials
        self.queries = queries
    }

    public init(parameters: JSONObject) throws(TrialsError) {
        self.init()
        (trials, queries) = try targets(try Parameters(parameters, allowed: ["trials", "queries"]))
    }

    public var parameters: JSONObject {
        members([
            ("trials", trials.isEmpty ? nil : .array(trials.map { .string($0) })),
            ("queries", queries.isEmpty ? nil : .array(queries.map { .string($0) })),
        ])
    }
}

public struct FollowRequest: FollowTargetsRequest, Equatable {
    public static let method = TrialsMethod.follow
    public var trials: [String] = []
    public var queries: [String] = []
    public init() {}
}

public struct UnfollowRequest: FollowTargetsRequest, Equatable {
    public static let method = TrialsMethod.unfollow
    public var trials: [String] = []
    public var queries: [String] = []
    public init() {}
}

public struct FollowResponse: TrialsResponse, Equatable {
    public var follows: [FollowRecord]
    /// `alreadyFollowed[i]`: follows[i] was followed before this call.
    public var alreadyFollowed: [Bool]

    public init(follows: [FollowRecord], alreadyFollowed: [Bool]) {
        self.follows = follows
        self.alreadyFollowed = alreadyFollowed
    }

    public init(parameters: JSONObject) throws(ValidationError) {
        var read: [FollowRecord] = []
        for f in try FieldReader.reply(parameters).replyArray("follows") { read.append(try FollowRecord(json: f)) }
        follows = read
        alreadyFollowed = try FieldReader.reply(parameters).replyArray("alreadyFollowed").map { $0 == .bool(true) }
    }

    public var parameters: JSONObject {
        JSONObject([
            ("follows", .array(follows.map(\.json))), ("alreadyFollowed", .array(alreadyFollowed.map { .bool($0) })),
        ])
    }
}

public struct UnfollowResponse: TrialsResponse, Equatable {
    /// What was followed and is not any more (trials by NCT number, queries as given).
    public var unfollowed: [String]
    /// What was not followed, as given.
    public var notFollowed: [String]

    public init(unfollowed: [String], notFollowed: [String]) {
        self.unfollowed = unfollowed
        self.notFollowed = notFollowed
    }

    public init(parameters: JSONObject) throws(ValidationError) {
        unfollowed = try FieldReader.reply(parameters).replyArray("unfollowed").compactMap(\.stringValue)
        notFollowed = try FieldReader.reply(parameters).replyArray("notFollowed").compactMap(\.stringValue)
    }

    public var parameters: JSONObject {
        JSONObject([
            ("unfollowed", .array(unfollowed.map { .string($0) })),
            ("notFollowed", .array(notFollowed.map { .string($0) })),
        ])
    }
}

public struct FollowingRequest: EmptyTrialsRequest {
    public static let method = TrialsMethod.following
    public init() {}
}

public struct FollowingResponse: TrialsResponse, Equatable {
    public var follows: [FollowRecord]
    public init(follows: [FollowRecord]) { self.follows = follows }
    public init(parameters: JSONObject) throws(ValidationError) {
        var read: [FollowRecord] = []
        for f in try FieldReader.reply(parameters).replyArray("follows") { read.append(try FollowRecord(json: f)) }
        follows = read
    }
    public var parameters: JSONObject { JSONObject([("follows", .array(follows.map(\.json)))]) }
}

/// The IDL's `StudyVersion`: a past version of a study, as the registry's history lists it.
public struct StudyVersionRef: Equatable, Sendable {
    public var number: Int64
    public var date: Day
    public init(number: Int64, date: Day) {
        self.number = number
        self.date = date
    }
}

/// ImportStudies: records of the registry's API v2, each its own atomic append.
public struct ImportStudiesRequest: TrialsRequest {
    public static let method = TrialsMethod.importStudies
    /// The most records one call takes.
    public static let maximumStudies = 1000
    public var studies: [JSONValue]
    public var dryRun: Bool
    /// One past version of one study: planned as the trial stood on its date, dated on it.
    public var version: StudyVersionRef?

    public init(studies: [JSONValue], dryRun: Bool = false, version: StudyVersionRef? = nil) {
        self.studies = studies
        self.dryRun = dryRun
        self.version = version
    }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(parameters, allowed: ["studies", "dryRun", "version"])
        studies = try p.requiredArray("studies")
        guard (1...Self.maximumStudies).contains(studies.count), studies.allSatisfy({ $0.objectValue != nil }) else {
            throw .invalidParameter(parameter: "studies")
        }
        dryRun = try p.bool("dryRun") ?? false
        if let v = parameters["version"], v != .null {
            guard case .object(let o) = v else { throw .invalidParameter(parameter: "version") }
            let q = try Parameters(o, allowed: ["number", "date"])
            let text = try q.requiredString("date")
            guard let day = Day(text) else {
                throw .invalidDate(parameter: "version.date", reason: "'\(text)' is not a day; use YYYY-MM-DD")
            }
            version = StudyVersionRef(number: try q.requiredInt("number", in: 0...1_000_000), date: day)
            guard studies.count == 1 else { throw .invalidParameter(parameter: "studies") }
        }
    }

    public var parameters: JSONObject {
        members([
            ("studies", .array(studies)), ("dryRun", dryRun ? .bool(true) : nil),
            (
                "version",
                version.map {
                    .object(JSONObject([("number", .int($0.number)), ("date", .string($0.date.description))]))
                }
            ),
        ])
    }
}

public struct ImportStudiesResponse: TrialsResponse, Equatable {
    /// The IDL's `ImportedStudy`.
    public struct Study: Equatable, Sendable {
        public var nctId: String
        public var trial: String?
        /// The seqs of the events recorded (none in a dry run or when nothing changed).
        public var seqs: [Int64]
        /// One per event planned or recorded: its type, severity and one line.
        public var changes: [Change]
        /// Why nothing of the record was written: the error a call importing it alone would
        /// have got (`ImportRefusal` on the wire).
        public var refused: TrialsError?

        public struct Change: Equatable, Sendable {
            public var type: String, severity: String, description: String
            public init(type: String, severity: String, description: String) {
                (self.type, self.severity, self.description) = (type, severity, description)
            }
        }

        public init(nctId: String, trial: String?, seqs: [Int64], changes: [Change], refused: TrialsError?) {
            (self.nctId, self.trial, self.seqs, self.changes, self.refused) = (nctId, trial, seqs, changes, refused)
        }

        var json: JSONValue {
            .object(
                members([
                    ("nctId", .string(nctId)), ("trial", trial.map { .string($0) }),
                    ("seqs", .array(seqs.map { .int($0) })),
                    (
                        "changes",
                        .array(
                            changes.map { c in
                                .object(
                                    JSONObject([
                                        ("type", .string(c.type)), ("severity", .string(c.severity)),
                                        ("description", .string(c.description)),
                                    ]))
                            })
                    ),
                    (
                        "refused",
                        refused.map { e in
                            let v = e.varlinkError
                            return .object(
                                JSONObject([("error", .string(v.name)), ("parameters", .object(v.parameters))]))
                        }
                    ),
                ]))
        }

        init(json: JSONValue) throws(ValidationError) {
            guard case .object(let o) = json, let nct = o["nctId"]?.stringValue else {
                throw ValidationError(field: "studies", reason: "expected an object with nctId")
            }
            nctId = nct
            trial = o["trial"]?.stringValue
            seqs = try FieldReader.reply(o).replyArray("seqs").compactMap(\.int64Value)
            changes = try FieldReader.reply(o).replyArray("changes").map { c throws(ValidationError) in
                guard let t = c["type"]?.stringValue, let s = c["severity"]?.stringValue,
                    let d = c["description"]?.stringValue
                else {
                    throw ValidationError(field: "changes", reason: "expected type, severity and description")
                }
                return Change(type: t, severity: s, description: d)
            }
            if let r = o["refused"], r != .null {
                guard let name = r["error"]?.stringValue, case .object(let parameters)? = r["parameters"] else {
                    throw ValidationError(field: "refused", reason: "expected an object with error and parameters")
                }
                refused = TrialsError(VarlinkError(name, parameters))
            } else {
                refused = nil
            }
        }
    }

    public var studies: [Study]
    public init(studies: [Study]) { self.studies = studies }
    public init(parameters: JSONObject) throws(ValidationError) {
        var read: [Study] = []
        for s in try FieldReader.reply(parameters).replyArray("studies") { read.append(try Study(json: s)) }
        studies = read
    }
    public var parameters: JSONObject { JSONObject([("studies", .array(studies.map(\.json)))]) }
}

/// RecordSync: a sync's outcome for follows; with `watermark` a success, with `error` a failure.
public struct RecordSyncRequest: TrialsRequest, Equatable {
    public static let method = TrialsMethod.recordSync
    public enum Outcome: Equatable, Sendable {
        case success(watermark: Day, studiesChecked: Int64, eventsRecorded: Int64)
        case failure(String)
    }
    public var follows: [Int64]
    public var outcome: Outcome

    public init(follows: [Int64], outcome: Outcome) {
        self.follows = follows
        self.outcome = outcome
    }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(
            parameters, allowed: ["follows", "watermark", "studiesChecked", "eventsRecorded", "error"])
        var ids: [Int64] = []
        for v in try p.requiredArray("follows") {
            guard let i = v.int64Value, i > 0 else { throw .invalidParameter(parameter: "follows") }
            ids.append(i)
        }
        guard !ids.isEmpty else { throw .invalidParameter(parameter: "follows") }
        follows = ids
        switch (try p.string("watermark"), try p.string("error")) {
        case (let w?, nil):
            guard let day = Day(w) else {
                throw .invalidDate(parameter: "watermark", reason: "'\(w)' is not a day; use YYYY-MM-DD")
            }
            outcome = .success(
                watermark: day, studiesChecked: try p.int("studiesChecked", in: 0...Int64(Int32.max)) ?? 0,
                eventsRecorded: try p.int("eventsRecorded", in: 0...Int64(Int32.max)) ?? 0)
        case (nil, let e?):
            guard !e.isEmpty else { throw .invalidParameter(parameter: "error") }
            outcome = .failure(e)
        default:
            throw .invalidParameter(parameter: "watermark")
        }
    }

    public var parameters: JSONObject {
        var o = JSONObject([("follows", .array(follows.map { .int($0) }))])
        switch outcome {
        case .success(let w, let c, let e):
            o["watermark"] = .string(w.description)
            o["studiesChecked"] = .int(c)
            o["eventsRecorded"] = .int(e)
        case .failure(let reason):
            o["error"] = .string(reason)
        }
        return o
    }
}

public typealias RecordSyncResponse = FollowingResponse
