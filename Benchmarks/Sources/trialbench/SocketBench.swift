import ArgumentParser
import Foundation
import Logging
import TrialDomain
import TrialProtocol
import TrialStore
import TrialsDaemon
import Synchronization

/// trialsd over its Unix socket: status round trips and durable appends from 1, 8 and 32
/// concurrent clients, beside the store's own single-process figures measured in the same run.
struct SocketBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "socket",
        abstract:
            "Benchmark trialsd over its Varlink socket: status round trips, and appends/s with 1, 8 and 32 clients.")

    @Option(help: "Trials in the database before measuring.") var trials = 10_000
    @Option(help: "Appends measured for each number of clients.") var appends = 20_000
    @Option(help: "Status round trips measured.") var samples = 20_000
    @Option(help: "Calls in flight per client when pipelining.") var window = 32
    @Option(parsing: .upToNextOption, help: "Numbers of concurrent clients to measure.") var clients: [Int] = [
        1, 8, 32,
    ]
    @Option(help: "Directory for the database and socket (default: a new temporary one).") var dir: String?
    @Flag(
        inversion: .prefixedNo,
        help: "Also measure clients that wait for each reply (--no-sequential: pipelined only, e.g. for profiling).")
    var sequential = true
    @Option(help: "Then measure 32 pipelining clients again with this many subscribers that never read (0: skip).")
    var stuckSubscribers = 500

    func run() throws {
        let work = try WorkDirectory(dir)
        defer { work.removeIfMade() }
        let base = work.path
        print("trialbench socket: \(trials) trials loaded, \(appends) appends per run, \(samples) status round trips")
        print(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; trialsd in this process, clients on threads of their own\n"
        )

        // The same events for every run: presentations of existing trials (no contradictions).
        func events(_ n: Int, offset: Int) -> [JSONValue] {
            (0..<n).map { i in
                let t = (i + offset) % trials
                return [
                    "trial": .string(String(format: "NCT%08d", t)), "type": "presented", "occurred": "2024",
                    "source": "bench",
                    "payload": ["venue": .string("Meeting \(i + offset)"), "abstract": .string("\(i)")],
                ]
            }
        }

        // Single-process baseline: the store without a socket, 1 event per transaction and batched.
        let direct = try EventStore(path: base + "/direct.db")
        try load(direct)
        let sample = try events(2_000, offset: 0).map { try NewEvent(json: $0, today: Timestamp.now().day) }
        var t = now()
        for e in sample.prefix(1000) { _ = try direct.append(e, recordedBy: "bench") }
        let directSingle = 1000 / (now() - t)
        t = now()
        _ = try direct.append(groups: [(Array(sample.suffix(1000)), "bench")].flatMap { g in g.0.map { ([$0], g.1) } })
        let directBatched = 1000 / (now() - t)
        try direct.close()

        var config = DaemonConfiguration(databasePath: base + "/trials.db", socketPath: base + "/control")
        config.writersGroup = nil
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let store = try EventStore(path: config.databasePath)
        try load(store)
        try store.close()
        let daemon = try Daemon(configuration: config, logger: logger)
        let ready = DispatchSemaphore(value: 0)
        let runner = Thread {
            let done = DispatchSemaphore(value: 0)
            Task {
                try await daemon.start()
                ready.signal()
                try await daemon.run()
                done.signal()
            }
            done.wait()
        }
        runner.start()
        ready.wait()

        // Status round trips from one client.
        let c = try VarlinkConnection(path: config.socketPath)
        var latencies: [Double] = []
        for i in 0..<samples {
            let s = now()
            _ = try c.call(
                TrialsMethod.status.qualifiedName,
                JSONObject([("trial", .string(String(format: "NCT%08d", (i * 7919) % trials)))]))
            latencies.append(now() - s)
        }
        latencies.sort()
        print(
            String(
                format: "status round trip over the socket: p50 %.1f µs, p99 %.1f µs (one trial with its timeline)\n",
                latencies[samples / 2] * 1e6, latencies[samples * 99 / 100] * 1e6))

        // Status round trips from 32 clients at once: the reads running side by side.
        let concurrent = try statusRun(path: config.socketPath, clients: 32, calls: samples)
        print(
            String(
                format: "status round trips, 32 clients at once: %@/s, p50 %.1f µs, p99 %.1f µs\n",
                fmt(concurrent.rate) as NSString, concurrent.p50 * 1e6, concurrent.p99 * 1e6))

        print("durable appends/s (each acknowledged only once on disk):")
        print("clients  sequential  pipelined (\(window) in flight)  CPU per pipelined append  host steal")
        print("                                                (all threads: daemon and clients)")
        var offset = 10_000
        for n in clients {
            var seq: Double?  // nil: not measured (--no-sequential)
            if sequential {
                seq = try appendRun(
                    path: config.socketPath, clients: n, total: appends, window: 1,
                    events: events(appends, offset: offset)
                ).rate
                offset += appends
            }
            let steal = StealMeter()
            let pip = try appendRun(
                path: config.socketPath, clients: n, total: appends, window: window,
                events: events(appends, offset: offset))
            offset += appends
            print(
                String(
                    format: "%7d  %10@  %24@  %24.1f µs  %9.0f%%", n, (seq.map(fmt) ?? "-") as NSString,
                    fmt(pip.rate) as NSString, pip.cpu * 1e6,
                    steal.percent))
        }
        print(
            "\nsingle process, no socket (the store alone): \(fmt(directSingle))/s one event per transaction, \(fmt(directBatched))/s batched (1000 per transaction)"
        )
        if stuckSubscribers > 0 {
            try stuckSubscriberRun(path: config.socketPath, daemon: daemon, offset: &offset, events: events)
        }
        daemon.stop()
    }

    /// Appends from 32 pipelining clients without subscribers, then with `stuckSubscribers`
    /// that subscribed and never read a byte: the rate beside each other, and the process's
    /// resident memory (trialsd and the clients, which hold no events) before and after.
    func stuckSubscriberRun(path: String, daemon: Daemon, offset: inout Int, events: (Int, Int) -> [JSONValue]) throws {
        let without = try appendRun(
            path: path, clients: 32, total: appends, window: window, events: events(appends, offset))
        offset += appends
        let rssBefore = residentKiB()
        var subscribers: [VarlinkConnection] = []
        for _ in 0..<stuckSubscribers {
            let c = try VarlinkConnection(path: path)
            try c.send(
                VarlinkCall(method: TrialsMethod.subscribe.qualifiedName, parameters: JSONObject(), more: true).json)
            subscribers.append(c)
        }
        while try VarlinkConnection(path: path).call(TrialsMethod.stats.qualifiedName)["subscribers"]?.int64Value ?? 0
            < Int64(stuckSubscribers)
        {
            usleep(1000)
        }
        let with = try appendRun(
            path: path, clients: 32, total: appends, window: window, events: events(appends, offset))
        offset += appends
        let rssAfter = residentKiB()
        print(
            String(
                format:
                    "\n32 pipelining clients: %@/s without subscribers, %@/s with %d that never read (%.0f%%); RSS %d -> %d MiB",
                fmt(without.rate) as NSString, fmt(with.rate) as NSString, stuckSubscribers,
                100 * with.rate / without.rate,
                rssBefore / 1024, rssAfter / 1024))
        for c in subscribers { c.close() }
    }

    /// `clients` connections make `calls` Status calls of one trial between them, each waiting
    /// for its reply before the next: calls per second, and the round trips' p50 and p99.
    func statusRun(path: String, clients: Int, calls: Int) throws -> (rate: Double, p50: Double, p99: Double) {
        let per = max(1, calls / clients)
        let group = DispatchGroup()
        let failure = FailureBox()
        let latencies = LatencyBox()
        let start = now()
        for k in 0..<clients {
            group.enter()
            Thread { [trials] in
                defer { group.leave() }
                do {
                    let c = try VarlinkConnection(path: path)
                    var mine: [Double] = []
                    mine.reserveCapacity(per)
                    for i in 0..<per {
                        let s = now()
                        _ = try c.call(
                            TrialsMethod.status.qualifiedName,
                            JSONObject([("trial", .string(String(format: "NCT%08d", (k * per + i) * 7919 % trials)))]))
                        mine.append(now() - s)
                    }
                    latencies.add(mine)
                } catch {
                    failure.set(error)
                }
            }.start()
        }
        group.wait()
        let elapsed = now() - start
        if let e = failure.error { throw e }
        let sorted = latencies.sorted
        return (Double(sorted.count) / elapsed, sorted[sorted.count / 2], sorted[sorted.count * 99 / 100])
    }

    /// This process's resident memory in KiB.
    func residentKiB() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").compactMap { Int($0) }.first ?? 0)
        }
        return 0
    }

    /// Every trial registered and recruiting, so appends land on existing trials.
    func load(_ store: EventStore) throws {
        let today = Timestamp.now().day
        var groups: [([NewEvent], String)] = []
        for i in 0..<trials {
            let key = String(format: "NCT%08d", i)
            let reg = try NewEvent(
                json: [
                    "trial": .string(key), "type": "registered", "occurred": "2020",
                    "payload": ["title": .string("Trial \(i)"), "phases": ["phase-3"]],
                ], today: today)
            let st = try NewEvent(
                json: [
                    "trial": .string(key), "type": "status-changed", "occurred": "2021",
                    "payload": ["status": "recruiting"],
                ], today: today)
            groups.append(([reg, st], "bench"))
            if groups.count == 1000 {
                _ = try store.append(groups: groups)
                groups.removeAll()
            }
        }
        if !groups.isEmpty { _ = try store.append(groups: groups) }
    }

    /// `clients` connections append `total` events between them, each keeping up to `window`
    /// calls in flight; returns acknowledged appends per second, and the CPU time the process
    /// (daemon and clients) spent per append.
    ///
    /// The clients are lean load generators, as their CPU shares the machine with trialsd: each
    /// call's bytes are made before the clock starts, and a reply is checked by its first bytes
    /// (trialsd answers an append with `{"parameters":…`, an error with `{"error":…`); any other
    /// reply is parsed and fails the run. After the run the log must have grown by exactly
    /// `total` events (Stats), so no append went unacknowledged or was counted twice.
    func appendRun(path: String, clients: Int, total: Int, window: Int, events: [JSONValue]) throws -> (
        rate: Double, cpu: Double
    ) {
        let per = total / clients
        let before = try lastSeq(path)
        let calls: [[[UInt8]]] = (0..<clients).map { k in
            events[(k * per)..<((k + 1) * per)].map { e in
                var bytes: [UInt8] = []
                VarlinkCall(method: TrialsMethod.append.qualifiedName, parameters: JSONObject([("event", e)])).json
                    .write(to: &bytes)
                bytes.append(0)
                return bytes
            }
        }
        let success = Array(#"{"parameters":"#.utf8)
        let group = DispatchGroup()
        let failure = FailureBox()
        let cpuStart = cpuSeconds()
        let start = now()
        for k in 0..<clients {
            group.enter()
            let mine = calls[k]
            Thread {
                defer { group.leave() }
                do {
                    let c = try VarlinkConnection(path: path)
                    var sent = 0, received = 0
                    var out: [UInt8] = []
                    while received < mine.count {
                        // The calls that fit in the window go out in one write, as a
                        // pipelining client sends them.
                        out.removeAll(keepingCapacity: true)
                        while sent < mine.count && sent - received < window {
                            out.append(contentsOf: mine[sent])
                            sent += 1
                        }
                        if !out.isEmpty { try c.sendRaw(out) }
                        guard let frame = try c.receiveFrame() else { throw ClientError.protocolViolation("closed") }
                        if !frame.starts(with: success) {
                            let reply = try VarlinkReply(message: try JSONValue.parse(frame))
                            if let e = reply.varlinkError { throw ClientError.remote(e) }
                            throw ClientError.protocolViolation(
                                "unexpected reply: \(String(decoding: frame.prefix(200), as: UTF8.self))")
                        }
                        received += 1
                    }
                } catch {
                    failure.set(error)
                }
            }.start()
        }
        group.wait()
        if let error = failure.error { throw error }
        let elapsed = now() - start
        let cpu = cpuSeconds() - cpuStart
        let grown = try lastSeq(path) - before
        guard grown == Int64(per * clients) else {
            throw ClientError.protocolViolation(
                "\(per * clients) appends were acknowledged but the log grew by \(grown) events")
        }
        return (Double(per * clients) / elapsed, cpu / Double(per * clients))
    }

    /// The log's last seq, from trialsd's Stats.
    func lastSeq(_ path: String) throws -> Int64 {
        let c = try VarlinkConnection(path: path)
        defer { c.close() }
        guard case .int(let seq)? = try c.call(TrialsMethod.stats.qualifiedName)["lastSeq"] else {
            throw ClientError.protocolViolation("Stats has no lastSeq")
        }
        return seq
    }

    /// User and system CPU time of this process so far.
    func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(u.ru_utime) + s(u.ru_stime)
    }
}

/// The first error of the client threads.
/// Round-trip times the clients' threads add to.
final class LatencyBox: Sendable {
    private let all = Mutex<[Double]>([])
    func add(_ some: [Double]) { all.withLock { $0 += some } }
    var sorted: [Double] { all.withLock { $0.sorted() } }
}

final class FailureBox: Sendable {
    private let first = Mutex<Error?>(nil)
    func set(_ e: Error) {
        first.withLock { if $0 == nil { $0 = e } }
    }
    var error: Error? { first.withLock { $0 } }
}
