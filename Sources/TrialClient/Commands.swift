import ArgumentParser
import TrialDomain
import TrialProtocol

/// ArgumentParser's validation error (TrialDomain has a ValidationError of its own).
typealias UsageError = ArgumentParser.ValidationError

/// A trialctl subcommand: ArgumentParser parses it, `execute` runs it against a Context.
public protocol TrialctlCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func execute(_ ctx: Context) throws
}

extension TrialctlCommand {
    public mutating func run() throws { try execute(Context.process()) }
}

/// Options every command takes.
public struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "trialsd's control socket.",
            discussion: "Default: $TRIALCTL_SOCKET, else the first that accepts a connection of /run/trialsd/control and the user's own socket.",
            valueName: "path"))
    public var socket: String?

    @Flag(name: .long, help: "Do not pipe the output into a pager.")
    public var noPager = false

    @Flag(name: .long, help: "Do not colour the output (as NO_COLOR or SYSTEMD_COLORS=0 do).")
    public var noColor = false

    // `.unconditional`: `--timeout -1` takes -1 as its value, to be refused by validate()
    // with the valid range, instead of ArgumentParser's "missing value" for an option-like -1.
    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp(
            "How long to wait for trialsd's answer, in seconds (0: for ever).",
            discussion: "Default: 90; for verify, rebuild and import, which take longer on a large log, for ever. `watch` waits for events for ever whatever this says.",
            valueName: "seconds"))
    public var timeout: Double?

    public init() {}

    public func validate() throws {
        if let timeout, !(timeout >= 0 && timeout.isFinite) {
            throw UsageError("--timeout: give 0 (for ever) or more seconds, not \(Format.number(timeout))")
        }
    }

    /// The bound on each wait for an answer to a call of this kind; nil: none.
    func answerTimeout(_ wait: AnswerWait) -> Duration? {
        let seconds: Double
        switch wait {
        case .answer: seconds = timeout ?? 90
        case .work: seconds = timeout ?? 0
        case .events: seconds = 0
        }
        return seconds == 0 ? nil : .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}

/// What a command waits for from trialsd, which decides how long it waits.
public enum AnswerWait: Sendable {
    /// An answer that comes in milliseconds: 90 s unless --timeout says otherwise.
    case answer
    /// Work that grows with the log (verify, rebuild, import): for ever unless --timeout says.
    case work
    /// Events, which come when they come (watch): for ever.
    case events
}

/// trialctl's version: the project's.
public let trialctlVersion = trialtrackVersion

/// `-l/--full`, `--json[=MODE]` and `--no-legend`, for the commands that print tables.
public struct TableOutputOptions: ParsableArguments {
    @Flag(name: [.customShort("l"), .long], help: "Do not truncate lines to the terminal's width.")
    public var full = false

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @Flag(help: "Print no header row and no footer (\"3 trials listed.\", where to continue): only the rows.")
    public var noLegend = false

    public init() {}
}

public struct Trialctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trialctl",
        abstract: "Ask and tell trialsd, the system of record for clinical-trial lifecycles.",
        discussion: """
            With no command, trialctl shows the status of every trial.

            trialsd is found at --socket PATH, else at $TRIALCTL_SOCKET, else at the first of \
            these that accepts a connection from you: the system socket /run/trialsd/control, \
            then your own trialsd's, $XDG_RUNTIME_DIR/trialsd/control \
            (/run/user/UID/trialsd/control when XDG_RUNTIME_DIR is not set), or \
            $XDG_STATE_HOME/trialsd/control (~/.local/state/trialsd/control) when you have no \
            runtime directory. Reading needs access to the socket; recording, importing, \
            correcting, retracting and rebuilding need root, the user trialsd runs as, or \
            membership in trialsd's writers group (trialsd --writers-group).

            Output is coloured and uses symbols only on a terminal, and never with NO_COLOR, \
            SYSTEMD_COLORS=0 or --no-color. On a terminal, output longer than the screen goes \
            through $SYSTEMD_PAGER, else $PAGER, else less (with LESS=FRSXMK, or $SYSTEMD_LESS); \
            --no-pager, or a pager of "cat" or "", turns that off. --json (or --json=short) \
            prints the parameters of trialsd's reply as one line of canonical JSON, for scripts; \
            --json=pretty indents it. --no-legend leaves out the header row and the footers of \
            tables, which otherwise go to standard error, out of a pipe. As with systemctl, \
            --socket, --timeout, --no-pager, --no-color, --json, --no-legend and -l/--full may \
            also come before the command (trialctl --json log).

            The shell completions complete trial names (asked of trialsd, if it answers within \
            1.5 s) and event types.

            Exit status: 0 success, 1 failure, 2 usage error, 3 trialsd cannot be reached or \
            did not answer within --timeout, 4 no such trial.
            """,
        version: "trialctl \(trialctlVersion)",
        subcommands: [
            StatusCommand.self, LogCommand.self, RecordCommand.self, ImportCommand.self, CorrectCommand.self,
            RetractCommand.self, WatchCommand.self, UpcomingCommand.self, VerifyCommand.self, RebuildCommand.self,
            StatsCommand.self,
        ])

    public init() {}
}

