import TrialDomain
import TrialProtocol

/// trialctl's exit codes.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// Anything that went wrong but the cases below.
    case failure = 1
    /// Bad arguments or options (ArgumentParser's own validation errors too).
    case usage = 2
    /// trialsd cannot be reached.
    case unreachable = 3
    /// No trial goes by the name given (org.trialtrack.Trials.NoSuchTrial).
    case noSuchTrial = 4
}

/// Why a command failed: one line for a person and the exit status. An empty message prints
/// nothing (the output already said it, as `verify` does for a broken chain).
public struct TrialctlError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var status: ExitStatus

    public init(_ message: String, status: ExitStatus = .failure) {
        self.message = message
        self.status = status
    }

    public static func usage(_ message: String) -> TrialctlError { TrialctlError(message, status: .usage) }
    public static func failure(_ message: String) -> TrialctlError { TrialctlError(message, status: .failure) }
    /// Exit with `status` and no message.
    public static func silent(_ status: ExitStatus) -> TrialctlError { TrialctlError("", status: status) }

    public var description: String { message }
}

/// What a message needs to know beyond the error: the action being done, the batch a failed
/// event came from, where the socket was found.
public struct ErrorContext: Sendable {
    /// The action that needs writing rights, for PermissionDenied ("recording").
    public var action: String?
    /// The file a batch came from, and the line of each of its events (1-based).
    public var batchFile: String?
    public var batchLines: [Int]
    /// Where the socket was found.
    public var socket: SocketLocator.Location?
    /// What the client read to make the call, expecting the trial's version then
    /// (`correct` with KEY=VALUE: "seq 7's payload"), for WrongExpectedVersion.
    public var versionReadFrom: String?
    /// Where the payload the user gave sits in the event trialsd validates (`payload.payload`
    /// for `correct`: a corrected event's replacement), so that a field is named as typed
    /// (`outcome`, not `payload.payload.outcome`).
    public var payloadPath: String?
    /// What the payload being amended has, for an unknown field ("seq 17's payload, a
    /// milestone-expected, has milestone, window").
    public var payloadHas: String?

    public init(action: String? = nil, batchFile: String? = nil, batchLines: [Int] = [], socket: SocketLocator.Location? = nil) {
        self.action = action
        self.batchFile = batchFile
        self.batchLines = batchLines
        self.socket = socket
    }
}

public enum ErrorText {
    /// Turns any error a command can meet into a TrialctlError.
    public static func convert(_ error: Error, context: ErrorContext = ErrorContext()) -> TrialctlError {
        switch error {
        case let e as TrialctlError: return e
        case let e as ClientError: return convert(e, context: context)
        case let e as VarlinkError: return describe(e, context: context)
        case let e as TrialDomain.ValidationError: return .usage(e.description)
        default: return .failure("\(error)")
        }
    }

    public static func convert(_ error: ClientError, context: ErrorContext = ErrorContext()) -> TrialctlError {
        switch error {
        case .unreachable(let path, let reason):
            return TrialctlError(unreachable(path: path, reason: reason, origin: context.socket?.origin), status: .unreachable)
        case .remote(let e):
            return describe(e, context: context)
        case .protocolViolation(let reason):
            return .failure("protocol error: \(reason)")
        case .timedOut:
            return TrialctlError("\(error); is it stuck? (systemctl status trialsd)", status: .unreachable)
        }
    }

    static func unreachable(path: String, reason: String, origin: SocketLocator.Origin?) -> String {
        var s = "cannot reach trialsd at \(path): \(reason)"
        switch origin {
        case .option?: s += " (given with --socket)"
        case .environment?: s += " (from TRIALCTL_SOCKET)"
        case .user?, .system?, nil: break
        }
        let r = reason.lowercased()
        if r.contains("no such file") || r.contains("connection refused") {
            s += "; is trialsd running?"
        } else if r.contains("permission denied") {
            s += "; connecting needs access to the socket (its group)"
        } else if r.contains("too long") {
            s += "; give a shorter path with --socket PATH"
        }
        return s
    }

