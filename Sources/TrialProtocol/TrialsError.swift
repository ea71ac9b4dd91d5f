import TrialDomain

/// Every error trialsd answers with, as trialsd raises it and trialctl reads it: the errors of
/// org.trialtrack.Trials (each declared in the IDL; a test compares `Name` to it) and the
/// standard ones of org.varlink.service. `varlinkError` is its wire form, and
/// `init(_: VarlinkError)` reads one back; an error this version does not know is `other`.
///
/// `index`, when set, is the event's place in the batch (AppendMany, Import).
public enum TrialsError: Error, Equatable, Sendable {
    case noSuchTrial(index: Int? = nil, trial: String, didYouMean: String? = nil)
    case noSuchEvent(seq: Int64)
    case invalidEvent(index: Int? = nil, field: String, reason: String)
    case wrongExpectedVersion(index: Int? = nil, trial: String, expected: Int64, current: Int64)
    case contradiction(index: Int? = nil, trial: String, seq: Int64? = nil, reason: String)
    case idConflict(index: Int? = nil, id: String, seq: Int64)
    case identifierTaken(index: Int? = nil, identifier: String, trial: String)
    case notAmendable(index: Int? = nil, seq: Int64, reason: String)
    case wrongTrial(index: Int? = nil, seq: Int64, trial: String, given: String)
    case invalidImport(file: String, path: String, reason: String)
    case invalidDate(parameter: String, reason: String)
    case subscriberTooSlow(lastSeq: Int64, backlog: Int64)
    case requestTooLarge(limit: Int64)
    case malformedRequest(reason: String)
    case shuttingDown
    /// The database could not be read or written; `reason` says what failed.
    case storeFailed(reason: String)
    /// A follow refused: the target (as given) and why (no NCT number, an empty query …).
    case invalidFollow(target: String, reason: String)
    /// A backup was refused or failed: `reason` is one line naming the path and what to do.
    case backupFailed(path: String, reason: String)
    /// A filter's value names nothing it can match; `valid`: the values it takes (none for a
    /// name, which needs a letter or digit).
    case invalidFilter(parameter: String, value: String, valid: [String])

    // org.varlink.service
    case interfaceNotFound(interface: String)
    case methodNotFound(method: String)
    case methodNotImplemented(method: String)
    case invalidParameter(parameter: String)
    /// trialsd names its writers group ("" for none); nil when the peer did not say.
    case permissionDenied(writersGroup: String?)
    case expectedMore

    /// An error this version does not know, as it came.
    case other(VarlinkError)

    /// The errors of org.trialtrack.Trials, as the IDL declares them.
    public enum Name: String, CaseIterable, Sendable {
        case noSuchTrial = "NoSuchTrial", noSuchEvent = "NoSuchEvent", invalidEvent = "InvalidEvent"
        case wrongExpectedVersion = "WrongExpectedVersion", contradiction = "Contradiction", idConflict = "IdConflict"
        case identifierTaken = "IdentifierTaken", notAmendable = "NotAmendable", wrongTrial = "WrongTrial"
        case invalidImport = "InvalidImport", invalidDate = "InvalidDate", subscriberTooSlow = "SubscriberTooSlow"
        case requestTooLarge = "RequestTooLarge", malformedRequest = "MalformedRequest", shuttingDown = "ShuttingDown"
        case storeFailed = "StoreFailed", invalidFollow = "InvalidFollow"
        case backupFailed = "BackupFailed"
        case invalidFilter = "InvalidFilter"
    }

    /// The standard errors of org.varlink.service that trialsd answers with.
    enum ServiceName: String {
        case interfaceNotFound = "InterfaceNotFound", methodNotFound = "MethodNotFound"
        case methodNotImplemented = "MethodNotImplemented", invalidParameter = "InvalidParameter"
        case permissionDenied = "PermissionDenied", expectedMore = "ExpectedMore"
    }

