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

    public init(
        action: String? = nil, batchFile: String? = nil, batchLines: [Int] = [], socket: SocketLocator.Location? = nil
    ) {
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
        case let e as TrialsError: return describe(e, context: context)
        case let e as TrialDomain.ValidationError: return .usage(e.description)
        default: return .failure("\(error)")
        }
    }

    public static func convert(_ error: ClientError, context: ErrorContext = ErrorContext()) -> TrialctlError {
        switch error {
        case .unreachable(let path, let reason):
            return TrialctlError(
                unreachable(path: path, reason: reason, origin: context.socket?.origin), status: .unreachable)
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
        let each = tried.map {
            "\($0.location.path) (\($0.location.origin == .system ? "the system's" : "yours"): \($0.reason))"
        }
        return "cannot reach trialsd: tried \(each.joined(separator: ", then ")); "
            + "start trialsd (as a service, or yourself: it serves your own socket), or name its socket with --socket PATH or TRIALCTL_SOCKET"
    }

    /// One sentence for each error of org.trialtrack.Trials and org.varlink.service.
    public static func describe(_ e: VarlinkError, context: ErrorContext = ErrorContext()) -> TrialctlError {
        describe(TrialsError(e), context: context)
    }

    /// One sentence for each error of the contract, with the event of a batch it is about.
    public static func describe(_ error: TrialsError, context: ErrorContext = ErrorContext()) -> TrialctlError {
        var prefix = ""
        if let i = error.index {
            let n = i + 1
            if let file = context.batchFile {
                prefix = "event \(n) of \(file)"
                if i < context.batchLines.count, context.batchLines[i] != n {
                    prefix += " (line \(context.batchLines[i]))"
                }
            } else {
                prefix = "event \(n)"
            }
            prefix += ": "
        }
        let (message, status) = sentence(error, context: context)
        return TrialctlError(prefix + message, status: status)
    }

    /// The sentence and exit status of one error.
    static func sentence(_ error: TrialsError, context: ErrorContext) -> (String, ExitStatus) {
        func n(_ v: Int64) -> String { TrialsError.text(v) }
        switch error {
        case .noSuchTrial(_, let trial, let didYouMean):
            return ("no such trial: \(trial)" + (didYouMean.map { " (did you mean \($0)?)" } ?? ""), .noSuchTrial)
        case .noSuchEvent(let seq):
            return ("no such event: seq \(n(seq))", .failure)
        case .invalidEvent(_, var field, let reason):
            var what = "invalid event: "
            if let prefix = context.payloadPath,
                field == prefix || field.hasPrefix(prefix + ".") || field.hasPrefix(prefix + "[")
            {
                field = String(field.dropFirst(prefix.count))
                if field.hasPrefix(".") { field.removeFirst() }
                what = "invalid payload: "
            }
            return (
                what + (field.isEmpty ? "" : "\(field): ") + reason
                    + (reason == "unknown field" ? context.payloadHas.map { " (\($0))" } ?? "" : ""), .failure
            )
        case .wrongExpectedVersion(_, let trial, let expected, let current):
            if let read = context.versionReadFrom {
                return (
                    "\(trial) changed while trialctl read \(read) (version \(n(expected)), now \(n(current))); nothing was recorded: run the command again",
                    .failure
                )
            } else if expected == 0 {
                return ("\(trial) already exists (at version \(n(current))), not new as expected", .failure)
            }
            return ("\(trial) is at version \(n(current)), not \(n(expected))", .failure)
        case .contradiction(_, let trial, let seq, let reason):
            return ("contradiction: \(trial)\(seq.map { " (at seq \($0))" } ?? ""): \(reason)", .failure)
        case .idConflict(_, let id, let seq):
            return ("event id \(id) was already used by seq \(n(seq)) with different content", .failure)
        case .identifierTaken(_, let identifier, let trial):
            return ("\(identifier) already identifies another trial, \(trial)", .failure)
        case .notAmendable(_, let seq, let reason):
            return ("seq \(n(seq)) cannot be amended: \(reason)", .failure)
        case .wrongTrial(_, let seq, let trial, let given):
            return ("seq \(n(seq)) belongs to \(trial), not \(given)", .failure)
        case .invalidImport(let file, let path, let reason):
            return ("\(file): " + (path.isEmpty ? "" : "\(path): ") + reason, .failure)
        case .invalidDate(let parameter, let reason):
            return ("invalid \(optionName(parameter)): \(reason)", .usage)
        case .subscriberTooSlow(let lastSeq, let backlog):
            return (
                "trialsd dropped this subscriber after it fell \(n(backlog)) events behind; resume with --since \(n(lastSeq))",
                .failure
            )
        case .requestTooLarge(let limit):
            let size = limit < 0 ? "?" : Format.bytes(limit)
            return (
                "the request is larger than trialsd accepts (\(size))"
                    + (context.batchFile != nil ? "; split the file" : ""), .failure
            )
        case .malformedRequest(let reason):
            return ("trialsd refused the request as malformed: \(reason)", .failure)
        case .shuttingDown:
            return ("trialsd is shutting down; try again in a moment", .failure)
        case .storeFailed(let reason):
            return (
                "trialsd could not use its database (nothing was written): \(reason); see journalctl -u trialsd",
                .failure
            )
        case .invalidFollow(let target, let reason):
            return ("cannot follow \(target): \(reason)", .usage)
        case .backupFailed(_, let reason):
            return (reason, .failure)
        case .invalidFilter(let parameter, let value, let valid):
            return (
                "\(optionName(parameter)) \(value): "
                    + (valid.isEmpty
                        ? "give a name with a letter or digit"
                        : "the \(parameter) are \(valid.joined(separator: ", "))"),
                .usage
            )
        case .permissionDenied(let writersGroup):
            let what = context.action ?? "this"
            switch writersGroup {
            case let group? where !group.isEmpty:
                return (
                    "permission denied: \(what) needs root, the user trialsd runs as, or membership in its writers group \(group) (trialsd --writers-group NAME)",
                    .failure
                )
            case _?:
                return (
                    "permission denied: \(what) needs root or the user trialsd runs as; trialsd names no writers group (start it with --writers-group NAME)",
                    .failure
                )
            case nil:
                return (
                    "permission denied: \(what) needs root, the user trialsd runs as, or membership in its writers group (trialsd --writers-group NAME, default trialsd)",
                    .failure
                )
            }
        case .invalidParameter(let parameter):
            return ("invalid value for \(optionName(parameter))", .usage)
        case .methodNotFound(let method):
            return ("trialsd does not know \(method) (is it an older version?)", .failure)
        case .methodNotImplemented(let method):
            return ("trialsd does not implement \(method)", .failure)
        case .interfaceNotFound(let interface):
            let at = context.socket.map { " at \($0.path)" } ?? ""
            return ("the service\(at) does not serve \(interface); is it trialsd?", .failure)
        case .expectedMore:
            return ("protocol error: trialsd expected a streaming call", .failure)
        case .other(let e):
            return ("trialsd answered \(e.description)", .failure)
        }
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
        case "phases": "--phase"
        case "statuses": "--status"
        case "sponsors": "--sponsor"
        case "conditions": "--condition"
        case "interventions": "--intervention"
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
