// trialctl's commands and presentation.
#if canImport(Glibc)
    import Glibc
#endif
import ArgumentParser

/// What one run of trialctl did: its exit status and what it wrote.
public struct TrialctlResult: Equatable, Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// The entry points of trialctl: `main()` for the executable, `run` for tests.
public enum TrialctlMain {
    /// Runs trialctl with `arguments` (without the program name) against `context`, and
    /// returns the exit status. Errors become one line on standard error, `trialctl: …`.
    public static func run(_ arguments: [String], context ctx: Context) -> Int32 {
        let args = withDefaultCommand(arguments)
        if let first = args.first, !first.hasPrefix("-"), !commandNames.contains(first) {
            ctx.writeErr(
                "trialctl: unknown command '\(first)'; the commands are \(commandNames.dropLast().joined(separator: ", ")) (see 'trialctl --help')\n"
            )
            return ExitStatus.usage.rawValue
        }
        var command: ParsableCommand
        do {
            command = try Trialctl.parseAsRoot(args)
        } catch {
            return report(parseError: error, ctx)
        }
        guard let c = command as? any TrialctlCommand else {
            // The root itself, or `help`: ArgumentParser answers with a help "error".
            do {
                try command.run()
                return ExitStatus.success.rawValue
            } catch {
                return report(parseError: error, ctx)
            }
        }
        do {
            try c.execute(ctx)
            return ExitStatus.success.rawValue
        } catch {
            let e = ErrorText.convert(error)
            if !e.message.isEmpty { ctx.writeErr("trialctl: \(oneLine(e.message))\n") }
            return e.status.rawValue
        }
    }

    /// Runs trialctl in-process with the given environment and standard input, capturing its
    /// output (not a terminal: no colour, no pager). trialsd is found as `--socket` or
    /// `TRIALCTL_SOCKET` in `environment` say, else by the usual lookup.
    public static func run(_ arguments: [String], environment: [String: String] = [:], stdin: [UInt8] = [])
        -> TrialctlResult
    {
        var out = ""
        var err = ""
        let ctx = Context(
            environment: environment, terminal: .pipe, writeOut: { out += $0 }, writeErr: { err += $0 },
            readStdin: { stdin })
        let status = run(arguments, context: ctx)
        return TrialctlResult(status: status, stdout: out, stderr: err)
    }

    /// The executable's main: the process's arguments, environment and streams.
    public static func main() -> Never {
        let status = run(Array(CommandLine.arguments.dropFirst()), context: Context.process())
        exit(status)
    }

    /// The subcommands' names, and ArgumentParser's `help`.
    static let commandNames = Trialctl.configuration.subcommands.map { $0.configuration.commandName ?? "" } + ["help"]

    /// Options that may come before the command, as with systemctl (`trialctl --json log`):
    /// every command's (`GlobalOptions`) and the output options of the commands that print
    /// (`--json`, `-l`/`--full`). A command that lacks one says so as for any unknown option.
    static let leadingValueOptions: Set = ["--socket", "--timeout"]
    static let leadingFlags: Set = ["--no-pager", "--no-color", "--json", "--full", "-l", "--no-legend"]
    /// Options given as `--name=value` only, that may come before the command too.
    static let leadingAttachedOptions = ["--json="]

    /// Plain `--json` is `--json=short` (systemctl's `--json=MODE`, whose plain form scripts
    /// already use); up to `--`, after which arguments are not options.
    static func expandingPlainJSON(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var rest = arguments[...]
        while let a = rest.popFirst() {
            if a == "--" {
                out.append(a)
                out += rest
                break
            }
            out.append(a == "--json" ? "--json=short" : a)
        }
        return out
    }

    /// `trialctl` alone, or with options only, means `trialctl status`.
    /// Options may come before the command (`leadingValueOptions`, `leadingFlags`): they are
    /// moved behind it (`trialctl --socket PATH --json status HARMONi-2`).
    static func hoistingCommonOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if leadingValueOptions.contains(first), rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if leadingFlags.contains(first) || leadingValueOptions.contains(where: { first.hasPrefix($0 + "=") })
                || leadingAttachedOptions.contains(where: { first.hasPrefix($0) })
            {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        if let command = rest.first, !command.hasPrefix("-") { return [command] + leading + rest.dropFirst() }
        return ["status"] + leading + rest
    }

    static func withDefaultCommand(_ arguments: [String]) -> [String] {
        let arguments = hoistingCommonOptions(expandingPlainJSON(arguments))
        guard let first = arguments.first else { return ["status"] }
        let rootOnly = [
            "-h", "--help", "--version", "--generate-completion-script", "---completion", "--experimental-dump-help",
            "help",
        ]
        if first.hasPrefix("-"), !rootOnly.contains(where: { first == $0 || first.hasPrefix($0 + "=") }) {
            return ["status"] + arguments
        }
        return arguments
    }

    /// Help goes to standard output with status 0; a usage error is one line on standard error
    /// with status 2.
    static func report(parseError error: Error, _ ctx: Context) -> Int32 {
        let code = Trialctl.exitCode(for: error)
        if code == .success {
            let text = Trialctl.fullMessage(for: error, columns: ctx.terminal.columns)
            if !text.isEmpty { ctx.writeOut(text.hasSuffix("\n") ? text : text + "\n") }
            return ExitStatus.success.rawValue
        }
        ctx.writeErr("trialctl: \(usageMessage(error))\n")
        return ExitStatus.usage.rawValue
    }

    /// ArgumentParser's message, lower-cased as a continuation, with where to find help.
    static func usageMessage(_ error: Error) -> String {
        var message = oneLine(Trialctl.message(for: error))
        if message.hasPrefix("Error: ") { message.removeFirst(7) }
        if let f = message.first, f.isUppercase, let s = message.dropFirst().first, s.isLowercase {
            message = f.lowercased() + message.dropFirst()
        }
        let full = Trialctl.fullMessage(for: error, columns: 10_000)
        if let r = full.range(of: "See '"), let end = full[r.upperBound...].firstIndex(of: "'") {
            message += " (see '" + full[r.upperBound..<end] + "')"
        }
        return message.isEmpty ? "invalid usage (see 'trialctl --help')" : message
    }

    static func oneLine(_ s: String) -> String {
        let lines = s.split(separator: "\n", omittingEmptySubsequences: true)
        return lines.map { String($0).trimmed(" \t") }.joined(separator: "; ")
    }
}
