import ArgumentParser
import Foundation
import TrialStore

/// Rebuilds the projections of an existing database, for profiling the rebuild alone.
struct RebuildBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild the projections of an existing database (e.g. one kept by `store --dir`) and print events/s."
    )

    @Argument(help: "The database file.") var database: String
    @Option(help: "Rebuilds to run.") var times: Int = 1

    func run() throws {
        let store = try EventStore(path: database)
        defer { try? store.close() }
        for _ in 0..<times {
            let r = try store.rebuild()
            print(
                "rebuild: \(r.trials) trials, \(r.events) events in \(String(format: "%.2f", r.seconds)) s = \(fmt(Double(r.events) / r.seconds)) events/s"
            )
        }
    }
}

/// One trial's status on an existing database, pass after pass: the first pass reads pages
/// the operating system may not hold yet, the later ones show a warm cache.
struct StatusBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract:
            "Time one trial's status on an existing database (e.g. one kept by `store --dir` or `scale --dir`): p50 and p99 per pass."
    )

    @Argument(help: "The database file.") var database: String
    @Option(help: "Look-ups of random trials per pass.") var samples = 20_000
    @Option(help: "Passes.") var passes = 3

    func run() throws {
        let store = try EventStore(path: database)
        defer { try? store.close() }
        let keys = try store.trialKeys()
        guard !keys.isEmpty else { throw ValidationError("\(database) has no trials") }
        var rng = SystemRandomNumberGenerator()
        for pass in 1...max(1, passes) {
            let (p50, p99) = try TrialBench.statusLatency(store, samples: samples, using: &rng) {
                keys.randomElement(using: &$0)!
            }
            print(
                String(
                    format: "pass %d: %d trials, %d look-ups: status p50 %.1f µs, p99 %.1f µs", pass, keys.count,
                    samples, p50, p99))
        }
    }
}
