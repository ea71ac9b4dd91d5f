import ArgumentParser
import ClinicalTrialsGov
import Foundation
import RegistryClient
import RegistrySync
import Synchronization
import Systemd
import TrialDomain
import TrialProtocol

/// The options `sync` and `backfill` share: where the registry is and how politely to ask it.
public struct RegistryOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The ClinicalTrials.gov site root to ask.",
            discussion:
                "Default: $TRIALTRACK_CTGOV_URL, else https://clinicaltrials.gov (a mirror or a stand-in for tests).",
            valueName: "url"))
    public var apiURL: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds between requests to the registry (default 1, as the registry asks).", valueName: "seconds"))
    public var interval: Double = 1

    @Flag(name: .long, help: "Show what would be recorded, and record nothing.")
    public var dryRun = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Records asked for per page, 1 to 1000 (default 1000, the most the registry gives).", valueName: "n"))
    public var pageSize: Int = 1000

    public init() {}

    public func validate() throws {
        guard interval >= 0, interval <= 60, interval.isFinite else {
            throw UsageError("--interval: give 0 to 60 seconds, not \(interval)")
        }
        guard (1...1000).contains(pageSize) else {
            throw UsageError("--page-size: give 1 to 1000 records, not \(pageSize)")
        }
    }

    func client(_ ctx: Context) throws(TrialctlError) -> RegistryClient {
        let site: CTGovSite
        do { site = try CTGovSite.resolve(apiURL: apiURL, environment: ctx.environment) } catch {
            throw TrialctlError.usage("--api-url: \(error.reason)")
        }
        let writeErr = ctx.writeErr
        let notices = NoticeSink(writeErr)
        return RegistryClient(
            site: site,
            fetcher: PoliteFetcher(
                userAgent: RegistryClient.userAgent(version: trialtrackVersion), requestInterval: interval,
                onRetry: { n in
                    notices.say(
                        "trialctl: GET \(n.url): \(n.problem); trying again in \(Format.number(n.wait)) s (attempt \(n.attempt + 1))\n"
                    )
                }))
    }
}

/// Lines for standard error from another thread (the fetcher's retries).
final class NoticeSink: Sendable {
    private let write: @Sendable (String) -> Void
    init(_ write: @escaping (String) -> Void) {
        // Called from the sync's task while the command's thread waits for it (`waitFor`): one
        // writer at a time, so Context's writers (a file descriptor, or a test's buffer) need no lock.
        nonisolated(unsafe) let w = write
        self.write = { w($0) }
    }
    func say(_ line: String) { write(line) }
}

public struct SyncCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Record what changed on ClinicalTrials.gov in the followed trials and searches.",
        discussion: """
            Asks the registry's API for the records updated since each follow's last successful \
            sync (a day's overlap included; everything on a first sync), about one request a \
            second, waiting as a 429's Retry-After says and retrying 5xx answers and timeouts. \
            Each record becomes the events of what changed in it, each with its severity \
            (critical, notable, minor); results posted become a critical readout with the \
            results. Each record is imported all or nothing. A sync that fails part-way keeps \
            every record it completed, moves no watermark past them, and exits 1 with one line \
            naming the URL and the reason; the next sync picks up from there. Its start, summary \
            and failure are also written to the journal (journalctl -t trialctl). Needs writing \
            rights. trialtrack-sync.service runs it on a timer.

            Examples:
              trialctl sync --dry-run
              trialctl sync --json
            """)

    @OptionGroup public var registry: RegistryOptions

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ ctx: Context) throws {
        let client = try registry.client(ctx)
        let style = ctx.style(global)
        let changes = ChangeWriter(ctx, json: json, style: style)
        let target = SocketSyncTarget(session: try ctx.session(global, action: "syncing", wait: .work)) {
            changes.write($0)
        }
        let site = client.site.root
        let dryRun = registry.dryRun
        let progress = ProgressLine(ctx, enabled: isatty(2) == 1 && !json.isOn)
        let engine = SyncEngine(registry: client, target: target, pageSize: registry.pageSize)
        let outcome: Result<SyncSummary, SyncFailure> = waitFor { () async -> Result<SyncSummary, SyncFailure> in
            do throws(SyncFailure) {
                return .success(
                    try await engine.run(dryRun: dryRun) { p in
                        switch p {
                        case .started(let date, let searches, let follows):
                            Journal.send(
                                SyncJournalEntries.started(
                                    site: site, follows: follows, searches: searches, registryDate: date, dryRun: dryRun
                                ))
                        case .page(let search, let fetched, let total):
                            progress.show("search \(search): \(fetched)\(total.map { " of \($0)" } ?? "") records")
                        }
                    })
            } catch { return .failure(error) }
        }
        progress.clear()
        switch outcome {
        case .success(let summary):
            if summary.checked > 0 || summary.followsSynced > 0 {
                Journal.send(SyncJournalEntries.finished(site: site, summary: summary))
            }
            if json.isOn {
                changes.finish(summary, error: nil)
            } else if summary.followsSynced == 0 && summary.registryDate == nil {
                ctx.writeErr(
                    "trialctl: nothing is followed; follow trials or a search first (trialctl follow --help)\n")
                return
            } else {
                ctx.writeOut("sync: \(summary.line)\(summary.registryDate.map { "; registry data of \($0)" } ?? "")\n")
            }
            for r in summary.refused where !json.isOn { ctx.writeErr("trialctl: \(r.nctId): refused: \(r.reason)\n") }
            if !summary.refused.isEmpty { throw TrialctlError.silent(.failure) }
        case .failure(let failure):
            Journal.send(SyncJournalEntries.failed(site: site, failure: failure))
            if json.isOn { changes.finish(failure.completed, error: failure.reason) }
            throw TrialctlError.failure("sync: \(failure.reason)")
        }
    }
}