// MARK: - Validation helpers

enum Check {
    static func type(_ t: String, option: String) throws {
        guard EventType(rawValue: t) != nil else {
            throw UsageError("\(option): unknown event type '\(t)'; the types are \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    static func partialDate(_ s: String, option: String) throws {
        do { _ = try PartialDate(parsing: s) } catch { throw UsageError("\(option): \(error.reason)") }
    }

    static func uuid(_ s: String) throws {
        guard NewEvent.normalisedUUID(s) != nil else { throw UsageError("--id: '\(s)' is not a UUID (8-4-4-4-12 hexadecimal digits)") }
    }

    static func trial(_ s: String) throws {
        do { _ = try TrialReference(s) } catch { throw UsageError(error.reason) }
    }

    static func assignments(_ list: [String]) throws {
        for a in list {
            do { _ = try Input.assignment(a) } catch { throw UsageError(error.message) }
        }
    }
}

/// A parameters object from a literal.
func params(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONObject { JSONObject(pairs.map { ($0.key, $0.value) }) }

extension Context {
    func printJSON(_ reply: JSONObject, _ mode: JSONMode) { writeOut(mode.text(.object(reply))) }

    /// Prints a listing asked for in pages as its single reply would be (`{"trials":[...]}`:
    /// one member, so its text is the pages' items in order), a page at a time: on one line
    /// (`short`), or indented (`pretty`).
    func printJSONList(_ session: Session, _ member: String, _ parameters: JSONObject, list: String, _ mode: JSONMode) throws(TrialctlError) {
        let pretty = mode == .pretty
        var started = false, written = 0
        var out = ""
        try session.pages(member, parameters, list: list) { items, _ in
            out.removeAll(keepingCapacity: true)
            if !started {
                out += "{" + (pretty ? "\n  " : "") + JSONValue.string(list).canonicalText + (pretty ? ": [" : ":[")
                started = true
            }
            for item in items {
                if written > 0 { out += "," }
                out += pretty ? "\n    " + PrettyJSON.text(item, indent: 2) : item.canonicalText
                written += 1
            }
            writeOut(out)
        }
        guard started else { return writeOut(mode.text(.object(JSONObject([(list, .array([]))])))) }
        writeOut(pretty ? (written > 0 ? "\n  ]\n}\n" : "]\n}\n") : "]}\n")
    }
}

// MARK: - status

public struct StatusCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where every trial stands, or one trial in full.",
        discussion: """
            Without TRIAL: a table of every trial with its phase, status, last milestone and next \
            expected milestone. With TRIAL (any of its identifiers or its acronym): its \
            registration, status, dates, timeline with results, and expected milestones.

            --as-of looks at world time: only what had happened by the end of that day. \
            --known-at looks at recording time: what the log held then (a day means its end). \
            Both can be combined. A trial that exists but had nothing to show by then gets one \
            line saying so and what came first (exit status 0). Exit status 4 when no trial goes \
            by TRIAL.
            """)

    @Argument(help: ArgumentHelp("The trial: NCT number, EU CT or EudraCT number, sponsor id or acronym.", valueName: "trial"), completion: Completion.trials)
    public var trial: String?

    @Option(name: .customLong("as-of"), help: ArgumentHelp("Where things stood on this day (world time).", valueName: "YYYY-MM-DD"))
    public var asOf: String?

    @Option(name: .customLong("known-at"), help: ArgumentHelp("What the log held at this time (recording time), e.g. 2025-06-01T12:00Z.", valueName: "time"))
    public var knownAt: String?

    @OptionGroup public var output: TableOutputOptions

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        if let trial { try Check.trial(trial) }
        if let asOf, Day(asOf) == nil { throw UsageError("--as-of: '\(asOf)' is not a day; use YYYY-MM-DD") }
        if let knownAt {
            do { _ = try Timestamp(parsing: knownAt) } catch { throw UsageError("--known-at: \(error.reason)") }
        }
    }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global)
        var p = JSONObject()
        if let trial { p["trial"] = .string(trial) }
        if let asOf { p["asOf"] = .string(asOf) }
        if let knownAt { p["knownAt"] = .string(knownAt) }
        let style = ctx.style(global, full: output.full)
        guard let trial else {
            // Every trial comes in pages (`more`), each used as it comes: --json prints them as
            // one reply's parameters, the table is made from all of them.
            if output.json.isOn { return try ctx.printJSONList(session, "Status", p, list: "trials", output.json) }
            let trials = try session.list("Status", p, list: "trials") { t, path throws(TrialctlError) in try TrialReply(json: t, path: path) }
            let listing = Render.statusTable(trials, style: style, asOf: asOf, knownAt: knownAt, legend: !output.noLegend)
            return ctx.emit(listing, global, legend: !output.noLegend)
        }
        let reply: JSONObject
        switch Result(catching: { () throws(TrialctlError) -> JSONObject in try session.call("Status", p) }) {
        case .success(let r):
            reply = r
        case .failure(let e) where e.status == .noSuchTrial && (asOf != nil || knownAt != nil):
            // Nothing at that point in time is not "no such trial" when it exists now.
            let absence = try PointInTimeAbsence.explain(trial, asOf: asOf, knownAt: knownAt, session)
            return output.json.isOn ? ctx.printJSON(JSONObject([("trials", .array([]))]), output.json) : ctx.writeOut(absence.line)
        case .failure(let e):
            throw e
        }
        if output.json.isOn { return ctx.printJSON(reply, output.json) }
        var trials = try Reply.trials(reply)
        guard !trials.isEmpty else { throw TrialctlError("no such trial: \(trial)", status: .noSuchTrial) }
        for i in trials.indices {
            trials[i].retracted = try RetractedEntry.find(trial: trials[i].summary.key, asOf: asOf, knownAt: knownAt, session)
        }
        ctx.emit(trials.map { Render.statusDetail($0, style: style, asOf: asOf, knownAt: knownAt) }.joined(separator: "\n"), global)
    }
}

