import ArgumentParser
import Foundation
import GRDBSQLite
import TrialDomain
@_spi(Benchmarks) import TrialStore

/// Measures the event log against the raw SQLite limit on the same machine, in one run.
@main
struct TrialBenchMain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trialbench",
        abstract: "Benchmarks of trialtrack; each prints figures beside a baseline measured in the same run.",
        subcommands: [
            TrialBench.self, SocketBench.self, RebuildBench.self, StatusBench.self, ScaleBench.self, HistoryBench.self,
            SyncBench.self, JSONBench.self,
        ],
        defaultSubcommand: TrialBench.self)
}

struct TrialBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Benchmark the trialtrack event log beside raw SQLite inserts of rows of the same size.",
        discussion: """
            Prints, for one run on one machine: appends/s with one event per transaction, appends/s \
            batched (group commit), rebuild events/s, and one-trial status latency p50/p99, each beside \
            the raw SQLite figure (plain inserts of rows of the same size into a table with the same \
            indexes, same pragmas: WAL, synchronous=FULL). Batched appends are also set beside the \
            log's own SQL: the rows the store wrote, read back and written again into an empty database \
            of the same schema with the writer's statements and no trialtrack code. Build with -c release.
            """)

    @Option(help: "Trials in the large database.") var trials = 100_000
    @Option(help: "Events per trial in the large database.") var eventsPerTrial = 10
    @Option(help: "Appends measured one event per transaction.") var single = 2_000
    @Option(help: "Events per transaction when batched.") var batch = 1_000
    @Option(help: "Status look-ups measured.") var samples = 20_000
    @Option(parsing: .upToNextOption, help: "Parts the log's own SQL leaves out, to see what each costs.")
    var floorOmit: [LogSQLFloor.Part] = []
    @Flag(
        help:
            "After the table, the log's own SQL again with one part more left out each time, down to the bare event row, beside raw SQLite measured again before and after."
    )
    var floorBreakdown = false
    @Option(
        help:
            "Order of the batched appends: interleaved (every trial's next event in turn, a cold fold cache) or clustered (trial by trial, as an import writes)."
    )
    var order: Order = .interleaved
    @Option(help: "Folded trials the writer keeps in memory.") var cache = 10_000
    @Option(
        name: .customLong("raw-ids"),
        help:
            "Event ids of the raw rows: ordered (time-ordered version 7 UUIDs, as the store makes them) or random (version 4, as clients may send)."
    )
    var rawIDs: RawIDs = .ordered
    @Option(help: "Directory for the database files (default: a new temporary one).") var dir: String?

    enum Order: String, ExpressibleByArgument { case interleaved, clustered }
    enum RawIDs: String, ExpressibleByArgument { case ordered, random }

    func run() throws {
        EventStore.configureSQLite()  // before the raw side opens SQLite: the same settings for both
        let work = try WorkDirectory(dir)
        defer { work.removeIfMade() }
        let base = work.path
        let total = trials * eventsPerTrial
        print(
            "trialbench: \(trials) trials × \(eventsPerTrial) events = \(total) events, batches of \(batch), order \(order.rawValue), fold cache \(cache), raw ids \(rawIDs.rawValue)"
        )
        print(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, SQLite \(String(cString: sqlite3_libversion())), WAL, synchronous=FULL"
        )
        let data = Workload(trials: trials, eventsPerTrial: eventsPerTrial, order: order)
        let steal = StealMeter()
        print(String(format: "workload: mean payload %.0f bytes\n", data.meanPayloadBytes))

        var table: [(String, String, String, String)] = []
        func entry(_ name: String, _ ours: Double, _ raw: Double, unit: String) -> (String, String, String, String) {
            (name, fmt(ours) + " " + unit, fmt(raw) + " " + unit, String(format: "%.0f%%", ours / raw * 100))
        }
        func row(_ name: String, _ ours: Double, _ raw: Double, unit: String) {
            table.append(entry(name, ours, raw, unit: unit))
        }

        // 1. One event per transaction: every append waits for its own fsync.
        let rawSingleRate = try rawInsertRate(base + "/raw-single.db", data.events.prefix(single), batch: 1)
        let singleStore = try openStore(base + "/single.db")
        let t0 = now()
        for e in data.events.prefix(single) { _ = try singleStore.append(e.event, recordedBy: "bench") }
        let singleRate = Double(single) / (now() - t0)
        try singleStore.close()
        row("appends/s, 1 event per transaction", singleRate, rawSingleRate, unit: "/s")

        // 2. Batched: one transaction (one fsync) for `batch` appends, as group commit does.
        let raw = try RawSQLite(path: base + "/raw.db")
        let rawBatchRate = try raw.insert(data.events[...], batch: batch, orderedIDs: rawIDs == .ordered)  // kept open: 3 and 4 read it
        let store = try openStore(base + "/trials.db")
        var appended = 0
        let t1 = now()
        var start = 0
        while start < data.events.count {
            let end = min(start + batch, data.events.count)
            let results = try store.append(groups: data.events[start..<end].map { ([$0.event], "bench") })
            for r in results { if case .success = r { appended += 1 } else if case .failure(let e) = r { throw e } }
            start = end
        }
        let batchRate = Double(appended) / (now() - t1)
        row("appends/s, batched (\(batch) per transaction)", batchRate, rawBatchRate, unit: "/s")

        let floorRow = table.count  // 2b, measured last (below)

        // 3. Rebuild from the log, beside a raw scan of the same rows in the same order.
        let rawScanRate = try raw.scan()
        let report = try store.rebuild()
        row("rebuild events/s (raw: ordered scan)", Double(report.events) / report.seconds, rawScanRate, unit: "/s")

        // 4. One trial's status (summary, timeline, expectations) beside a raw point query.
        var rng = SystemRandomNumberGenerator()
        let (p50, p99) = try Self.statusLatency(store, samples: samples, using: &rng) {
            data.key(Int.random(in: 0..<trials, using: &$0))
        }
        let rawLatencies = try raw.pointQueries(samples, maxSeq: Int64(data.events.count))
        let (r50, r99) = (rawLatencies[samples / 2] * 1e6, rawLatencies[samples * 99 / 100] * 1e6)
        table.append(
            ("status p50 (raw: row by key)", String(format: "%.1f µs", p50), String(format: "%.1f µs", r50), ""))
        table.append(
            ("status p99 (raw: row by key)", String(format: "%.1f µs", p99), String(format: "%.1f µs", r99), ""))
        // 4b. The same look-ups as GRDB async reads from a task (trialsd's way): the blocking
        // figures above plus what it costs to hand the read to a reader connection's queue and
        // resume the task.
        let keys = (0..<samples).map { _ in data.key(Int.random(in: 0..<trials, using: &rng)) }
        let (a50, a99) = try Self.asyncStatusLatency(store, keys: keys)
        table.append(
            (
                "status p50, GRDB async read from a task", String(format: "%.1f µs", a50),
                String(format: "%.1f µs", r50), ""
            ))
        table.append(
            (
                "status p99, GRDB async read from a task", String(format: "%.1f µs", a99),
                String(format: "%.1f µs", r99), ""
            ))
        raw.close()
        let stats = try store.stats()
        try store.close()

        // 2b. The same rows through the same statements with no trialtrack code: the schema's
        // own cost (`LogSQLFloor`). Its rows are read back before its clock starts. Measured
        // once the store is closed, so that its checkpoints (still copying the batched
        // appends' log for a while after them) do not share the machine with it, and its file
        // removed at once, so that writing it back does not either.
        let floor = try LogSQLFloor(reading: base + "/trials.db")
        let floorRate = try floor.write(to: base + "/floor.db", batch: batch, omitting: Set(floorOmit))
        removeDatabase(base + "/floor.db")
        let floorName =
            "  the same, beside the log's own SQL (raw: the store's rows and statements"
            + (floorOmit.isEmpty ? "" : ", without " + floorOmit.map(\.rawValue).joined(separator: ", ")) + ")"
        table.insert(entry(floorName, batchRate, floorRate, unit: "/s"), at: floorRow)  // under the batched appends

        let w0 = table.map(\.0.count).max()!, w1 = max(10, table.map(\.1.count).max()!),
            w2 = max(10, table.map(\.2.count).max()!)
        print(left("measure", w0), left("trialtrack", w1), left("raw SQLite", w2), "ratio")
        for (a, b, c, d) in table { print(left(a, w0), left(b, w1), left(c, w2), d) }
        print(
            "\nthe log's own SQL alone: " + fmt(floorRate) + "/s, "
                + String(format: "%.0f%%", floorRate / rawBatchRate * 100) + " of raw SQLite's bare table")
        // Taken before the store closed: part of the file may still be in its write-ahead log.
        print(
            String(
                format: "database: %d events, %d trials, %.0f MB and %.0f MB of write-ahead log; peak RSS %.0f MB",
                stats.events,
                stats.trials, Double(stats.databaseBytes) / 1e6, Double(stats.walBytes) / 1e6, peakRSSMegabytes()))
        if floorBreakdown { try breakdown(floor, data: data, base: base, trialtrack: batchRate) }
        print(String(format: "CPU time the host gave to others during the run (steal): %.0f%%", steal.percent))
    }

    /// The log's own SQL with one part more left out each time, in the order of
    /// `LogSQLFloor.Part`, down to the event row alone: what each part of the schema costs an
    /// event, beside raw SQLite's bare table (measured before and after, for its drift).
    func breakdown(_ floor: LogSQLFloor, data: Workload, base: String, trialtrack: Double) throws {
        func rawRate() throws -> Double {
            let path = base + "/raw-again.db"
            defer { removeDatabase(path) }
            return try rawInsertRate(path, data.events[...], batch: batch)
        }
        // Its first line measures the whole SQL again, rather than reusing the table's figure,
        // so that every line lies between the two raw measurements it is set beside.
        let before = try rawRate()
        var omitted: [LogSQLFloor.Part] = []
        var rows: [(String, Double)] = []
        for part in [nil] + LogSQLFloor.Part.allCases {
            if let part { omitted.append(part) }
            let path = base + "/floor-breakdown.db"
            defer { removeDatabase(path) }
            let rate = try floor.write(to: path, batch: batch, omitting: Set(omitted))
            rows.append((part.map { "  without " + $0.rawValue } ?? "the log's own SQL, whole", rate))
        }
        let after = try rawRate()
        let rawMean = (before + after) / 2
        print(
            "\nthe log's own SQL, one part more left out each line (raw SQLite's bare table: \(fmt(before))/s before, \(fmt(after))/s after):"
        )
        print("  step                                  events/s    µs an event   of raw")
        func line(_ name: String, _ rate: Double) {
            print(
                "  " + left(name, 36) + right(fmt(rate), 11)
                    + String(format: "  %8.2f µs   %5.0f%%", 1e6 / rate, rate / rawMean * 100))
        }
        line("trialtrack (the batched appends)", trialtrack)
        for (name, rate) in rows { line(name, rate) }
        line("raw SQLite (mean of the two)", rawMean)
    }

    /// Raw SQLite's rows/s inserting `events` into a new database at `path`, `batch` a
    /// transaction, with ids of the kind `--raw-ids` names.
    func rawInsertRate(_ path: String, _ events: ArraySlice<Workload.Item>, batch: Int) throws -> Double {
        let raw = try RawSQLite(path: path)
        defer { raw.close() }
        return try raw.insert(events, batch: batch, orderedIDs: rawIDs == .ordered)
    }

    /// p50 and p99, in µs, of `samples` look-ups of one trial's status, each trial's key made
    /// by `key` before its clock starts.
    static func statusLatency(
        _ store: EventStore, samples: Int, using rng: inout SystemRandomNumberGenerator,
        key: (inout SystemRandomNumberGenerator) -> String
    ) throws -> (Double, Double) {
        var latencies: [Double] = []
        latencies.reserveCapacity(samples)
        for _ in 0..<samples {
            let trial = key(&rng)
            let s = now()
            guard try store.status(trial) != nil else {
                throw ValidationError(field: "", reason: "no status for \(trial)")
            }
            latencies.append(now() - s)
        }
        latencies.sort()
        return (latencies[samples / 2] * 1e6, latencies[samples * 99 / 100] * 1e6)
    }

    /// p50 and p99, in µs, of `await store.read(.status(key))` for each key, one after
    /// another from one task.
    static func asyncStatusLatency(_ store: EventStore, keys: [String]) throws -> (Double, Double) {
        let done = DispatchSemaphore(value: 0)
        let result = LatencyBox()
        let failure = FailureBox()
        Task {
            defer { done.signal() }
            var latencies: [Double] = []
            latencies.reserveCapacity(keys.count)
            do {
                for trial in keys {
                    let s = now()
                    guard try await store.read(.status(trial)) != nil else {
                        throw ValidationError(field: "", reason: "no status for \(trial)")
                    }
                    latencies.append(now() - s)
                }
            } catch {
                failure.set(error)
            }
            result.add(latencies)
        }
        done.wait()
        if let e = failure.error { throw e }
        let sorted = result.sorted
        return (sorted[sorted.count / 2] * 1e6, sorted[sorted.count * 99 / 100] * 1e6)
    }

    func openStore(_ path: String) throws -> EventStore {
        var c = StoreConfiguration()
        c.foldCacheCapacity = cache
        return try EventStore(path: path, configuration: c)
    }
}

