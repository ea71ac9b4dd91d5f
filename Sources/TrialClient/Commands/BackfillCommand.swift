import ArgumentParser
import Foundation
import RegistryClient
import RegistrySync
import TrialDomain
import TrialProtocol

public struct BackfillCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Record the registry's past versions of trials as events, so that --as-of reaches back.",
        discussion: """
            For each trial, reads the versions ClinicalTrials.gov lists in its history and, \
            oldest first, records what each version changed, dated on the version's date, with \
            a source naming it (ClinicalTrials.gov NCT06388018 version 1, 2024-06-01). Versions \
            whose changes touch nothing trialtrack records (contacts, locations, references, \
            eligibility …) are not fetched. Each version is planned against the trial as it \
            stood on its date, so the past slots in beside what was already recorded, and a \
            second backfill records nothing. Needs writing rights.

            Example:
              trialctl backfill NCT06388018 --dry-run
            """)

    @Argument(help: ArgumentHelp("Trials, by NCT number.", valueName: "nct"))
    public var trials: [String] = []

    @OptionGroup public var registry: RegistryOptions

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        guard !trials.isEmpty else { throw UsageError("Missing expected argument '<nct> ...'") }
        for t in trials where (try? FollowTarget.trial(t).validated()) == nil {
            throw UsageError("\(t): not an NCT number (NCT followed by 8 digits, e.g. NCT06388018)")
        }
    }

    public func execute(_ ctx: Context) throws {
        let client = try registry.client(ctx)
        let session = try ctx.session(global, action: "backfilling", wait: .work)
        let dryRun = registry.dryRun
        let progress = ProgressLine(ctx, enabled: isatty(2) == 1 && !json.isOn)
        let style = ctx.style(global)
        var refused = false
        for t in trials {
            let nct = (try? FollowTarget.trial(t).validated())?.text ?? t
            let changes = ChangeWriter(ctx, json: json, style: style)
            let backfill = Backfill(registry: client, target: SocketSyncTarget(session: session) { changes.write($0) })
            let outcome: Result<Backfill.Report, SyncFailure> = waitFor {
                () async -> Result<Backfill.Report, SyncFailure> in
                do throws(SyncFailure) {
                    return .success(
                        try await backfill.run(nctId: nct, dryRun: dryRun) { done, of in
                            progress.show("\(nct): version \(done) of \(of)")
                        })
                } catch { return .failure(error) }
            }
            progress.clear()
            switch outcome {
            case .success(let report):
                if json.isOn {
                    changes.finish(
                        report.summary, error: nil,
                        extra: [
                            ("nctId", .string(nct)), ("versionsListed", .int(Int64(report.listed))),
                            ("versionsFetched", .int(Int64(report.fetched))),
                            ("versionsSkipped", .int(Int64(report.skipped))),
                        ])
                } else {
                    ctx.writeOut(
                        "backfill \(nct): \(report.listed) versions listed, \(report.fetched) fetched, \(report.skipped) touching nothing recorded; \(report.summary.line)\n"
                    )
                }
                for r in report.summary.refused { ctx.writeErr("trialctl: \(nct): refused: \(r.reason)\n") }
                refused = refused || !report.summary.refused.isEmpty
            case .failure(let failure):
                if json.isOn {
                    changes.finish(failure.completed, error: failure.reason, extra: [("nctId", .string(nct))])
                }
                throw TrialctlError.failure("backfill \(nct): \(failure.reason)")
            }
        }
        if refused { throw TrialctlError.silent(.failure) }
    }
}
