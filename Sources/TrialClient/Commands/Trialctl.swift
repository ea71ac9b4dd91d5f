import ArgumentParser
import TrialDomain
import TrialProtocol

/// ArgumentParser's validation error (TrialDomain has a ValidationError of its own).
typealias UsageError = ArgumentParser.ValidationError

/// A trialctl subcommand: ArgumentParser parses it, `execute` runs it against a Context.
public protocol TrialctlCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func execute(_ ctx: Context) throws
}

extension TrialctlCommand {
    public mutating func run() throws { try execute(Context.process()) }
}

/// Options every command takes.
public struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "trialsd's control socket.",
            discussion:
                "Default: $TRIALCTL_SOCKET, else the first that accepts a connection of /run/trialsd/control and the user's own socket.",
            valueName: "path"))
    public var socket: String?

    @Flag(name: .long, help: "Do not pipe the output into a pager.")
    public var noPager = false

    @Flag(name: .long, help: "Do not colour the output (as NO_COLOR or SYSTEMD_COLORS=0 do).")
    public var noColor = false

    // `.unconditional`: `--timeout -1` takes -1 as its value, to be refused by validate()
    // with the valid range, instead of ArgumentParser's "missing value" for an option-like -1.
    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp(
            "How long to wait for trialsd's answer, in seconds (0: for ever).",
            discussion:
                "Default: 90; for verify, rebuild and import, which take longer on a large log, for ever. `watch` waits for events for ever whatever this says.",
            valueName: "seconds"))
    public var timeout: Double?

    public init() {}

    public func validate() throws {
        if let timeout, !(timeout >= 0 && timeout.isFinite) {
            throw UsageError("--timeout: give 0 (for ever) or more seconds, not \(Format.number(timeout))")
        }
    }

    /// The bound on each wait for an answer to a call of this kind; nil: none.
    func answerTimeout(_ wait: AnswerWait) -> Duration? {
        let seconds: Double
        switch wait {
        case .answer: seconds = timeout ?? 90
        case .work: seconds = timeout ?? 0
        case .events: seconds = 0
        }
        return seconds == 0 ? nil : .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}

/// What a command waits for from trialsd, which decides how long it waits.
public enum AnswerWait: Sendable {
    /// An answer that comes in milliseconds: 90 s unless --timeout says otherwise.
    case answer
    /// Work that grows with the log (verify, rebuild, import): for ever unless --timeout says.
    case work
    /// Events, which come when they come (watch): for ever.
    case events
}

/// trialctl's version: the project's.
public let trialctlVersion = trialtrackVersion

/// `-l/--full`, `--json[=MODE]` and `--no-legend`, for the commands that print tables.
public struct TableOutputOptions: ParsableArguments {
    @Flag(name: [.customShort("l"), .long], help: "Do not truncate lines to the terminal's width.")
    public var full = false

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @Flag(help: "Print no header row and no footer (\"3 trials listed.\", where to continue): only the rows.")
    public var noLegend = false

    public init() {}
}

