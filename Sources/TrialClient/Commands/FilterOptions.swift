import ArgumentParser
import TrialDomain
import TrialProtocol

/// `--phase`, `--status`, `--sponsor`, `--condition`, `--intervention` (each repeatable: any
/// of the values) and `--followed`, for `status`, `upcoming` and `log`: trialsd's filters
/// (`TrialFilter`), checked here first so that a wrong phase or status is a usage error
/// naming the valid ones.
public struct FilterOptions: ParsableArguments {
    @Option(
        name: .customLong("phase"),
        help: ArgumentHelp(
            "Only trials in this phase: \(PhaseTerm.allCases.map(\.rawValue).joined(separator: ", ")) (3 also matches Phase 2/3 trials; repeatable).",
            valueName: "phase"))
    public var phases: [String] = []

    @Option(
        name: .customLong("status"),
        help: ArgumentHelp(
            "Only trials with this status, e.g. recruiting, active-not-recruiting (or the registry's RECRUITING; repeatable).",
            valueName: "status"),
        completion: .list(TrialStatus.allCases.map(\.rawValue)))
    public var statuses: [String] = []

    @Option(
        name: .customLong("sponsor"),
        help: ArgumentHelp(
            "Only trials whose sponsor or a collaborator has these whole words, ignoring case (repeatable).",
            valueName: "name"))
    public var sponsors: [String] = []

    @Option(
        name: .customLong("condition"),
        help: ArgumentHelp("Only trials with a condition that has these whole words (repeatable).", valueName: "words"))
    public var conditions: [String] = []

    @Option(
        name: .customLong("intervention"),
        help: ArgumentHelp(
            "Only trials with an intervention that has these whole words (repeatable).", valueName: "words"))
    public var interventions: [String] = []

    @Flag(help: "Only trials whose NCT number is followed (a followed search does not count).")
    public var followed = false

    public init() {}

    /// The filters, as trialsd reads them; a usage error names a value that matches nothing.
    public func filter() throws -> TrialFilter {
        func list(_ v: [String]) -> JSONValue? { v.isEmpty ? nil : .array(v.map { .string($0) }) }
        let given: [(String, JSONValue?)] = [
            ("phases", list(phases)), ("statuses", list(statuses)), ("sponsors", list(sponsors)),
            ("conditions", list(conditions)),
            ("interventions", list(interventions)), ("followed", followed ? .bool(true) : nil),
        ]
        do {
            return try TrialFilter(parameters: JSONObject(given.compactMap { k, v in v.map { (k, $0) } }))
        } catch {
            throw UsageError(ErrorText.sentence(error, context: ErrorContext()).0)
        }
    }

    /// Adds the filters to a call's parameters.
    func add(to p: inout JSONObject) throws {
        try filter().add(to: &p)
    }
}