    /// The wire form: the qualified name and the parameters, in the IDL's order.
    public var varlinkError: VarlinkError {
        func trials(_ name: Name, _ index: Int?, _ p: [(String, JSONValue?)]) -> VarlinkError {
            var members: [(String, JSONValue)] = index.map { [("index", .int(Int64($0)))] } ?? []
            for case let (k, v?) in p { members.append((k, v)) }
            return VarlinkError(TrialsInterface.name + "." + name.rawValue, JSONObject(members))
        }
        func service(_ name: ServiceName, _ p: [(String, JSONValue)] = []) -> VarlinkError {
            VarlinkError(VarlinkService.name + "." + name.rawValue, JSONObject(p))
        }
        func s(_ v: String) -> JSONValue { .string(v) }
        switch self {
        case .noSuchTrial(let i, let trial, let didYouMean):
            return trials(.noSuchTrial, i, [("trial", s(trial)), ("didYouMean", didYouMean.map(s))])
        case .noSuchEvent(let seq): return trials(.noSuchEvent, nil, [("seq", .int(seq))])
        case .invalidEvent(let i, let field, let reason):
            return trials(.invalidEvent, i, [("field", s(field)), ("reason", s(reason))])
        case .wrongExpectedVersion(let i, let trial, let expected, let current):
            return trials(
                .wrongExpectedVersion, i,
                [("trial", s(trial)), ("expected", .int(expected)), ("current", .int(current))])
        case .contradiction(let i, let trial, let seq, let reason):
            return trials(
                .contradiction, i, [("trial", s(trial)), ("reason", s(reason)), ("seq", seq.map { .int($0) })])
        case .idConflict(let i, let id, let seq): return trials(.idConflict, i, [("id", s(id)), ("seq", .int(seq))])
        case .identifierTaken(let i, let identifier, let trial):
            return trials(.identifierTaken, i, [("identifier", s(identifier)), ("trial", s(trial))])
        case .notAmendable(let i, let seq, let reason):
            return trials(.notAmendable, i, [("seq", .int(seq)), ("reason", s(reason))])
        case .wrongTrial(let i, let seq, let trial, let given):
            return trials(.wrongTrial, i, [("seq", .int(seq)), ("trial", s(trial)), ("given", s(given))])
        case .invalidImport(let file, let path, let reason):
            return trials(.invalidImport, nil, [("file", s(file)), ("path", s(path)), ("reason", s(reason))])
        case .invalidDate(let parameter, let reason):
            return trials(.invalidDate, nil, [("parameter", s(parameter)), ("reason", s(reason))])
        case .subscriberTooSlow(let lastSeq, let backlog):
            return trials(.subscriberTooSlow, nil, [("lastSeq", .int(lastSeq)), ("backlog", .int(backlog))])
        case .requestTooLarge(let limit): return trials(.requestTooLarge, nil, [("limit", .int(limit))])
        case .malformedRequest(let reason): return trials(.malformedRequest, nil, [("reason", s(reason))])
        case .shuttingDown: return trials(.shuttingDown, nil, [])
        case .storeFailed(let reason): return trials(.storeFailed, nil, [("reason", s(reason))])
        case .invalidFollow(let target, let reason):
            return trials(.invalidFollow, nil, [("target", s(target)), ("reason", s(reason))])
        case .backupFailed(let path, let reason):
            return trials(.backupFailed, nil, [("path", s(path)), ("reason", s(reason))])
        case .invalidFilter(let parameter, let value, let valid):
            return trials(
                .invalidFilter, nil,
                [("parameter", s(parameter)), ("value", s(value)), ("valid", .array(valid.map(s)))])
        case .interfaceNotFound(let interface): return service(.interfaceNotFound, [("interface", s(interface))])
        case .methodNotFound(let method): return service(.methodNotFound, [("method", s(method))])
        case .methodNotImplemented(let method): return service(.methodNotImplemented, [("method", s(method))])
        case .invalidParameter(let parameter): return service(.invalidParameter, [("parameter", s(parameter))])
        case .permissionDenied(let group):
            return service(.permissionDenied, group.map { [("writersGroup", s($0))] } ?? [])
        case .expectedMore: return service(.expectedMore)
        case .other(let e): return e
        }
    }

