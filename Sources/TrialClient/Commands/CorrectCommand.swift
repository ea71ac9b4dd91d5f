import ArgumentParser
import TrialDomain
import TrialProtocol

public struct CorrectCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "correct",
        abstract: "Replace the payload of an earlier event, saying why.",
        discussion: """
            The original event stays in the log; the trial's state is folded with the new payload. \
            --payload gives the whole replacement payload (inline, @FILE or @-), and KEY=VALUE \
            overrides its fields. With KEY=VALUE alone, the fields are changed on the payload the \
            event has now (its latest correction's, if it was corrected before), so that \
            `trialctl correct 12 --reason "registry typo" count=780` changes only the count; \
            should the trial change between that read and the correction (another correction, \
            say), nothing is recorded and trialctl says so: run it again.

            Example:
              trialctl correct 13 --reason "mature OS data are still to come" \\
                  kind=updated
            """)

    @Argument(help: ArgumentHelp("The seq of the event to correct.", valueName: "seq"))
    public var seq: Int64

    @Argument(help: ArgumentHelp("Payload fields.", valueName: "key=value"))
    public var assignments: [String] = []

    @Option(
        help: ArgumentHelp(
            "The whole replacement payload: a JSON object, or @FILE (@- for standard input).", valueName: "json|@file"))
    public var payload: String?

    @OptionGroup public var amendment: AmendmentOptions

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        try amendment.validate(seq: seq)
        guard payload != nil || !assignments.isEmpty else {
            throw UsageError("give the corrected payload: --payload JSON|@FILE and/or KEY=VALUE fields")
        }
        try Check.assignments(assignments)
    }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global, action: "recording")
        var p = amendment.parameters(seq: seq)
        var base = JSONObject()
        if payload == nil {
            // KEY=VALUE changes the payload as read: the correction is sent expecting the
            // trial's version of that read, so that one recorded in between is not undone
            // (trialsd refuses it with WrongExpectedVersion, and nothing is recorded).
            let current = try Self.currentPayload(of: seq, session)
            base = current.payload
            p["expectedVersion"] = .int(current.trialVersion)
            session.context.versionReadFrom = "seq \(seq)'s payload"
            session.context.payloadHas =
                "seq \(seq)'s payload, a \(current.type), has "
                + (base.members.isEmpty ? "no fields" : base.members.map(\.key).joined(separator: ", "))
        }
        // trialsd validates the replacement as a corrected event's `payload.payload`.
        session.context.payloadPath = "payload.payload"
        let newPayload = try Input.payload(option: payload, assignments: assignments, base: base, read: ctx.read)
        p["payload"] = .object(newPayload)
        try amendment.send(.correct, p, session, ctx)
    }

    /// The payload event `seq` has now (its own, or its latest correction's), and the version
    /// its trial had when it was read.
    static func currentPayload(of seq: Int64, _ session: Session) throws(TrialctlError) -> (
        payload: JSONObject, trialVersion: Int64, type: String
    ) {
        let first = try Reply.events(try session.call(.log, params(["since": .int(seq - 1), "limit": 1])))
        guard let event = first.first, event.seq == seq else { throw .failure("no such event: seq \(seq)") }
        guard case .object(var payload) = event.payload else {
            throw Reply.unexpected("events[0].payload", "expected an object")
        }
        var version = event.version
        var since = seq
        let limit = JSONValue.int(Int64(LogRequest.maximumLimit))
        // Every later event of the trial, in seq order: its corrections of `seq`, and its last
        // version (events recorded while this reads land on later pages).
        while true {
            let log = try Reply.read(
                LogResponse.self,
                try session.call(.log, params(["trial": .string(event.trial), "since": .int(since), "limit": limit])))
            for e in try Reply.events(log.events) {
                version = max(version, e.version)
                if e.type == "corrected", e.payload["target"]?.int64Value == seq,
                    case .object(let replaced)? = e.payload["payload"]
                {
                    payload = replaced
                }
            }
            guard let next = log.next, next > since else { break }
            since = next
        }
        return (payload, version, event.type)
    }
}
