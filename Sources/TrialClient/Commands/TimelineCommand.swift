import ArgumentParser
import TrialDomain
import TrialExports
import TrialProtocol

/// `trialctl timeline TRIAL…`: a picture of trials over world time, as SVG.
public struct TimelineCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Draw trials over time as an SVG picture.",
        discussion: """
            One row per TRIAL, in the order given: its status over time as coloured bands, its \
            milestones (readouts, presentations, publications, regulatory steps) as marks, and \
            its forecasts as windows (pending, overdue, met or slipped), on one time axis, with \
            a line at today. The SVG is self-contained (no fonts, images, scripts or links): \
            open it in a browser, or put it in a page.

            Without -o, the SVG goes to standard output. --today sets the day the picture is \
            drawn for (default: today, UTC). Exit status 4 when no trial goes by a TRIAL.

            Examples:
              trialctl timeline HARMONi-2 HARMONi-A HARMONi-6 -o /tmp/programme.svg
              trialctl timeline HARMONi-6 --today 2026-06-30 > /dev/null
            """)

    @Argument(
        help: ArgumentHelp(
            "The trials: NCT number, EU CT or EudraCT number, sponsor id or acronym.", valueName: "trial"),
        completion: Completion.trials)
    public var trials: [String] = []

    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("Write the SVG to this file instead of standard output.", valueName: "file"))
    public var outputFile: String?

    @Option(help: ArgumentHelp("Draw the picture as of this day (default: today, UTC).", valueName: "YYYY-MM-DD"))
    public var today: String?

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        guard !trials.isEmpty else { throw UsageError("name at least one trial: trialctl timeline TRIAL…") }
        for t in trials { try Check.trial(t) }
        if let today, Day(today) == nil { throw UsageError("--today: '\(today)' is not a day; use YYYY-MM-DD") }
    }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global)
        var views: [TrialView] = []
        var seen = Set<String>()
        for trial in trials {
            // Each in full (timeline and forecasts); NoSuchTrial says "did you mean".
            for t in try Reply.trials(try session.call(.status, params(["trial": .string(trial)])))
            where seen.insert(t.summary.key).inserted {
                views.append(
                    TrialView(summary: t.summary, timeline: t.timeline ?? [], expectations: t.expectations ?? []))
            }
        }
        let day = today.flatMap { Day($0) } ?? ctx.now().day
        try ExportSink.write(TimelineSVG.render(views, today: day), to: outputFile, ctx)
    }
}
