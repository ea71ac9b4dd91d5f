import ArgumentParser
import TrialDomain
import TrialProtocol

public struct UpcomingCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "upcoming",
        abstract: "Show expected milestones in window order.",
        discussion: """
            The forecasts still open (pending, or overdue) whose window starts within --within days \
            (365 by default; overdue ones always), earliest window first. --all shows met and \
            superseded forecasts too. --phase, --status, --sponsor, --condition, --intervention \
            and --followed show only the trials that match, as for status.

            Examples:
              trialctl upcoming --intervention ivonescimab
              trialctl upcoming --all --phase 3 --condition NSCLC --condition "lung cancer"
            """)

    @Option(parsing: .unconditional, help: ArgumentHelp("Windows starting within this many days (0 to \(UpcomingRequest.withinDays.upperBound); default 365).", valueName: "days"))
    public var within: Int?

    @Flag(help: "Show met and superseded forecasts too.")
    public var all = false

    @OptionGroup public var filters: FilterOptions

    @OptionGroup public var output: TableOutputOptions

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        if let within, !UpcomingRequest.withinDays.contains(Int64(within)) {
            throw UsageError("--within: give 0 to \(UpcomingRequest.withinDays.upperBound) days, not \(within)")
        }
        _ = try filters.filter()
    }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global)
        var p = JSONObject()
        if let within { p["within"] = .int(Int64(within)) }
        if all { p["all"] = .bool(true) }
        try filters.add(to: &p)
        // In pages, as Status lists every trial.
        if output.json.isOn { return try ctx.printJSONList(session, .upcoming, p, list: "milestones", output.json) }
        let items = try session.list(.upcoming, p, list: "milestones") { m, path throws(TrialctlError) in try UpcomingReply(json: m, path: path) }
        ctx.emit(Render.upcoming(items, style: ctx.style(global, full: output.full), legend: !output.noLegend), global, legend: !output.noLegend)
    }
}
