import ArgumentParser
import Foundation
import TrialStore

/// Rebuilds the projections of an existing database, for profiling the rebuild alone.
struct RebuildBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild the projections of an existing database (e.g. one kept by `store --dir`) and print events/s.")

    @Argument(help: "The database file.") var database: String
    @Option(help: "Rebuilds to run.") var times: Int = 1

    func run() throws {
        let store = try EventStore(path: database)
        defer { try? store.close() }
        for _ in 0..<times {
            let r = try store.rebuild()
            print("rebuild: \(r.trials) trials, \(r.events) events in \(String(format: "%.2f", r.seconds)) s = \(fmt(Double(r.events) / r.seconds)) events/s")
        }
    }
}
