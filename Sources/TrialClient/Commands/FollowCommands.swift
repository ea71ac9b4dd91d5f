import ArgumentParser
import TrialDomain
import TrialProtocol

/// The targets of `follow` and `unfollow`: trials by any name, and searches.
public struct FollowTargets: ParsableArguments {
    @Argument(help: ArgumentHelp("Trials, by NCT number or any name the log knows.", valueName: "trial"))
    public var trials: [String] = []

    @Option(
        name: .customLong("query"),
        help: ArgumentHelp(
            "A ClinicalTrials.gov search, as its API's query.term takes it (repeatable).", valueName: "search"))
    public var queries: [String] = []

    public init() {}

    public func validate() throws {
        guard !trials.isEmpty || !queries.isEmpty else { throw UsageError("give trials, or a search with --query") }
    }
}

public struct FollowCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Follow trials and searches on ClinicalTrials.gov.",
        discussion: """
            `trialctl sync` (and trialtrack-sync.timer, weekdays after the registry's refresh) then \
            records what changes in each followed trial, and in every trial a followed search \
            finds. A trial may be named by any name the log knows (it must have an NCT number) or \
            by an NCT number the log does not know yet. Following what is followed changes \
            nothing. Needs writing rights; who followed and when are recorded.

            Examples:
              trialctl follow NCT05499390 HARMONi-A
              trialctl follow --query 'AREA[InterventionName]ivonescimab'
            """)

    @OptionGroup public var targets: FollowTargets

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ ctx: Context) throws {
        let request = FollowRequest(trials: targets.trials, queries: targets.queries)
        let reply = try ctx.session(global, action: "following").call(.follow, request.parameters)
        if json.isOn { return ctx.printJSON(reply, json) }
        let r = try FollowResponse(parameters: reply)
        for (f, again) in zip(r.follows, r.alreadyFollowed) {
            ctx.writeOut(
                again
                    ? "already following \(f.target) (since \(Format.recorded(f.addedAt)), by \(f.addedBy))\n"
                    : "following \(f.target)\n")
        }
    }
}

public struct UnfollowCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "unfollow",
        abstract: "Stop following trials or searches.",
        discussion: """
            The trials' events stay in the log; the follow stays in the database with who \
            stopped it and when. What was not followed is said on standard error.

            Example:
              trialctl unfollow --query 'AREA[InterventionName]ivonescimab'
            """)

    @OptionGroup public var targets: FollowTargets

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ ctx: Context) throws {
        let request = UnfollowRequest(trials: targets.trials, queries: targets.queries)
        let reply = try ctx.session(global, action: "unfollowing").call(.unfollow, request.parameters)
        if json.isOn { return ctx.printJSON(reply, json) }
        let r = try UnfollowResponse(parameters: reply)
        for t in r.unfollowed { ctx.writeOut("no longer following \(t)\n") }
        for t in r.notFollowed { ctx.writeErr("trialctl: \(t) was not followed\n") }
    }
}

public struct FollowingCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "following",
        abstract: "List what is followed on ClinicalTrials.gov, and how each one's last sync went.",
        discussion: """
            One row per follow: the trial or search, since when and by whom, the registry's data \
            date up to which everything was fetched (WATERMARK), the last successful sync, and \
            its state: ok, never synced, or failing with the last error.

            Example:
              trialctl following
            """)

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @Flag(name: .long, help: "Print the rows without the header and footer.")
    public var noLegend = false

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ ctx: Context) throws {
        let reply = try ctx.session(global).call(.following)
        if json.isOn { return ctx.printJSON(reply, json) }
        let r = try FollowingResponse(parameters: reply)
        let style = ctx.style(global)
        var table = Table(
            [
                Table.Column("FOLLOWING", shrinkPriority: 1, minWidth: 14), Table.Column("SINCE"),
                Table.Column("BY", shrinkPriority: 2),
                Table.Column("WATERMARK"), Table.Column("LAST SUCCESS"),
                Table.Column("STATE", shrinkPriority: 0, minWidth: 10),
            ],
            showHeader: !noLegend)
        for f in r.follows {
            let state: Table.Cell
            if f.isFailing {
                state = Table.Cell("failing: \(f.lastError ?? "?")", .red)
            } else if f.lastSuccessAt == nil {
                state = Table.Cell("never synced", .yellow)
            } else {
                state = Table.Cell("ok")
            }
            let what = f.target.kind == "query" ? "query \(f.target.text)" : f.target.text
            table.add([
                Table.Cell(what), Table.Cell(String(f.addedAt.prefix(10))), Table.Cell(f.addedBy),
                Table.Cell(f.watermark?.description ?? "-"), Table.Cell(f.lastSuccessAt.map(Format.recorded) ?? "-"),
                state,
            ])
        }
        ctx.emit(table.render(style).joined(separator: "\n") + (r.follows.isEmpty && noLegend ? "" : "\n"), global)
        if !noLegend {
            let failing = r.follows.filter(\.isFailing).count
            ctx.writeErr(
                "\n\(Wording.count(r.follows.count, "follow"))" + (failing > 0 ? ", \(failing) failing" : "") + ".\n")
        }
    }
}
