import ArgumentParser
import TrialDomain
import TrialProtocol

/// `trialctl log`, in journalctl's manner: the newest events with -n, recording-time bounds
/// with --since/--until, newest first with -r, following with -f.
public struct LogCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show the events of the log, oldest first, as journalctl shows entries.",
        discussion: """
            One line per event: seq, when it was recorded (UTC), trial, type, when it happened, \
            what it says, and who recorded it. Without -n, every event the filters allow; with \
            -n N, the newest N of them, still oldest first (-r: newest first).

            --since and --until bound the recording time (when the event entered the log, not \
            when it happened): a day (YYYY-MM-DD, meaning its start, 00:00 UTC, as journalctl \
            takes a day) or a time (2025-06-01T12:00Z). --after-seq N shows the events after seq \
            N, the cursor a script keeps. -f prints the newest events (-n, default 10) and then \
            each new one as it is recorded, as watch does. --phase, --status, --sponsor, \
            --condition, --intervention and --followed show only the events of the trials that \
            match, as they are now (as for status; with -f, each new event's trial as it is when \
            the event arrives, so that a change that takes a trial out of the filter is not shown).

            --atom prints the events selected (every option above applies) as an Atom feed \
            (RFC 4287) for feed readers instead, newest first; -o FILE writes it to FILE (put \
            in place once complete). The feed's id is the hash of the log's first event with \
            the trial and types asked for (urn:trialtrack:log:HASH/trial/KEY/type/TYPE), the \
            same at every export, and each entry's the event's id (urn:uuid:ID); the feed is \
            updated when its newest event was recorded. Entries carry the event type as a \
            category, and no severity: the log does not record how much a change mattered.

            When -n leaves earlier events out, a last line on standard error says how to see \
            them; "-- No events --" goes there too; --no-legend prints neither.

            Examples:
              trialctl log -n 20 HARMONi-6
              trialctl log --since 2026-06-01 --type readout
              trialctl log -f --type status-changed
              trialctl log -f --phase 3 --condition "lung cancer"
              trialctl log --since 2026-11-01 --atom -o /tmp/changes.xml
              trialctl log --sponsor GORTEC --phase 3
            """)

    @Argument(help: ArgumentHelp("Only this trial's events.", valueName: "trial"), completion: Completion.trials)
    public var trial: String?

    @Option(
        name: [.customShort("n"), .long], parsing: .unconditional,
        help: ArgumentHelp("Show the newest N events (0 or more; with -f, default 10).", valueName: "N"))
    public var lines: Int?

    @Option(help: ArgumentHelp("Only events recorded at or after this day or time.", valueName: "time"))
    public var since: String?

    @Option(help: ArgumentHelp("Only events recorded before this day or time.", valueName: "time"))
    public var until: String?

    @Option(
        name: .customLong("after-seq"), parsing: .unconditional,
        help: ArgumentHelp("Only events after this seq.", valueName: "seq"))
    public var afterSeq: Int64?

    @Option(
        name: .customLong("type"), help: ArgumentHelp("Only events of this type (repeatable).", valueName: "type"),
        completion: Completion.eventTypes)
    public var types: [String] = []

    @Flag(name: [.customShort("r"), .long], help: "Newest first.")
    public var reverse = false

    @Flag(
        name: [.customShort("f"), .long],
        help: "Print the newest events, then each new one as it is recorded (Ctrl-C stops).")
    public var follow = false

    @OptionGroup public var filters: FilterOptions

    @Flag(help: "Print the events as an Atom feed, newest first, for feed readers.")
    public var atom = false

    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("With --atom: write it to this file instead of standard output.", valueName: "file"))
    public var outputFile: String?

    @OptionGroup public var output: TableOutputOptions

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        if let trial { try Check.trial(trial) }
        if let afterSeq, afterSeq < 0 { throw UsageError("--after-seq: a seq is 0 or more, not \(afterSeq)") }
        if let lines, lines < 0 { throw UsageError("-n/--lines: give 0 or more events, not \(lines)") }
        for t in types { try Check.type(t, option: "--type") }
        let q = try query()
        if let s = q.since, let u = q.until, !(s.time < u.time) {
            throw UsageError("--since \(s) is not before --until \(u)")
        }
        if follow, reverse { throw UsageError("-f/--follow and -r/--reverse: give one or the other") }
        if follow, until != nil {
            throw UsageError("-f/--follow and --until: a follow has no end; give one or the other")
        }
        if outputFile != nil, !atom { throw UsageError("-o/--output: only with --atom") }
        if atom, follow { throw UsageError("--atom and -f/--follow: a feed is a file; give one or the other") }
        if atom, output.json.isOn { throw UsageError("--atom and --json: give one or the other") }
    }

    func query() throws -> LogQuery {
        LogQuery(
            trial: trial, types: types, afterSeq: afterSeq,
            since: try since.map { try RecordingTime(parsing: $0, option: "--since") },
            until: try until.map { try RecordingTime(parsing: $0, option: "--until") }, filter: try filters.filter())
    }

    public func execute(_ ctx: Context) throws {
        let query = try query()
        if follow {
            let follower = Follower(
                trial: trial, types: types, filter: query.filter, json: output.json, count: nil, global: global)
            return try follower.run(ctx, showingLast: lines ?? 10, of: query)
        }
        let reader = LogReader(session: try ctx.session(global), query: query)
        var events: [EventReply]
        var earlierUntil: String?
        if let lines {
            let newest = try reader.newest(lines)
            events = newest.events
            if newest.more, let first = events.first { earlierUntil = first.recorded }
        } else {
            events = try reader.all()
        }
        if atom { return try FeedExport.write(events, query: query, to: outputFile, reader.session, ctx) }
        if reverse { events.reverse() }
        if output.json.isOn { return ctx.printJSON(JSONObject([("events", .array(events.map(\.json)))]), output.json) }
        let listing = Render.log(events, earlierUntil: earlierUntil, style: ctx.style(global, full: output.full))
        ctx.emit(listing, global, legend: !output.noLegend)
    }
}