// MARK: - record

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

    @Argument(help: ArgumentHelp("The trial: NCT number, EU CT or EudraCT number, sponsor id or acronym.", valueName: "trial"), completion: Completion.trials)
    public var trial: String?

    @Argument(help: ArgumentHelp("The event type (registered, status-changed, readout, …).", valueName: "type"), completion: Completion.eventTypes)
    public var type: String?

    @Argument(help: ArgumentHelp("Payload fields.", valueName: "key=value"))
    public var assignments: [String] = []

    @Option(help: ArgumentHelp("When it happened: YYYY, YYYY-H1, YYYY-Q2, YYYY-MM or YYYY-MM-DD (default: today).", valueName: "date"))
    public var occurred: String?

    @Option(help: ArgumentHelp("Where it comes from: a citation, URL or registry record.", valueName: "text"))
    public var source: String?

    @Option(help: ArgumentHelp("An idempotency key (a UUID).", valueName: "uuid"))
    public var id: String?

    @Option(name: .customLong("expect-version"), parsing: .unconditional, help: ArgumentHelp("Record only if the trial is at this version.", valueName: "n"))
    public var expectVersion: Int64?

    @Flag(help: "The trial is new: start it with this event (only `registered` starts a trial otherwise; --expect-version 0).")
    public var new = false

    @Option(help: ArgumentHelp("The whole payload: a JSON object, or @FILE (@- for standard input).", valueName: "json|@file"))
    public var payload: String?

    @Option(help: ArgumentHelp("Record the events of a JSON Lines file (- for standard input), all or nothing.", valueName: "events.jsonl"))
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
                throw UsageError("--file takes no TRIAL, TYPE, KEY=VALUE or event options: each line of the file gives its event")
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
        if let expectVersion, expectVersion < 0 { throw UsageError("--expect-version: a version is 0 or more, not \(expectVersion)") }
        if new, let expectVersion, expectVersion != 0 { throw UsageError("--new is --expect-version 0; give one of them") }
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
        let reply = try session.call("Append", params(["event": .object(event)]))
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
        let reply = try session.call("AppendMany", params(["events": .array(lines.map { .object($0.event) })]))
        if json.isOn { return ctx.printJSON(reply, json) }
        // trialsd says which were replays; one that does not (older) is told by the clock.
        let flags = reply["replayed"]?.arrayValue?.map { $0 == .bool(true) }
        var index = 0
        ctx.writeOut(try Render.appendedMany(reply) { e in
            defer { index += 1 }
            if let flags, index < flags.count { return flags[index] }
            return moment.isReplay(e)
        })
    }
}