/// Removes a database file with its write-ahead log and shared-memory index.
func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func fmt(_ d: Double) -> String {
    let i = Int(d.rounded())
    var s = String(i)
    var out = ""
    while s.count > 3 {
        out = "," + s.suffix(3) + out
        s = String(s.dropLast(3))
    }
    return s + out
}

/// Where a benchmark writes: `--dir` if given (kept), else a new directory under /tmp (a short
/// path, as a socket's must be), which `removeIfMade` deletes.
struct WorkDirectory {
    let path: String
    private let made: Bool

    init(_ dir: String?) throws {
        path = dir ?? "/tmp/tb-\(UUID().uuidString.prefix(8))"
        made = dir == nil
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func removeIfMade() { if made { try? FileManager.default.removeItem(atPath: path) } }
}

/// The share of this machine's CPU time its host gave to others ("steal", /proc/stat) since the
/// meter was made. On a virtual machine a run's figures are comparable only at a like share,
/// and it can move widely within the hour (benchmarks/README.md, "Method").
struct StealMeter {
    private let start: (steal: Double, total: Double)

    init() { start = Self.read() }

    /// The stolen share since `init`, in percent.
    var percent: Double {
        let now = Self.read()
        let total = now.total - start.total
        return total > 0 ? (now.steal - start.steal) / total * 100 : 0
    }

    /// The machine's steal and total CPU time so far (user, nice, system, idle, iowait, irq,
    /// softirq, steal), in clock ticks; zeros where /proc/stat cannot be read.
    private static func read() -> (steal: Double, total: Double) {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return (0, 0) }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 8 else { return (0, 0) }
        return (fields[7], fields[0..<8].reduce(0, +))
    }
}
