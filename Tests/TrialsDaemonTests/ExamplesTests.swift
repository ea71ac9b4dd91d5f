import Foundation
import TrialDomain
import TrialProtocol
import TrialTestSupport
import RegistryTestSupport
import XCTest

@testable import TrialsDaemon

/// Every console example runs as written (issue "first hour of a new user", point 11): each
/// `trialctl …` line of a fenced code block of README.md, of the indented examples of
/// demo/README.md, and of the `Example:`/`Examples:` sections of `trialctl help` and each
/// command's help, in the order they are written, against a trialsd seeded with the demo data,
/// run by /bin/sh from the clone's directory (so that `demo/ctgov/*.json` and quoting work as
/// typed), with the built trialctl first on PATH and TRIALCTL_SOCKET naming the daemon (as
/// `make run` tells). Each must exit 0, or the status its comment states (`# exit 4`).
/// Lines that are not trialctl (systemctl, journalctl, curl) are not for the demo daemon and
/// are skipped; the few trialctl lines that cannot run here are listed with the reason.
final class ExamplesTests: XCTestCase {
    /// Examples not run, by how they begin, and why.
    static let notRun: [(prefix: String, reason: String)] = [
        ("trialctl watch", "follows the log until it is stopped (Ctrl-C)"),
        ("trialctl log -f", "follows the log until it is stopped (Ctrl-C)"),
        ("trialctl backup /var/lib/trialsd", "writes where only the system's trialsd.service may (its StateDirectory)"),
    ]

    struct Example: CustomStringConvertible {
        let source: String
        let command: String
        var description: String { "\(source): \(command)" }

        /// The exit status the example's comment states (`# exit 4`, `# exits 4`), else 0.
        var expectedStatus: Int32 {
            guard let hash = command.range(of: " # ") else { return 0 }
            let words = command[hash.upperBound...].split(separator: " ")
            for (i, w) in words.enumerated() where (w == "exit" || w == "exits") && i + 1 < words.count {
                if let n = Int32(words[i + 1].trimmingCharacters(in: .punctuationCharacters)) { return n }
            }
            return 0
        }
    }

    /// The trialctl lines of `lines` (continuations joined), each after `$ ` or indentation.
    static func commands(_ lines: [Substring], source: String) -> [Example] {
        var out: [Example] = []
        var pending: String?
        for raw in lines {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if let p = pending {
                line = p + " " + line
                pending = nil
            } else {
                if line.hasPrefix("$ ") { line = String(line.dropFirst(2)) }
                // trialctl, and a shell variable set for a later example (`seeded=$(date …)`).
                let setsVariable = line.range(of: #"^[A-Za-z_][A-Za-z0-9_]*=\$\("#, options: .regularExpression) != nil
                guard line.hasPrefix("trialctl ") || line == "trialctl" || setsVariable else { continue }
            }
            if line.hasSuffix("\\") {
                pending = String(line.dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            out.append(Example(source: source, command: line))
        }
        return out
    }

    /// The examples in the fenced code blocks of a Markdown file.
    static func fencedExamples(_ path: String) throws -> [Example] {
        let text = try String(contentsOfFile: Repository.path(path), encoding: .utf8)
        var inFence = false
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                inFence.toggle()
                continue
            }
            if inFence { lines.append(line) }
        }
        return commands(lines, source: path)
    }

    /// The examples in the indented (four spaces) code blocks of a Markdown file.
    static func indentedExamples(_ path: String) throws -> [Example] {
        let text = try String(contentsOfFile: Repository.path(path), encoding: .utf8)
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("    trialctl ") }
        return commands(lines, source: path)
    }