// MARK: - import

public struct ImportCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import ClinicalTrials.gov study records, recording only what changed.",
        discussion: """
            Each FILE holds ClinicalTrials.gov API v2 study JSON: one study, an array of studies, \
            or a page {"studies": [...]}; - reads standard input. Each file is imported all or \
            nothing; when one fails, the others are still imported and the exit status is 1. For \
            each trial, trialctl says what was recorded and how much it matters (critical, \
            notable, minor), or that it was unchanged.

            Example:
              curl -s https://clinicaltrials.gov/api/v2/studies/NCT07264075 \\
                  | trialctl import -
            """)

    @Argument(help: ArgumentHelp("Study JSON files (- for standard input).", valueName: "file"))
    public var files: [String] = []

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        guard !files.isEmpty else { throw UsageError("Missing expected argument '<file> ...' (- for standard input)") }
        guard files.filter({ $0 == "-" }).count <= 1 else { throw UsageError("standard input (-) can be read only once") }
    }

    /// Errors about one file's content: report them and go on with the next file.
    static let perFileErrors: Set<String> = [
        "InvalidImport", "InvalidEvent", "Contradiction", "IdentifierTaken", "WrongExpectedVersion", "RequestTooLarge",
        "MalformedRequest", "IdConflict",
    ]

    /// The document sent for a file: an array is wrapped as {"studies": [...]}.
    public static func document(_ bytes: [UInt8], name: String) throws(TrialctlError) -> JSONObject {
        let v = try Input.json(bytes, name: name)
        switch v {
        case .object(let o): return o
        case .array(let a): return JSONObject([("studies", .array(a))])
        default: throw .failure("\(name): expected a study, an array of studies or {\"studies\": [...]}, got \(v.kindName)")
        }
    }

    /// What went wrong with file `name` alone (reading or parsing it, or an error in
    /// `perFileErrors`), as a sentence; any other error is thrown.
    static func fileError(_ error: Error, name: String, _ context: ErrorContext) throws(TrialctlError) -> TrialctlError {
        if let e = error as? TrialctlError { return e }
        guard case ClientError.remote(var e)? = error as? ClientError, perFileErrors.contains(e.shortName) else {
            throw ErrorText.convert(error, context: context)
        }
        var context = context
        context.batchFile = name
        if e.shortName == "InvalidImport" { return ErrorText.describe(e, context: context) }
        // The index counts the events planned from the file, not its lines: name the file.
        e.parameters["index"] = nil
        var t = ErrorText.describe(e, context: context)
        t.message = "\(name): " + t.message
        return t
    }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global, action: "importing", wait: .work)
        var failed = false
        for file in files {
            let name = Input.displayName(file)
            let reply: JSONObject
            do {
                let document = try Self.document(try ctx.read(file), name: name)
                reply = try session.transport.call(TrialsInterface.method("Import"), params(["document": .object(document), "file": .string(name)]))
            } catch {
                // This file could not be read, parsed or imported: say so, and go on with the next.
                let e = try Self.fileError(error, name: name, session.context)
                if files.count == 1 { throw e }
                ctx.writeErr("trialctl: \(e.message)\n")
                failed = true
                continue
            }
            if json.isOn { ctx.printJSON(reply, json) } else { ctx.writeOut(try Render.imported(reply, style: ctx.style(global))) }
        }
        if failed { throw TrialctlError.silent(.failure) }
    }
}

// MARK: - correct, retract

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

    @Option(help: ArgumentHelp("The whole replacement payload: a JSON object, or @FILE (@- for standard input).", valueName: "json|@file"))
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
            session.context.payloadHas = "seq \(seq)'s payload, a \(current.type), has "
                + (base.members.isEmpty ? "no fields" : base.members.map(\.key).joined(separator: ", "))
        }
        // trialsd validates the replacement as a corrected event's `payload.payload`.
        session.context.payloadPath = "payload.payload"
        let newPayload = try Input.payload(option: payload, assignments: assignments, base: base, read: ctx.read)
        p["payload"] = .object(newPayload)
        try amendment.send("Correct", p, session, ctx)
    }

    /// The payload event `seq` has now (its own, or its latest correction's), and the version
    /// its trial had when it was read.
    static func currentPayload(of seq: Int64, _ session: Session) throws(TrialctlError) -> (payload: JSONObject, trialVersion: Int64, type: String) {
        let first = try Reply.events(try session.call("Log", params(["since": .int(seq - 1), "limit": 1])))
        guard let event = first.first, event.seq == seq else { throw .failure("no such event: seq \(seq)") }
        guard case .object(var payload) = event.payload else { throw Reply.unexpected("events[0].payload", "expected an object") }
        var version = event.version
        var since = seq
        let limit = JSONValue.int(Int64(TrialsInterface.maximumLogLimit))
        // Every later event of the trial, in seq order: its corrections of `seq`, and its last
        // version (events recorded while this reads land on later pages).
        while true {
            let reply = try session.call("Log", params(["trial": .string(event.trial), "since": .int(since), "limit": limit]))
            for e in try Reply.events(reply) {
                version = max(version, e.version)
                if e.type == "corrected", e.payload["target"]?.int64Value == seq, case .object(let replaced)? = e.payload["payload"] {
                    payload = replaced
                }
            }
            guard let next = reply["next"]?.int64Value, next > since else { break }
            since = next
        }
        return (payload, version, event.type)
    }
}

