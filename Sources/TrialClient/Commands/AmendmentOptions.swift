import ArgumentParser
import TrialDomain
import TrialProtocol

/// What `correct` and `retract` both take: why, when, from where, an idempotency key.
public struct AmendmentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Why the event was wrong.", valueName: "text"))
    public var reason: String

    @Option(help: ArgumentHelp("When the amendment was made (default: today).", valueName: "date"))
    public var occurred: String?

    @Option(help: ArgumentHelp("Where the amendment comes from.", valueName: "text"))
    public var source: String?

    @Option(help: ArgumentHelp("An idempotency key (a UUID).", valueName: "uuid"))
    public var id: String?

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    public init() {}

    func validate(seq: Int64) throws {
        guard seq >= 1 else { throw UsageError("SEQ: a seq is 1 or more") }
        guard !reason.trimmed(" \t\n").isEmpty else { throw UsageError("--reason must not be empty") }
        if let occurred { try Check.partialDate(occurred, option: "--occurred") }
        if let id { try Check.uuid(id) }
    }

    func parameters(seq: Int64) -> JSONObject {
        var p = params(["seq": .int(seq), "reason": .string(reason)])
        if let occurred { p["occurred"] = .string(occurred) }
        if let source { p["source"] = .string(source) }
        if let id { p["id"] = .string(id) }
        return p
    }

    /// Calls Correct or Retract and prints the recorded event.
    func send(_ method: TrialsMethod, _ p: JSONObject, _ session: Session, _ ctx: Context) throws {
        let moment = CallMoment(ctx.now())
        let reply = try session.call(method, p)
        if json.isOn { return ctx.printJSON(reply, json) }
        let amended = try Reply.read(AmendResponse.self, reply)
        let event = try EventReply(json: amended.event)
        let replayed = amended.replayed ?? moment.isReplay(event)  // nil from an older trialsd
        ctx.writeOut(Render.recorded(event, replayed: replayed))
    }
}
