import ArgumentParser
import Foundation
import TrialDomain
@_spi(Benchmarks) import TrialStore

/// The spec's yardstick: all of ClinicalTrials.gov's history, about 560,000 trials and 10
/// million events in one database, with one trial's status well under a millisecond and
/// memory that does not grow with the log.
struct ScaleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract:
            "Grow one log to ClinicalTrials.gov's size and print, as it grows, the store's memory and one trial's status latency.",
        discussion: """
            Appends --trials × --events-per-trial events (default 560,000 × 18 = 10,080,000) trial \
            by trial, as an import writes them, in transactions of --batch, making each batch's \
            events just before appending them, so that the process holds no more of the log than \
            the store does. After every --step events it prints the append rate of that stretch, \
            the process's resident memory, and the p50/p99 of --samples status look-ups of random \
            trials appended so far; at the end, a rebuild and a verify of the whole log with the \
            memory after each. Build with -c release; it takes about 20 minutes and 6 GB of disk.

            Then the filter case (issue 30): trialsd's filtered listing of about 1,000 trials \
            (sponsors "Sponsor 0" … as many as make 1,000 trials at --trials, each of 500 \
            sponsors having --trials/500, with --phase 3 and --condition "lung cancer", which \
            every trial has), as Status with `more` makes it: the keys, then the trials 500 a \
            page; its first page and the whole result, best of --filter-runs; and beside it the \
            sqlite3 shell running the same SQL on the same file (its own .timer, and the whole \
            process). --filter-only runs only this, on the database a run left in --dir.
            """)

    @Option(help: "Trials.") var trials = 560_000
    @Option(help: "Events per trial.") var eventsPerTrial = 18
    @Option(help: "Events per transaction.") var batch = 1_000
    @Option(help: "Events between two reports.") var step = 1_000_000
    @Option(help: "Status look-ups per report.") var samples = 2_000
    @Option(help: "Directory for the database (default: a new temporary one, removed at the end).") var dir: String?
    @Option(help: "Runs of the filter case (the best is shown).") var filterRuns = 5
    @Flag(help: "Only the filter case, on the database in --dir (trials.db, of a run with --trials as given).")
    var filterOnly = false

    func validate() throws {
        guard trials > 0, eventsPerTrial > 0, batch > 0, step > 0, samples > 0, filterRuns > 0 else {
            throw ArgumentParser.ValidationError(
                "--trials, --events-per-trial, --batch, --step, --samples and --filter-runs: give 1 or more")
        }
        if filterOnly, dir == nil {
            throw ArgumentParser.ValidationError("--filter-only: give --dir, where a run left trials.db")
        }
    }

    func run() throws {
        let work = try WorkDirectory(dir)
        defer { work.removeIfMade() }
        let base = work.path
        if filterOnly {
            let store = try EventStore(path: base + "/trials.db")
            try filterCase(store, path: base + "/trials.db")
            return try store.close()
        }
        let total = trials * eventsPerTrial
        print(
            "trialbench scale: \(fmt(Double(trials))) trials × \(eventsPerTrial) events = \(fmt(Double(total))) events, order clustered, batches of \(batch)"
        )
        print(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; memory: resident set of this process (the store, its caches and the batch in hand)\n"
        )
        print("     events      trials  appends/s  RSS MB   status p50   status p99   database")
        let store = try EventStore(path: base + "/trials.db")
        var rng = SystemRandomNumberGenerator()
        // Trial by trial: event n is trial n / eventsPerTrial's event n % eventsPerTrial.
        var reported = 0, stretchStart = now()
        for start in stride(from: 0, to: total, by: batch) {
            let end = min(start + batch, total)
            let groups = (start..<end).map { n in
                ([Workload.item(n / eventsPerTrial, n % eventsPerTrial).event], "bench")
            }
            for case .failure(let e) in try store.append(groups: groups) { throw e }
            guard end - reported >= step || end == total else { continue }
            let rate = Double(end - reported) / (now() - stretchStart)
            let appendedTrials = (end + eventsPerTrial - 1) / eventsPerTrial
            let (p50, p99) = try statusLatency(store, trials: appendedTrials, using: &rng)
            // The database and its write-ahead log, which the checkpointer empties as it goes.
            let size = ["", "-wal"].map { fileBytes(base + "/trials.db" + $0) }.reduce(0, +)
            print(
                right(fmt(Double(end)), 11), right(fmt(Double(appendedTrials)), 11), right(fmt(rate), 10),
                String(format: "%7.0f  %8.1f µs  %8.1f µs  %6.2f GB", residentMegabytes(), p50, p99, size / 1e9))
            reported = end
            stretchStart = now()
        }
        let rebuilt = try store.rebuild()
        print(
            String(
                format: "\nrebuild: %@ events in %.1f s = %@ events/s; RSS %.0f MB",
                fmt(Double(rebuilt.events)) as NSString, rebuilt.seconds,
                fmt(Double(rebuilt.events) / rebuilt.seconds) as NSString, residentMegabytes()))
        let t = now()
        let verified = try store.verify()
        guard verified.ok else { throw ArgumentParser.ValidationError("verify: \(verified.problem ?? "")") }
        print(
            String(
                format: "verify: %@ events in %.1f s, chain intact; RSS %.0f MB",
                fmt(Double(verified.checked)) as NSString, now() - t, residentMegabytes()))
        let (p50, p99) = try statusLatency(store, trials: trials, using: &rng)
        print(
            String(
                format: "status after the rebuild: p50 %.1f µs, p99 %.1f µs; peak RSS %.0f MB", p50, p99,
                peakRSSMegabytes()))
        try filterCase(store, path: base + "/trials.db")
        try store.close()
    }

    /// A filtered Status of about 1,000 trials, as trialsd pages it (`QueryService.statusPages`:
    /// the keys, then 500 trials a page), beside the sqlite3 shell running the same SQL.
    func filterCase(_ store: EventStore, path: String) throws {
        let perSponsor = max(1, trials / 500)
        let sponsors = (0..<min(500, (1_000 + perSponsor - 1) / perSponsor)).map { "Sponsor \($0)" }
        let filter = TrialFilter(phases: [.phase3], sponsors: sponsors, conditions: ["lung cancer"])
        var first = Double.infinity, whole = Double.infinity, listed = 0
        for _ in 0..<filterRuns {
            let t0 = now()
            let keys = try store.trialKeys(filter: filter)
            var got = try store.trials(keys: keys.prefix(500)).count
            let t1 = now()
            for start in stride(from: 500, to: keys.count, by: 500) {
                got += try store.trials(keys: keys[start..<min(start + 500, keys.count)]).count
            }
            let t2 = now()
            first = min(first, t1 - t0)
            whole = min(whole, t2 - t0)
            listed = got
        }
        let sql = try store.trialsSQL(filter: filter)
        var shellTimer = Double.infinity, shellProcess = Double.infinity, shellRows = 0
        for _ in 0..<filterRuns {
            let t0 = now()
            let out = try sqlite3(["-readonly", path], input: ".timer on\n" + sql + ";\n")
            shellProcess = min(shellProcess, now() - t0)
            let lines = out.split(separator: "\n")
            shellRows = lines.filter { !$0.hasPrefix("Run Time:") }.count
            if let timer = lines.last(where: { $0.hasPrefix("Run Time: real ") }),
                let real = Double(timer.split(separator: " ")[3])
            {
                shellTimer = min(shellTimer, real)
            }
        }
        print(
            "\nfilter: status --phase 3 --condition \"lung cancer\" --sponsor \"Sponsor 0\" … (\(sponsors.count) sponsors): \(fmt(Double(listed))) of \(fmt(Double(trials))) trials; best of \(filterRuns)"
        )
        print(
            String(
                format: "  trialtrack: first page (keys + 500 trials) %.1f ms, whole result %.1f ms", first * 1e3,
                whole * 1e3))
        print(
            String(
                format: "  sqlite3 shell, the same SQL (%d rows): %.1f ms by its .timer, %.1f ms the whole process",
                shellRows, shellTimer * 1e3, shellProcess * 1e3))
        print("  SQL: \(sql.count > 400 ? String(sql.prefix(400)) + " …" : sql)")
    }

    /// Runs the sqlite3 shell on `input` (its .timer speaks only to a script read from its
    /// standard input) and returns its standard output.
    func sqlite3(_ arguments: [String], input: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = arguments
        let pipe = Pipe(), inPipe = Pipe()
        p.standardOutput = pipe
        p.standardInput = inPipe
        try p.run()
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try inPipe.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ArgumentParser.ValidationError("sqlite3 exited with \(p.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    func statusLatency(_ store: EventStore, trials: Int, using rng: inout SystemRandomNumberGenerator) throws -> (
        Double, Double
    ) {
        try TrialBench.statusLatency(store, samples: samples, using: &rng) {
            String(format: "NCT%08d", Int.random(in: 0..<trials, using: &$0))
        }
    }
}

/// `s` right-aligned in `width` columns.
func right(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

/// `s` left-aligned in `width` columns.
func left(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }

/// A file's size in bytes (0 if it is not there).
func fileBytes(_ path: String) -> Double {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.doubleValue ?? 0
}

/// The process's resident set now, in MB.
func residentMegabytes() -> Double { procStatusMegabytes("VmRSS:") }

/// The process's peak resident set, in MB.
func peakRSSMegabytes() -> Double { procStatusMegabytes("VmHWM:") }
