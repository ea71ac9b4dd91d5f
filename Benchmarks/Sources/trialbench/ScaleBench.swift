import ArgumentParser
import Foundation
import TrialDomain
import TrialStore

/// The spec's yardstick: all of ClinicalTrials.gov's history, about 560,000 trials and 10
/// million events in one database, with one trial's status well under a millisecond and
/// memory that does not grow with the log.
struct ScaleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Grow one log to ClinicalTrials.gov's size and print, as it grows, the store's memory and one trial's status latency.",
        discussion: """
            Appends --trials × --events-per-trial events (default 560,000 × 18 = 10,080,000) trial \
            by trial, as an import writes them, in transactions of --batch, making each batch's \
            events just before appending them, so that the process holds no more of the log than \
            the store does. After every --step events it prints the append rate of that stretch, \
            the process's resident memory, and the p50/p99 of --samples status look-ups of random \
            trials appended so far; at the end, a rebuild and a verify of the whole log with the \
            memory after each. Build with -c release; it takes about 20 minutes and 6 GB of disk.
            """)

    @Option(help: "Trials.") var trials = 560_000
    @Option(help: "Events per trial.") var eventsPerTrial = 18
    @Option(help: "Events per transaction.") var batch = 1_000
    @Option(help: "Events between two reports.") var step = 1_000_000
    @Option(help: "Status look-ups per report.") var samples = 2_000
    @Option(help: "Directory for the database (default: a new temporary one, removed at the end).") var dir: String?

    func validate() throws {
        guard trials > 0, eventsPerTrial > 0, batch > 0, step > 0, samples > 0 else {
            throw ArgumentParser.ValidationError("--trials, --events-per-trial, --batch, --step and --samples: give 1 or more")
        }
    }

    func run() throws {
        let work = try WorkDirectory(dir)
        defer { work.removeIfMade() }
        let base = work.path
        let total = trials * eventsPerTrial
        print("trialbench scale: \(fmt(Double(trials))) trials × \(eventsPerTrial) events = \(fmt(Double(total))) events, order clustered, batches of \(batch)")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; memory: resident set of this process (the store, its caches and the batch in hand)\n")
        print("     events      trials  appends/s  RSS MB   status p50   status p99   database")
        let store = try EventStore(path: base + "/trials.db")
        var rng = SystemRandomNumberGenerator()
        // Trial by trial: event n is trial n / eventsPerTrial's event n % eventsPerTrial.
        var reported = 0, stretchStart = now()
        for start in stride(from: 0, to: total, by: batch) {
            let end = min(start + batch, total)
            let groups = (start..<end).map { n in ([Workload.item(n / eventsPerTrial, n % eventsPerTrial).event], "bench") }
            for case .failure(let e) in try store.append(groups: groups) { throw e }
            guard end - reported >= step || end == total else { continue }
            let rate = Double(end - reported) / (now() - stretchStart)
            let appendedTrials = (end + eventsPerTrial - 1) / eventsPerTrial
            let (p50, p99) = try statusLatency(store, trials: appendedTrials, using: &rng)
            // The database and its write-ahead log, which the checkpointer empties as it goes.
            let size = ["", "-wal"].map { fileBytes(base + "/trials.db" + $0) }.reduce(0, +)
            print(right(fmt(Double(end)), 11), right(fmt(Double(appendedTrials)), 11), right(fmt(rate), 10),
                  String(format: "%7.0f  %8.1f µs  %8.1f µs  %6.2f GB", residentMegabytes(), p50, p99, size / 1e9))
            reported = end
            stretchStart = now()
        }
        let rebuilt = try store.rebuild()
        print(String(format: "\nrebuild: %@ events in %.1f s = %@ events/s; RSS %.0f MB",
                     fmt(Double(rebuilt.events)) as NSString, rebuilt.seconds, fmt(Double(rebuilt.events) / rebuilt.seconds) as NSString, residentMegabytes()))
        let t = now()
        let verified = try store.verify()
        guard verified.ok else { throw ArgumentParser.ValidationError("verify: \(verified.problem ?? "")") }
        print(String(format: "verify: %@ events in %.1f s, chain intact; RSS %.0f MB", fmt(Double(verified.checked)) as NSString, now() - t, residentMegabytes()))
        let (p50, p99) = try statusLatency(store, trials: trials, using: &rng)
        print(String(format: "status after the rebuild: p50 %.1f µs, p99 %.1f µs; peak RSS %.0f MB", p50, p99, peakRSSMegabytes()))
        try store.close()
    }

    func statusLatency(_ store: EventStore, trials: Int, using rng: inout SystemRandomNumberGenerator) throws -> (Double, Double) {
        try TrialBench.statusLatency(store, samples: samples, using: &rng) { String(format: "NCT%08d", Int.random(in: 0..<trials, using: &$0)) }
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

private func procStatusMegabytes(_ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field) {
        return (line.split(separator: " ").compactMap { Double($0) }.first ?? 0) / 1024
    }
    return 0
}
