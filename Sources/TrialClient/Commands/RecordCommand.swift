import ArgumentParser
import TrialDomain
import TrialProtocol

public struct RecordCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record an event, or a file of events.",
        usage: """
            trialctl record <trial> <type> [--occurred <date>] [--source <text>] [--id <uuid>] [--expect-version <n> | --new] [--payload <json>|@<file>] [<key>=<value> ...]
            trialctl record --file <events.jsonl>
            """,
        discussion: """
            KEY=VALUE sets a top-level field of the payload. The value is taken as JSON when it \
            is a JSON number, boolean, array, object or quoted string (count=780, \
            endpoints='["OS"]', abstract='"780"'), else as the plain string typed \
            (status=recruiting); fields that are always text stay text (window=2027, \
            abstract=8508, venue, milestone, citation, agency …). \
            --payload gives the whole payload, inline or from a file (@FILE, @- for standard \
            input); KEY=VALUE then overrides its fields.

            Examples:
              trialctl record NCT07264075 status-changed --occurred 2026-02 \\
                  status=recruiting
              trialctl record HARMONi-2 milestone-expected --source "my estimate" \\
                  milestone=readout:OS window=2027

            --file reads one event object a line (JSON Lines; - for standard input; blank lines \
            are skipped) in the form of the event contract: {"trial", "type", "occurred", \
            "source", "id", "expectedVersion", "payload"}. They are recorded all or nothing.

            A trial starts with its `registered` event: an event of another type for a name no \
            trial goes by is refused (exit 4, with the closest name: a typo never starts a \
            trial), unless --new says the trial is new on purpose.

            With --expect-version, the event is recorded only if the trial is at that version \
            (0: only if the trial is new). With --id, recording the same event again is harmless.
            """)

    @Argument(
        help: ArgumentHelp(
            "The trial: NCT number, EU CT or EudraCT number, sponsor id or acronym.", valueName: "trial"),
        completion: Completion.trials)
    public var trial: String?

    @Argument(
        help: ArgumentHelp("The event type (registered, status-changed, readout, …).", valueName: "type"),
        completion: Completion.eventTypes)
    public var type: String?

    @Argument(help: ArgumentHelp("Payload fields.", valueName: "key=value"))
    public var assignments: [String] = []

    @Option(
        help: ArgumentHelp(
            "When it happened: YYYY, YYYY-H1, YYYY-Q2, YYYY-MM or YYYY-MM-DD (default: today).", valueName: "date"))
    public var occurred: String?

    @Option(help: ArgumentHelp("Where it comes from: a citation, URL or registry record.", valueName: "text"))
    public var source: String?

    @Option(help: ArgumentHelp("An idempotency key (a UUID).", valueName: "uuid"))
    public var id: String?

    @Option(
        name: .customLong("expect-version"), parsing: .unconditional,
        help: ArgumentHelp("Record only if the trial is at this version.", valueName: "n"))
    public var expectVersion: Int64?

    @Flag(
        help:
            "The trial is new: start it with this event (only `registered` starts a trial otherwise; --expect-version 0)."
    )
    public var new = false

    @Option(
        help: ArgumentHelp(
            "The whole payload: a JSON object, or @FILE (@- for standard input).", valueName: "json|@file"))
    public var payload: String?

    @Option(
        help: ArgumentHelp(
            "Record the events of a JSON Lines file (- for standard input), all or nothing.", valueName: "events.jsonl")
    )
    public var file: String?

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        if file != nil {
            guard trial == nil, type == nil, assignments.isEmpty, occurred == nil, source == nil, id == nil,
                expectVersion == nil, payload == nil, !new
            else {
                throw UsageError(
                    "--file takes no TRIAL, TYPE, KEY=VALUE or event options: each line of the file gives its event")
            }
            return
        }
        guard let trial else { throw UsageError("Missing expected argument '<trial>' (or --file)") }
        guard let type else { throw UsageError("Missing expected argument '<type>'") }
        try Check.trial(trial)
        try Check.type(type, option: "TYPE")
        try Check.assignments(assignments)
        if let occurred { try Check.partialDate(occurred, option: "--occurred") }
        if let id { try Check.uuid(id) }
        if let expectVersion, expectVersion < 0 {
            throw UsageError("--expect-version: a version is 0 or more, not \(expectVersion)")
        }
        if new, let expectVersion, expectVersion != 0 {
            throw UsageError("--new is --expect-version 0; give one of them")
        }
    }

    public func execute(_ ctx: Context) throws {
        if let file { return try recordFile(file, ctx) }
        var event = JSONObject()
        event["trial"] = trial.map { .string($0) }
        event["type"] = type.map { .string($0) }
        if let occurred { event["occurred"] = .string(occurred) }
        if let source { event["source"] = .string(source) }
        if let id { event["id"] = .string(id) }
        if let expectVersion { event["expectedVersion"] = .int(expectVersion) }
        if new { event["expectedVersion"] = .int(0) }
        event["payload"] = .object(try Input.payload(option: payload, assignments: assignments, read: ctx.read))
        let session = try ctx.session(global, action: "recording")
        let reply = try session.call(.append, params(["event": .object(event)]))
        if json.isOn { return ctx.printJSON(reply, json) }
        ctx.writeOut(try Render.appended(reply))
    }

    func recordFile(_ file: String, _ ctx: Context) throws {
        let name = Input.displayName(file)
        let lines = try Input.jsonLines(try ctx.read(file), name: name)
        guard !lines.isEmpty else { throw TrialctlError.failure("\(name) holds no events") }
        let session = try ctx.session(global, action: "recording")
        session.context.batchFile = name
        session.context.batchLines = lines.map(\.line)
        let moment = CallMoment(ctx.now())
        let reply = try session.call(.appendMany, params(["events": .array(lines.map { .object($0.event) })]))
        if json.isOn { return ctx.printJSON(reply, json) }
        // trialsd says which were replays; one that does not (older) is told by the clock.
        let flags = try Reply.read(AppendManyResponse.self, reply).replayed
        var index = 0
        ctx.writeOut(
            try Render.appendedMany(reply) { e in
                defer { index += 1 }
                if let flags, index < flags.count { return flags[index] }
                return moment.isReplay(e)
            })
    }
}