public struct Trialctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trialctl",
        abstract: "Ask and tell trialsd, the system of record for clinical-trial lifecycles.",
        discussion: """
            With no command, trialctl shows the status of every trial.

            trialsd is found at --socket PATH, else at $TRIALCTL_SOCKET, else at the first of \
            these that accepts a connection from you: the system socket /run/trialsd/control, \
            then your own trialsd's, $XDG_RUNTIME_DIR/trialsd/control \
            (/run/user/UID/trialsd/control when XDG_RUNTIME_DIR is not set), or \
            $XDG_STATE_HOME/trialsd/control (~/.local/state/trialsd/control) when you have no \
            runtime directory. Reading needs access to the socket; recording, importing, \
            correcting, retracting, rebuilding and backing up need root, the user trialsd runs as, or \
            membership in trialsd's writers group (trialsd --writers-group).

            Output is coloured and uses symbols only on a terminal, and never with NO_COLOR, \
            SYSTEMD_COLORS=0 or --no-color. On a terminal, output longer than the screen goes \
            through $SYSTEMD_PAGER, else $PAGER, else less (with LESS=FRSXMK, or $SYSTEMD_LESS); \
            --no-pager, or a pager of "cat" or "", turns that off. --json (or --json=short) \
            prints the parameters of trialsd's reply as one line of canonical JSON, for scripts; \
            --json=pretty indents it. --no-legend leaves out the header row and the footers of \
            tables, which otherwise go to standard error, out of a pipe. As with systemctl, \
            --socket, --timeout, --no-pager, --no-color, --json, --no-legend and -l/--full may \
            also come before the command (trialctl --json log).

            The shell completions complete trial names (asked of trialsd, if it answers within \
            1.5 s) and event types.

            Exit status: 0 success, 1 failure, 2 usage error, 3 trialsd cannot be reached or \
            did not answer within --timeout, 4 no such trial.
            """,
        version: "trialctl \(trialctlVersion)",
        subcommands: [
            StatusCommand.self, LogCommand.self, RecordCommand.self, ImportCommand.self, CorrectCommand.self,
            RetractCommand.self, WatchCommand.self, UpcomingCommand.self, VerifyCommand.self, RebuildCommand.self,
            StatsCommand.self, FollowCommand.self, UnfollowCommand.self, FollowingCommand.self, SyncCommand.self,
            BackfillCommand.self, TimelineCommand.self, BackupCommand.self, ExportCommand.self,
        ])

    public init() {}
}

// MARK: - Validation helpers

enum Check {
    static func type(_ t: String, option: String) throws {
        guard EventType(rawValue: t) != nil else {
            throw UsageError(
                "\(option): unknown event type '\(t)'; the types are \(EventType.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
    }

    static func partialDate(_ s: String, option: String) throws {
        do { _ = try PartialDate(parsing: s) } catch { throw UsageError("\(option): \(error.reason)") }
    }

    static func uuid(_ s: String) throws {
        guard NewEvent.normalisedUUID(s) != nil else {
            throw UsageError("--id: '\(s)' is not a UUID (8-4-4-4-12 hexadecimal digits)")
        }
    }

    static func trial(_ s: String) throws {
        do { _ = try TrialReference(s) } catch { throw UsageError(error.reason) }
    }

    static func assignments(_ list: [String]) throws {
        for a in list {
            do { _ = try Input.assignment(a) } catch { throw UsageError(error.message) }
        }
    }
}

/// A parameters object from a literal.
func params(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONObject { JSONObject(pairs.map { ($0.key, $0.value) }) }

extension Context {
    func printJSON(_ reply: JSONObject, _ mode: JSONMode) { writeOut(mode.text(.object(reply))) }

    /// Prints a listing asked for in pages as its single reply would be (`{"trials":[...]}`:
    /// one member, so its text is the pages' items in order), a page at a time: on one line
    /// (`short`), or indented (`pretty`).
    func printJSONList(
        _ session: Session, _ method: TrialsMethod, _ parameters: JSONObject, list: String, _ mode: JSONMode
    ) throws(TrialctlError) {
        let pretty = mode == .pretty
        var started = false, written = 0
        var out = ""
        try session.pages(method, parameters, list: list) { items, _ in
            out.removeAll(keepingCapacity: true)
            if !started {
                out += "{" + (pretty ? "\n  " : "") + JSONValue.string(list).canonicalText + (pretty ? ": [" : ":[")
                started = true
            }
            for item in items {
                if written > 0 { out += "," }
                out += pretty ? "\n    " + PrettyJSON.text(item, indent: 2) : item.canonicalText
                written += 1
            }
            writeOut(out)
        }
        guard started else { return writeOut(mode.text(.object(JSONObject([(list, .array([]))])))) }
        writeOut(pretty ? (written > 0 ? "\n  ]\n}\n" : "]\n}\n") : "]}\n")
    }
}