    /// No socket answered: each path tried, why, and what to do.
    static func unreachable(tried: [(location: SocketLocator.Location, reason: String)]) -> String {
        let each = tried.map { "\($0.location.path) (\($0.location.origin == .system ? "the system's" : "yours"): \($0.reason))" }
        return "cannot reach trialsd: tried \(each.joined(separator: ", then ")); "
            + "start trialsd (as a service, or yourself: it serves your own socket), or name its socket with --socket PATH or TRIALCTL_SOCKET"
    }

    /// One sentence for each error of org.trialtrack.Trials and org.varlink.service.
    public static func describe(_ e: VarlinkError, context: ErrorContext = ErrorContext()) -> TrialctlError {
        let p = e.parameters
        func str(_ k: String) -> String { p[k].map { $0.stringValue ?? $0.canonicalText } ?? "?" }
        func int(_ k: String) -> Int64? { p[k]?.int64Value }
        func num(_ k: String) -> String { int(k).map(String.init) ?? str(k) }
        var status = ExitStatus.failure
        var prefix = ""
        if let i = int("index") {
            let n = i + 1
            if let file = context.batchFile {
                prefix = "event \(n) of \(file)"
                if Int(i) < context.batchLines.count, context.batchLines[Int(i)] != Int(n) {
                    prefix += " (line \(context.batchLines[Int(i)]))"
                }
            } else {
                prefix = "event \(n)"
            }
            prefix += ": "
        }
        let message: String
        if e.name.hasPrefix(TrialsInterface.name + ".") {
            switch e.shortName {
            case "NoSuchTrial":
                let suggestion = e.parameters["didYouMean"]?.stringValue.map { " (did you mean \($0)?)" } ?? ""
                message = "no such trial: \(str("trial"))\(suggestion)"
                status = .noSuchTrial
            case "NoSuchEvent":
                message = "no such event: seq \(num("seq"))"
            case "InvalidEvent":
                var field = p["field"] == nil ? "" : str("field")
                var what = "invalid event: "
                if let prefix = context.payloadPath, field == prefix || field.hasPrefix(prefix + ".") || field.hasPrefix(prefix + "[") {
                    field = String(field.dropFirst(prefix.count))
                    if field.hasPrefix(".") { field.removeFirst() }
                    what = "invalid payload: "
                }
                message = what + (field.isEmpty ? "" : "\(field): ") + str("reason")
                    + (str("reason") == "unknown field" ? context.payloadHas.map { " (\($0))" } ?? "" : "")
            case "WrongExpectedVersion":
                if let read = context.versionReadFrom {
                    message = "\(str("trial")) changed while trialctl read \(read) (version \(num("expected")), now \(num("current"))); nothing was recorded: run the command again"
                } else if int("expected") == 0 {
                    message = "\(str("trial")) already exists (at version \(num("current"))), not new as expected"
                } else {
                    message = "\(str("trial")) is at version \(num("current")), not \(num("expected"))"
                }
            case "Contradiction":
                let at = int("seq").map { " (at seq \($0))" } ?? ""
                message = "contradiction: \(str("trial"))\(at): \(str("reason"))"
            case "IdConflict":
                message = "event id \(str("id")) was already used by seq \(num("seq")) with different content"
            case "IdentifierTaken":
                message = "\(str("identifier")) already identifies another trial, \(str("trial"))"
            case "NotAmendable":
                message = "seq \(num("seq")) cannot be amended: \(str("reason"))"
            case "WrongTrial":
                message = "seq \(num("seq")) belongs to \(str("trial")), not \(str("given"))"
            case "InvalidImport":
                let path = str("path")
                message = "\(str("file")): " + (path.isEmpty || p["path"] == nil ? "" : "\(path): ") + str("reason")
            case "InvalidDate":
                message = "invalid \(optionName(str("parameter"))): \(str("reason"))"
                status = .usage
            case "SubscriberTooSlow":
                message = "trialsd dropped this subscriber after it fell \(num("backlog")) events behind; resume with --since \(num("lastSeq"))"
            case "RequestTooLarge":
                let limit = int("limit").map { Format.bytes($0) } ?? str("limit")
                message = "the request is larger than trialsd accepts (\(limit))" + (context.batchFile != nil ? "; split the file" : "")
            case "MalformedRequest":
                message = "trialsd refused the request as malformed: \(str("reason"))"
            case "ShuttingDown":
                message = "trialsd is shutting down; try again in a moment"
            case "StoreFailed":
                message = "trialsd could not use its database (nothing was written): \(str("reason")); see journalctl -u trialsd"
            default:
                message = "trialsd answered \(e.description)"
            }
        } else if e.name.hasPrefix(VarlinkService.name + ".") {
            switch e.shortName {
            case "PermissionDenied":
                let what = context.action ?? "this"
                switch p["writersGroup"]?.stringValue {
                case let group? where !group.isEmpty:
                    message = "permission denied: \(what) needs root, the user trialsd runs as, or membership in its writers group \(group) (trialsd --writers-group NAME)"
                case _? :
                    message = "permission denied: \(what) needs root or the user trialsd runs as; trialsd names no writers group (start it with --writers-group NAME)"
                case nil:
                    message = "permission denied: \(what) needs root, the user trialsd runs as, or membership in its writers group (trialsd --writers-group NAME, default trialsd)"
                }
            case "InvalidParameter":
                message = "invalid value for \(optionName(str("parameter")))"
                status = .usage
            case "MethodNotFound":
                message = "trialsd does not know \(str("method")) (is it an older version?)"
            case "MethodNotImplemented":
                message = "trialsd does not implement \(str("method"))"
            case "InterfaceNotFound":
                let at = context.socket.map { " at \($0.path)" } ?? ""
                message = "the service\(at) does not serve \(str("interface")); is it trialsd?"
            case "ExpectedMore":
                message = "protocol error: trialsd expected a streaming call"
            default:
                message = "trialsd answered \(e.description)"
            }
        } else {
            message = "trialsd answered \(e.description)"
        }
        return TrialctlError(prefix + message, status: status)
    }

    /// The option a Varlink parameter comes from (`asOf` → `--as-of`).
    static func optionName(_ parameter: String) -> String {
        switch parameter {
        case "asOf": "--as-of"
        case "knownAt": "--known-at"
        case "since": "--since"
        case "limit": "--limit"
        case "types": "--type"
        case "within": "--within"
        case "occurred", "event.occurred": "--occurred"
        case "trial", "event.trial": "TRIAL"
        case "seq": "SEQ"
        case "reason": "--reason"
        case "id", "event.id": "--id"
        case "expectedVersion", "event.expectedVersion": "--expect-version"
        case "source", "event.source": "--source"
        default: "'\(parameter)'"
        }
    }
}
