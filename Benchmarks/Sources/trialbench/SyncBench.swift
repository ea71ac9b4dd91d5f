import ArgumentParser
import Foundation
import RegistryTestSupport
import TrialDomain

/// The registry sync end to end: the built trialctl syncing from a stand-in for the registry
/// into the built trialsd, beside the bare parse of the same bytes.
struct SyncBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract:
            "Benchmark `trialctl sync` end to end (fetch, parse, plan, submit, commit) beside the bare parse of the same pages.",
        discussion: """
            A stand-in for the registry on 127.0.0.1 serves pages of 1000 real records (demo/ctgov) \
            replicated under fresh NCT numbers, mixed sizes, one in `--large-every` the record with \
            results enlarged to 1.5 MB the way the registry's largest are. The built trialctl \
            (`--bin`, release) syncs a followed search of them into the built trialsd on a new \
            database, with no pause between requests (the registry's own pace, one request a \
            second, is a floor of 1000 records a second by itself); then again, when nothing has \
            changed. Prints records a second and each process's peak resident memory, beside the \
            parse of the same bytes in this process. Run from the repository's root.
            """)

    @Option(help: "Records in all.") var records = 20_000
    @Option(help: "One record in this many is the 1.5 MB one.") var largeEvery = 500
    @Option(help: "Directory of the release trialsd and trialctl.") var bin = ".build/release"
    @Option(help: "Directory of the real records.") var fixtures = "demo/ctgov"
    @Option(help: "Directory for the database (default: a new temporary one).") var dir: String?

    func run() throws {
        func load(_ id: String) throws -> [UInt8] {
            Array(try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(id).json")))
        }
        let results = try load("NCT02552212")
        let large = try ReplicatedStudies.enlarged(results, toAtLeast: 1_500_000)
        let small = ReplicatedStudies(templates: [
            .init(nctId: "NCT00973089", bytes: try load("NCT00973089")),
            .init(nctId: "NCT06171568", bytes: try load("NCT06171568")),
        ])
        let withResults = ReplicatedStudies(templates: [.init(nctId: "NCT02552212", bytes: results)])
        let big = ReplicatedStudies(templates: [.init(nctId: "NCT02552212", bytes: large)])
        let pageSize = 1000
        let pages = (records + pageSize - 1) / pageSize
        let total = records, every = largeEvery
        // About the registry's mix: one record in ten with results (151 KB), one in `every` of 1.5 MB.
        @Sendable func study(_ i: Int) -> [UInt8] {
            i % every == every - 1 ? big.study(i) : i % 10 == 9 ? withResults.study(i) : small.study(i)
        }
        @Sendable func page(_ n: Int) -> [UInt8] {
            let range = (n * pageSize)..<min(total, (n + 1) * pageSize)
            return StudiesPageBody.make(range.lazy.map(study), next: n + 1 < pages ? "p\(n + 1)" : nil, total: total)
        }
        let server = try StubRegistryServer { request in
            switch request.path {
            case "/api/v2/version": return .json(#"{"apiVersion":"2.0.5","dataTimestamp":"2026-12-04T09:00:05"}"#)
            case "/api/v2/studies": return .json(page(Int(request.query("pageToken")?.dropFirst() ?? "0") ?? 0))
            default: return .status(404)
            }
        }
        // The bare parse of the same bytes, in this process.
        var bytes = 0
        var parseSeconds = 0.0
        for n in 0..<pages {
            let p = page(n)
            bytes += p.count
            let t = now()
            _ = try JSONValue.parse(p)
            parseSeconds += now() - t
        }
        print(
            "trialbench sync: \(records) records in \(pages) pages, \(fmt(Double(bytes) / 1_048_576)) MiB, one in 10 with results (\(fmt(Double(results.count) / 1000)) KB), one in \(largeEvery) of \(String(format: "%.1f", Double(large.count) / 1_000_000)) MB"
        )

        let work = try WorkDirectory(dir)
        defer { work.removeIfMade() }
        let socket = work.path + "/control"
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "\(bin)/trialsd")
        daemon.arguments = [
            "--database", work.path + "/trials.db", "--socket", socket, "--writers-group", "", "--log-level", "warning",
        ]
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
        let env = ["PATH": "/usr/bin:/bin", "TRIALTRACK_CTGOV_URL": server.root, "HOME": work.path]
        /// Runs trialctl; its wall time, CPU seconds and peak resident memory (getrusage of the
        /// reaped children: trialsd, still running, is not among them).
        func trialctl(_ args: [String], quiet: Bool = false) throws -> (
            seconds: Double, cpu: Double, peakMiB: Double, out: String
        ) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "\(bin)/trialctl")
            p.arguments = ["--socket", socket] + args
            p.environment = env
            let out = Pipe()
            p.standardOutput = out
            if quiet { p.standardError = FileHandle.nullDevice }
            var before = rusage()
            getrusage(RUSAGE_CHILDREN.rawValue, &before)
            let t = now()
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            let seconds = now() - t
            var after = rusage()
            getrusage(RUSAGE_CHILDREN.rawValue, &after)
            func cpu(_ u: rusage) -> Double {
                Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
            }
            guard p.terminationStatus == 0 else {
                throw ValidationError(
                    "trialctl \(args.joined(separator: " ")) failed (\(p.terminationStatus)): \(text.suffix(800))")
            }
            return (seconds, cpu(after) - cpu(before), Double(after.ru_maxrss) / 1024, text)
        }
        func daemonCPU() -> Double {
            guard let stat = try? String(contentsOfFile: "/proc/\(daemon.processIdentifier)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return 0 }
            let f = stat[stat.index(after: close)...].split(separator: " ")
            return ((Double(f[11]) ?? 0) + (Double(f[12]) ?? 0)) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
        // trialsd answers once its socket accepts.
        var ready = false
        for _ in 0..<300 where !ready {
            ready = (try? trialctl(["stats"], quiet: true)) != nil
            if !ready { usleep(20_000) }
        }
        guard ready else { throw ValidationError("trialsd did not start") }
        _ = try trialctl(["follow", "--query", "benchmark"])

        let cpu0 = daemonCPU()
        let first = try trialctl(["sync", "--interval", "0", "--json"])
        let cpu1 = daemonCPU()
        let firstSummary = try JSONValue.parse(first.out.trimmingCharacters(in: .whitespacesAndNewlines))
        let again = try trialctl(["sync", "--interval", "0", "--json"])
        let cpu2 = daemonCPU()
        let daemonPeak = procStatusMegabytes("VmHWM:", pid: daemon.processIdentifier)

        let parseRate = Double(records) / parseSeconds
        print("")
        func pad(_ s: String, _ n: Int, right: Bool = true) -> String {
            s.count >= n
                ? s
                : (right
                    ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count))
        }
        print(
            pad("", 46, right: false) + pad("records/s", 11) + pad("CPU s ctl", 11) + pad("CPU s d", 9)
                + pad("peak MiB ctl", 14))
        func line(_ name: String, _ rate: Double, _ ctl: String, _ d: String, _ rss: String) {
            print(pad(name, 46, right: false) + pad(fmt(rate), 11) + pad(ctl, 11) + pad(d, 9) + pad(rss, 14))
        }
        line("bare parse of the pages (this process)", parseRate, String(format: "%.1f", parseSeconds), "-", "-")
        line(
            "sync, first (\(firstSummary["events"]?.int64Value ?? 0) events recorded)", Double(records) / first.seconds,
            String(format: "%.1f", first.cpu), String(format: "%.1f", cpu1 - cpu0), fmt(first.peakMiB))
        line(
            "sync, again (nothing changed)", Double(records) / again.seconds, String(format: "%.1f", again.cpu),
            String(format: "%.1f", cpu2 - cpu1), fmt(again.peakMiB))
        print("trialsd peak resident memory over both: \(fmt(daemonPeak)) MiB")
        print("")
        print(
            "target: at least 1000 records/s end to end (all of ClinicalTrials.gov, ~560,000 records, in under ten minutes), trialsd and trialctl each under 300 MB"
        )
        _ = try? trialctl(["stats"])
    }
}

/// A field of /proc/PID/status (VmHWM:, VmRSS:) of this process or another, in MiB.
func procStatusMegabytes(_ field: String, pid: Int32? = nil) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid.map(String.init) ?? "self")/status", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
        let kib = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap({ Double($0) }).first
    else { return -1 }
    return kib / 1024
}