/// The changes of a sync or a backfill as they come: a line each (the trial, its severity,
/// what changed), or, with --json, the members of one object written as they come
/// (`{"changes":[…],"checked":…}`), so that nothing grows with the number of records.
final class ChangeWriter: Sendable {
    private let sink: NoticeSink
    private let mode: JSONMode
    private let style: Style
    private let started = Mutex(false)

    init(_ ctx: Context, json: JSONMode, style: Style) {
        sink = NoticeSink(ctx.writeOut)
        mode = json
        self.style = style
    }

    func write(_ reports: [ImportStudiesResponse.Study]) {
        var out = ""
        for r in reports where r.refused == nil {
            for (i, c) in r.changes.enumerated() {
                if mode.isOn {
                    var m = JSONObject([
                        ("nctId", .string(r.nctId)), ("type", .string(c.type)), ("severity", .string(c.severity)),
                        ("description", .string(c.description)),
                    ])
                    if let t = r.trial { m["trial"] = .string(t) }
                    if i < r.seqs.count { m["seq"] = .int(r.seqs[i]) }
                    let first = started.withLock { s in
                        defer { s = true }; return !s
                    }
                    out += (first ? #"{"changes":["# : ",") + JSONValue.object(m).canonicalText
                } else {
                    let color: ANSIColor? = c.severity == "critical" ? .red : c.severity == "notable" ? .yellow : nil
                    out += "\(r.nctId) \(style.paint(c.severity, color)): \(c.description)\n"
                }
            }
        }
        if !out.isEmpty { sink.say(out) }
    }

    /// Ends the JSON object with the summary's members (and the error of a failed sync).
    func finish(_ summary: SyncSummary, error: String?, extra: [(String, JSONValue)] = []) {
        guard case .object(var o) = summary.json else { return }
        if let error { o["error"] = .string(error) }
        for (k, v) in extra { o[k] = v }
        let first = started.withLock { s in
            defer { s = false }; return !s
        }
        let members = o.members.map { JSONValue.string($0.key).canonicalText + ":" + $0.value.canonicalText }.joined(
            separator: ",")
        sink.say((first ? #"{"changes":["# : "") + "]," + members + "}\n")
    }
}

/// A progress line on a terminal's standard error, rewritten in place.
final class ProgressLine: Sendable {
    private let sink: NoticeSink
    private let enabled: Bool
    init(_ ctx: Context, enabled: Bool) {
        sink = NoticeSink(ctx.writeErr)
        self.enabled = enabled
    }
    func show(_ text: String) { if enabled { sink.say("\r\u{1B}[K" + text) } }
    func clear() { if enabled { sink.say("\r\u{1B}[K") } }
}