    /// Reads an error off the wire. Leniently, so that whatever trialsd sends can be said: a
    /// member it left out or sent of another type reads as "?" (strings) or -1 (numbers, all of
    /// which are otherwise whole and not negative; see `TrialsError.text`).
    public init(_ e: VarlinkError) {
        let p = e.parameters
        func str(_ k: String) -> String { p[k].map { $0.stringValue ?? $0.canonicalText } ?? "?" }
        func int(_ k: String) -> Int64 { p[k]?.int64Value ?? -1 }
        let index = p["index"]?.int64Value.map { Int($0) }
        let qualified = splitQualifiedName(e.name)
        switch qualified.interface {
        case TrialsInterface.name:
            guard let name = Name(rawValue: qualified.member) else { self = .other(e); return }
            switch name {
            case .noSuchTrial:
                self = .noSuchTrial(index: index, trial: str("trial"), didYouMean: p["didYouMean"]?.stringValue)
            case .noSuchEvent: self = .noSuchEvent(seq: int("seq"))
            case .invalidEvent:
                self = .invalidEvent(index: index, field: p["field"] == nil ? "" : str("field"), reason: str("reason"))
            case .wrongExpectedVersion:
                self = .wrongExpectedVersion(
                    index: index, trial: str("trial"), expected: int("expected"), current: int("current"))
            case .contradiction:
                self = .contradiction(
                    index: index, trial: str("trial"), seq: p["seq"]?.int64Value, reason: str("reason"))
            case .idConflict: self = .idConflict(index: index, id: str("id"), seq: int("seq"))
            case .identifierTaken:
                self = .identifierTaken(index: index, identifier: str("identifier"), trial: str("trial"))
            case .notAmendable: self = .notAmendable(index: index, seq: int("seq"), reason: str("reason"))
            case .wrongTrial:
                self = .wrongTrial(index: index, seq: int("seq"), trial: str("trial"), given: str("given"))
            case .invalidImport:
                self = .invalidImport(
                    file: str("file"), path: p["path"] == nil ? "" : str("path"), reason: str("reason"))
            case .invalidDate: self = .invalidDate(parameter: str("parameter"), reason: str("reason"))
            case .subscriberTooSlow: self = .subscriberTooSlow(lastSeq: int("lastSeq"), backlog: int("backlog"))
            case .requestTooLarge: self = .requestTooLarge(limit: int("limit"))
            case .malformedRequest: self = .malformedRequest(reason: str("reason"))
            case .shuttingDown: self = .shuttingDown
            case .storeFailed: self = .storeFailed(reason: str("reason"))
            case .invalidFollow: self = .invalidFollow(target: str("target"), reason: str("reason"))
            case .backupFailed: self = .backupFailed(path: str("path"), reason: str("reason"))
            case .invalidFilter:
                let valid = p["valid"].flatMap { v -> [String]? in
                    guard case .array(let a) = v else { return nil }
                    return a.compactMap(\.stringValue)
                }
                self = .invalidFilter(parameter: str("parameter"), value: str("value"), valid: valid ?? [])
            }
        case VarlinkService.name:
            switch ServiceName(rawValue: qualified.member) {
            case .interfaceNotFound?: self = .interfaceNotFound(interface: str("interface"))
            case .methodNotFound?: self = .methodNotFound(method: str("method"))
            case .methodNotImplemented?: self = .methodNotImplemented(method: str("method"))
            case .invalidParameter?: self = .invalidParameter(parameter: str("parameter"))
            case .permissionDenied?: self = .permissionDenied(writersGroup: p["writersGroup"]?.stringValue)
            case .expectedMore?: self = .expectedMore
            case nil: self = .other(e)
            }
        default:
            self = .other(e)
        }
    }

    /// The place in the batch of the event it is about, if any.
    public var index: Int? {
        switch self {
        case .noSuchTrial(let i, _, _), .invalidEvent(let i, _, _), .wrongExpectedVersion(let i, _, _, _),
            .contradiction(let i, _, _, _), .idConflict(let i, _, _), .identifierTaken(let i, _, _),
            .notAmendable(let i, _, _), .wrongTrial(let i, _, _, _):
            return i
        case .other(let e):
            return e.parameters["index"]?.int64Value.map { Int($0) }
        default:
            return nil
        }
    }

    /// A number read off the wire as text: "?" for one that was missing.
    public static func text(_ n: Int64) -> String { n < 0 ? "?" : String(n) }
}

extension TrialsError.Name {
    /// The name of an error of org.trialtrack.Trials; nil for any other.
    public init?(_ e: VarlinkError) {
        let qualified = splitQualifiedName(e.name)
        guard qualified.interface == TrialsInterface.name else { return nil }
        self.init(rawValue: qualified.member)
    }
}

extension VarlinkError {
    /// This error as the contract reads it.
    public var trialsError: TrialsError { TrialsError(self) }
}
