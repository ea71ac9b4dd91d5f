import ArgumentParser
import TrialDomain
import TrialProtocol

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

            Without TRIAL, --phase, --status, --sponsor, --condition, --intervention and \
            --followed list only the trials that match: each option repeatable (any of its \
            values), the options combined (all of them). Names match whole words, ignoring case \
            and punctuation: --sponsor Akeso matches "Akeso Inc.", --condition "lung cancer" \
            matches "Non-Small-Cell Lung Cancer".

            Examples:
              trialctl status --phase 3 --condition "lung cancer"
              trialctl status --intervention ivonescimab --intervention pembrolizumab
              trialctl status --sponsor gortec --status NOT_YET_RECRUITING
            """)

    @Argument(
        help: ArgumentHelp(
            "The trial: NCT number, EU CT or EudraCT number, sponsor id or acronym.", valueName: "trial"),
        completion: Completion.trials)
    public var trial: String?

    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp("Where things stood on this day (world time).", valueName: "YYYY-MM-DD"))
    public var asOf: String?

    @Option(
        name: .customLong("known-at"),
        help: ArgumentHelp(
            "What the log held at this time (recording time), e.g. 2025-06-01T12:00Z.", valueName: "time"))
    public var knownAt: String?

    @OptionGroup public var filters: FilterOptions

    @OptionGroup public var output: TableOutputOptions

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        if let trial { try Check.trial(trial) }
        let filter = try filters.filter()
        if trial != nil, !filter.isEmpty {
            throw UsageError("TRIAL and the filters (--phase, --status …): give one or the other")
        }
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
        try filters.add(to: &p)
        let style = ctx.style(global, full: output.full)
        guard let trial else {
            // Every trial comes in pages (`more`), each used as it comes: --json prints them as
            // one reply's parameters, the table is made from all of them.
            if output.json.isOn { return try ctx.printJSONList(session, .status, p, list: "trials", output.json) }
            let trials = try session.list(.status, p, list: "trials") { t, path throws(TrialctlError) in
                try TrialReply(json: t, path: path)
            }
            let listing = Render.statusTable(
                trials, style: style, asOf: asOf, knownAt: knownAt, legend: !output.noLegend)
            return ctx.emit(listing, global, legend: !output.noLegend)
        }
        let reply: JSONObject
        switch Result(catching: { () throws(TrialctlError) -> JSONObject in try session.call(.status, p) }) {
        case .success(let r):
            reply = r
        case .failure(let e) where e.status == .noSuchTrial && (asOf != nil || knownAt != nil):
            // Nothing at that point in time is not "no such trial" when it exists now.
            let absence = try PointInTimeAbsence.explain(trial, asOf: asOf, knownAt: knownAt, session)
            return output.json.isOn
                ? ctx.printJSON(JSONObject([("trials", .array([]))]), output.json) : ctx.writeOut(absence.line)
        case .failure(let e):
            throw e
        }
        if output.json.isOn { return ctx.printJSON(reply, output.json) }
        var trials = try Reply.trials(reply)
        guard !trials.isEmpty else { throw TrialctlError("no such trial: \(trial)", status: .noSuchTrial) }
        for i in trials.indices {
            trials[i].retracted = try RetractedEntry.find(
                trial: trials[i].summary.key, asOf: asOf, knownAt: knownAt, session)
        }
        ctx.emit(
            trials.map { Render.statusDetail($0, style: style, asOf: asOf, knownAt: knownAt) }.joined(separator: "\n"),
            global)
    }
}