public struct RetractCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "retract",
        abstract: "Withdraw an earlier event, saying why.",
        discussion: "The original event stays in the log; the trial's state is folded without it.")

    @Argument(help: ArgumentHelp("The seq of the event to retract.", valueName: "seq"))
    public var seq: Int64

    @OptionGroup public var amendment: AmendmentOptions

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws { try amendment.validate(seq: seq) }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global, action: "recording")
        try amendment.send("Retract", amendment.parameters(seq: seq), session, ctx)
    }
}

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
    func send(_ method: String, _ p: JSONObject, _ session: Session, _ ctx: Context) throws {
        let moment = CallMoment(ctx.now())
        let reply = try session.call(method, p)
        if json.isOn { return ctx.printJSON(reply, json) }
        let amended = try Reply.read(AmendResponse.self, reply)
        let event = try EventReply(json: amended.event)
        let replayed = amended.replayed ?? moment.isReplay(event)  // nil from an older trialsd
        ctx.writeOut(Render.recorded(event, replayed: replayed))
    }
}

// MARK: - upcoming

public struct UpcomingCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "upcoming",
        abstract: "Show expected milestones in window order.",
        discussion: """
            The forecasts still open (pending, or overdue) whose window starts within --within days \
            (365 by default; overdue ones always), earliest window first. --all shows met and \
            superseded forecasts too.
            """)

    @Option(parsing: .unconditional, help: ArgumentHelp("Windows starting within this many days (0 to \(TrialsInterface.withinDays.upperBound); default 365).", valueName: "days"))
    public var within: Int?

    @Flag(help: "Show met and superseded forecasts too.")
    public var all = false

    @OptionGroup public var output: TableOutputOptions

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        if let within, !TrialsInterface.withinDays.contains(Int64(within)) {
            throw UsageError("--within: give 0 to \(TrialsInterface.withinDays.upperBound) days, not \(within)")
        }
    }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global)
        var p = JSONObject()
        if let within { p["within"] = .int(Int64(within)) }
        if all { p["all"] = .bool(true) }
        // In pages, as Status lists every trial.
        if output.json.isOn { return try ctx.printJSONList(session, "Upcoming", p, list: "milestones", output.json) }
        let items = try session.list("Upcoming", p, list: "milestones") { m, path throws(TrialctlError) in try UpcomingReply(json: m, path: path) }
        ctx.emit(Render.upcoming(items, style: ctx.style(global, full: output.full), legend: !output.noLegend), global, legend: !output.noLegend)
    }
}

// MARK: - verify, rebuild, stats

public struct VerifyCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Walk the hash chain and report the first broken seq.",
        discussion: "Exit status 1 when the chain is broken.")

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ ctx: Context) throws {
        let reply = try ctx.session(global, wait: .work).call("Verify")
        if json.isOn { ctx.printJSON(reply, json) } else { ctx.writeOut(Render.verify(reply, style: ctx.style(global))) }
        if reply["ok"] != .bool(true) { throw TrialctlError.silent(.failure) }
    }
}

public struct RebuildCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Drop the projections and rebuild them from the log.")

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ ctx: Context) throws {
        let reply = try ctx.session(global, action: "rebuilding the projections", wait: .work).call("Rebuild")
        if json.isOn { return ctx.printJSON(reply, json) }
        ctx.writeOut(Render.rebuilt(reply))
    }
}

public struct StatsCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show figures about the log, the database and trialsd.")

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ ctx: Context) throws {
        let reply = try ctx.session(global).call("Stats")
        if json.isOn { return ctx.printJSON(reply, json) }
        ctx.emit(Render.stats(reply, style: ctx.style(global)), global)
    }
}
