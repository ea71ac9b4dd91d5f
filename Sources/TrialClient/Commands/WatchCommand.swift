import ArgumentParser
import TrialDomain
import TrialProtocol

/// `trialctl watch`: the last events, then each new one, as `journalctl -f`.
public struct WatchCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow the log: print the last events, then each event as it is recorded.",
        discussion: """
            First the newest 10 events (-n N for another number, -n 0 for none), as journalctl -f \
            shows the last entries, then each new one, with no gap and no duplicate. With \
            --since SEQ, the events after SEQ instead of the newest ones. If trialsd drops \
            trialctl for falling behind, trialctl says so on standard error and resumes where it \
            was. --phase, --status, --sponsor, --condition, --intervention and --followed show \
            only the events of the trials that match, each new one's trial as it is when the event \
            arrives. --json prints one event a line. Stop with Ctrl-C. `trialctl log -f` is the same.
            """)

    @Argument(help: ArgumentHelp("Only this trial's events.", valueName: "trial"), completion: Completion.trials)
    public var trial: String?

    @Option(
        name: [.customShort("n"), .long], parsing: .unconditional,
        help: ArgumentHelp("Show the newest N events first (default 10; 0: none).", valueName: "N"))
    public var lines: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Start after this seq (0: the whole log) instead of the newest events.", valueName: "seq"))
    public var since: Int64?

    @Option(
        name: .customLong("type"), help: ArgumentHelp("Only events of this type (repeatable).", valueName: "type"),
        completion: Completion.eventTypes)
    public var types: [String] = []

    @OptionGroup public var filters: FilterOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Exit after this many events (1 or more).", valueName: "n"))
    public var count: Int?

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        if let trial { try Check.trial(trial) }
        if let since, since < 0 { throw UsageError("--since: a seq is 0 or more, not \(since)") }
        if let count, count < 1 { throw UsageError("--count: give 1 or more events, not \(count)") }
        if let lines, lines < 0 { throw UsageError("-n/--lines: give 0 or more events, not \(lines)") }
        if lines != nil, since != nil { throw UsageError("-n/--lines and --since: give one or the other") }
        for t in types { try Check.type(t, option: "--type") }
        _ = try filters.filter()
    }

    public func execute(_ ctx: Context) throws {
        let filter = try filters.filter()
        let follower = Follower(trial: trial, types: types, filter: filter, json: json, count: count, global: global)
        if let since { return try follower.run(ctx, since: since) }
        let n = lines ?? 10
        // No Log call when no events are to be shown: Subscribe from now on.
        if n == 0 { return try follower.run(ctx, since: nil) }
        try follower.run(ctx, showingLast: n, of: LogQuery(trial: trial, types: types, filter: filter))
    }
}
