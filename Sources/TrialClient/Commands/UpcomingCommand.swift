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

            --ical prints an iCalendar (RFC 5545) file for calendar applications instead: every \
            forecast whose window starts within --within days of today (UTC) and every earlier \
            one, whatever its state, each an all-day event over its window: pending and overdue \
            ones TENTATIVE (an overdue one says so), met ones CONFIRMED, slipped (superseded) \
            ones CANCELLED, so that a calendar subscribed to the file updates the events it \
            holds. Each keeps its UID from one export to the next (expectation-SEQ-TRIAL@trialtrack). \
            With filters, the calendar holds only the matching trials' forecasts and is named after \
            the filters. -o FILE writes it to FILE (put in place once complete) instead of \
            standard output.

            Examples:
              trialctl upcoming --intervention ivonescimab
              trialctl upcoming --all --phase 3 --condition NSCLC --condition "lung cancer"
              trialctl upcoming --within 180 --ical -o /tmp/catalysts.ics
              trialctl upcoming --ical --condition "lung cancer" -o /tmp/lung.ics
            """)

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Windows starting within this many days (0 to \(UpcomingRequest.withinDays.upperBound); default 365).",
            valueName: "days"))
    public var within: Int?

    @Flag(help: "Show met and superseded forecasts too.")
    public var all = false

    @OptionGroup public var filters: FilterOptions

    @Flag(
        help: "Print an iCalendar file of the forecasts (met, overdue and slipped ones too) for calendar applications.")
    public var ical = false

    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("With --ical: write it to this file instead of standard output.", valueName: "file"))
    public var outputFile: String?

    @OptionGroup public var output: TableOutputOptions

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        if let within, !UpcomingRequest.withinDays.contains(Int64(within)) {
            throw UsageError("--within: give 0 to \(UpcomingRequest.withinDays.upperBound) days, not \(within)")
        }
        _ = try filters.filter()
        if outputFile != nil, !ical { throw UsageError("-o/--output: only with --ical") }
        if ical, output.json.isOn { throw UsageError("--ical and --json: give one or the other") }
    }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global)
        if ical {
            return try CalendarExport.write(within: within, filter: try filters.filter(), to: outputFile, session, ctx)
        }
        var p = JSONObject()
        if let within { p["within"] = .int(Int64(within)) }
        if all { p["all"] = .bool(true) }
        try filters.add(to: &p)
        // In pages, as Status lists every trial.
        if output.json.isOn { return try ctx.printJSONList(session, .upcoming, p, list: "milestones", output.json) }
        let items = try session.list(.upcoming, p, list: "milestones") { m, path throws(TrialctlError) in
            try UpcomingReply(json: m, path: path)
        }
        ctx.emit(
            Render.upcoming(items, style: ctx.style(global, full: output.full), legend: !output.noLegend), global,
            legend: !output.noLegend)
    }
}