    /// The examples of a help text: the lines after `Example:` or `Examples:` up to a blank one.
    static func helpExamples(_ help: String, source: String) -> [Example] {
        var lines: [Substring] = []
        var inExamples = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t == "Example:" || t == "Examples:" {
                inExamples = true
            } else if t.isEmpty {
                inExamples = false
            } else if inExamples {
                lines.append(line)
            }
        }
        return commands(lines, source: source)
    }

    var dir: TemporaryDirectory!
    var daemon: DaemonProcess!
    /// The registry `sync` and `backfill` examples ask: a stand-in on 127.0.0.1 serving the
    /// real records of demo/ctgov and, for the backfill example's trial, the real version 0 of
    /// Tests/Fixtures/ctgov-history under its number.
    var registry: StubRegistryServer!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
        daemon = try DaemonProcess(directory: dir, arguments: ["--seed", Repository.path("demo/trial-timeline.jsonl")])
        try daemon.start()
        let fake = FakeRegistry()
        for id in ["NCT00973089", "NCT02552212", "NCT06171568"] {
            try fake.put(Array(try Data(contentsOf: URL(fileURLWithPath: Repository.path("demo/ctgov/\(id).json")))))
        }
        let v0 = String(
            decoding: try Data(
                contentsOf: URL(
                    fileURLWithPath: Repository.path("Tests/Fixtures/ctgov-history/NCT04280705_history_v0.json"))),
            as: UTF8.self)
        let backfilled = "NCT06388018"
        fake.putHistory(
            backfilled,
            list: Array(
                #"{"changes":[{"version":0,"date":"2024-06-01","status":"NOT_YET_RECRUITING","moduleLabels":[]}]}"#.utf8
            ),
            versions: [0: Array(v0.replacingOccurrences(of: "NCT04280705", with: backfilled).utf8)])
        registry = try StubRegistryServer(handler: fake.answer)
    }

    override func tearDownWithError() throws {
        registry.stop()
        XCTAssertEqual(daemon.terminate(), 0)
        dir.remove()
    }

    /// The environment `make run` tells a user to have: trialctl on PATH, TRIALCTL_SOCKET.
    var environment: [String: String] {
        [
            "PATH": "\(Products.directory.path):/usr/bin:/bin", "HOME": dir.url.path, "NO_COLOR": "1",
            "TRIALCTL_SOCKET": daemon.socketPath,
            "TRIALTRACK_CTGOV_URL": registry.root,
        ]
    }

    /// Runs the examples in order, in one shell from the clone's directory (so that a variable
    /// an example sets, `seeded=$(date …)`, is there for the next), and fails for each that does
    /// not exit as expected, that prints an empty listing (`0 trials listed.`, `-- No events --`:
    /// an example that shows nothing on the demo shows nothing), or that records a fact the demo
    /// already holds; and for a source with no example at all.
    func run(_ examples: [Example], file: StaticString = #filePath, line: UInt = #line) throws {
        let toRun = examples.filter { example in
            // Self.notRun says why each of these is not run.
            !Self.notRun.contains { example.command.hasPrefix($0.prefix) }
        }
        XCTAssertGreaterThan(toRun.count, 0, "no example found", file: file, line: line)
        // Each example is evaluated as typed; markers on both streams delimit its output.
        let script = """
            cd "$1" || exit 99
            shift
            i=0
            for example in "$@"; do
                printf '\\n@@begin %d\\n' $i; printf '\\n@@begin %d\\n' $i >&2
                eval "$example" </dev/null
                printf '\\n@@status %d %d\\n' $i $?
                i=$((i + 1))
            done
            """
        let r = try runProgram(
            "/bin/sh", ["-c", script, "sh", Repository.root.path] + toRun.map(\.command),
            environment: environment, output: .separate, timeout: 600)
        XCTAssertEqual(r.status, 0, "\(r)", file: file, line: line)
        func sections(_ text: String) -> [Int: String] {
            var out: [Int: String] = [:]
            var current: Int?
            for l in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if l.hasPrefix("@@begin "), let n = Int(l.dropFirst(8)) { current = n; continue }
                if let c = current { out[c, default: ""] += l + "\n" }
            }
            return out
        }
        let outs = sections(r.out), errs = sections(r.err)
        for (i, example) in toRun.enumerated() {
            let out = outs[i] ?? "", err = errs[i] ?? ""
            let statusLine = out.split(separator: "\n").last { $0.hasPrefix("@@status \(i) ") }
            let status = statusLine.flatMap { Int32($0.split(separator: " ").last!) }
            XCTAssertEqual(status, example.expectedStatus, "\(example):\n\(out)\(err)", file: file, line: line)
            for empty in ["0 trials listed.", "-- No events --", "0 milestones listed."] {
                XCTAssertFalse(
                    err.contains(empty), "\(example) shows nothing on the demo:\n\(out)\(err)", file: file, line: line)
            }
        }
        // No example records what the demo already says (a second copy of a fact or forecast).
        let log = try daemon.connect().trials("Log", ["limit": 10_000])
        var seen: [String: Int64] = [:]
        for e in log["events"]?.arrayValue ?? []
        where e["type"] != "milestone-overdue" && e["type"] != "corrected" && e["type"] != "retracted" {
            let key = [e["trial"], e["type"], e["occurred"], e["payload"]].map { $0?.canonicalText ?? "" }.joined(
                separator: " ")
            if let first = seen[key] {
                XCTFail(
                    "seq \(e["seq"]?.int64Value ?? 0) records again what seq \(first) holds: \(key)", file: file,
                    line: line)
            }
            seen[key] = e["seq"]?.int64Value ?? 0
        }
    }

    func testTheREADMEsExamplesRunAsWrittenOnTheDemo() throws {
        let examples = try Self.fencedExamples("README.md")
        XCTAssertTrue(examples.contains { $0.command.hasPrefix("trialctl import demo/ctgov/*.json") }, "\(examples)")
        try run(examples)
    }

    func testTheDemoREADMEsExamplesRunAsWritten() throws {
        try run(try Self.indentedExamples("demo/README.md"))
    }

    func testTheHelpExamplesRunAsWrittenOnTheDemo() throws {
        let trialctl = Products.path("trialctl")
        let top = try runProgram(
            trialctl, ["--help"], environment: ["PATH": "/usr/bin:/bin"], output: .separate, timeout: 60)
        // The commands, in the order `trialctl --help` lists them.
        var names: [String] = []
        var inList = false
        for line in top.out.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("SUBCOMMANDS:") { inList = true; continue }
            if inList, line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first,
                !name.hasPrefix("See")
            {
                names.append(String(name))
            }
        }
        XCTAssertTrue(names.contains("correct") && names.contains("record"), top.out)
        var examples = Self.helpExamples(top.out, source: "trialctl --help")
        for name in names {
            let help = try runProgram(
                trialctl, ["help", name], environment: ["PATH": "/usr/bin:/bin"], output: .separate, timeout: 60)
            XCTAssertEqual(help.status, 0, "\(help)")
            examples += Self.helpExamples(help.out, source: "trialctl help \(name)")
        }
        XCTAssertTrue(examples.contains { $0.command.hasPrefix("trialctl correct ") }, "\(examples)")
        XCTAssertTrue(
            examples.contains { $0.command.hasPrefix("trialctl sync") }, "the sync's examples, against the stand-in")
        try run(examples)
    }

    /// `correct --help`'s old example on the demo: seq 17 is a forecast, which has no outcome.
    /// The field is named as typed, not by trialsd's path inside the corrected event
    /// (`payload.payload.outcome`), with the fields the event has.
    func testACorrectionsUnknownFieldIsNamedAsTyped() throws {
        let r = try runProgram(
            Products.path("trialctl"),
            ["correct", "17", "--reason", "the interim analysis met its endpoint", "outcome=met"],
            environment: environment, output: .separate, timeout: 60)
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertEqual(
            r.err,
            "trialctl: invalid payload: outcome: unknown field (seq 17's payload, a milestone-expected, has milestone, window)\n"
        )
    }

    /// The demo's README cites the files it was made from as external provenance: every
    /// relative link of the READMEs leads to a file of the repository.
    func testTheREADMEsRelativeLinksResolve() throws {
        for path in [
            "README.md", "demo/README.md", "demo/ctgov/SOURCES.md", "docs/ARCHITECTURE.md", "benchmarks/README.md",
        ] {
            let text = try String(contentsOfFile: Repository.path(path), encoding: .utf8)
            let base = (Repository.path(path) as NSString).deletingLastPathComponent
            let regex = try NSRegularExpression(pattern: #"\]\(([^)#:\s]+)(#[^)]*)?\)"#)
            for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let target = String(text[Range(m.range(at: 1), in: text)!])
                XCTAssertTrue(
                    FileManager.default.fileExists(atPath: (base as NSString).appendingPathComponent(target)),
                    "\(path) links to \(target), which is not in the repository")
            }
            if path == "demo/README.md" {
                for external in ["trial-timeline.md", "SPEC.md"] {
                    XCTAssertFalse(FileManager.default.fileExists(atPath: Repository.path("demo/" + external)))
                    XCTAssertTrue(text.contains("`\(external)`"), "\(external) is cited by name")
                }
                XCTAssertTrue(text.contains("outside this repository"), "the external provenance says so")
            }
        }
    }
}
