import ArgumentParser
import Foundation
import Logging
import Synchronization
import Systemd
import TrialProtocol
import TrialStore
import TrialsDaemon

/// trialsd: the trialtrack daemon.
@main
struct TrialsD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trialsd",
        abstract: "The trialtrack daemon: an append-only, event-sourced log of clinical-trial lifecycles.",
        discussion: """
            Keeps the log in one SQLite file, projects it into current-state tables, and serves the \
            Varlink interface org.trialtrack.Trials on a Unix socket (trialctl talks to it). Runs in \
            the foreground: under systemd, or in a terminal.

            Defaults: as root /var/lib/trialsd/trials.db (or $STATE_DIRECTORY/trials.db) and \
            /run/trialsd/control; otherwise $XDG_STATE_HOME/trialsd/trials.db \
            (~/.local/state/trialsd/trials.db) and $XDG_RUNTIME_DIR/trialsd/control \
            (/run/user/UID/trialsd/control), or $XDG_STATE_HOME/trialsd/control when there is no \
            runtime directory; trialctl looks there too. A user's own trialsd lets its user \
            write, besides root and the writers group. When systemd \
            passes a listening socket (LISTEN_FDS), trialsd serves that instead of binding. \
            With NOTIFY_SOCKET (Type=notify) it says READY=1 once the database is migrated and the \
            socket accepts, asking for more start time every 10 s while the database opens (a \
            migration on a large log can take minutes), and feeds the watchdog.

            With --restore FILE it serves nothing: it rebuilds the database (which must be new or \
            empty) from FILE, an export of the whole log (JSONL, one event a line, every field as \
            recorded), checking every line's hash against the line before; prints one line (events, \
            head hash) and exits. A line at fault is named (FILE:LINE: why) and nothing is written.

            Signals: SIGTERM and SIGINT stop it gracefully (in-flight appends are committed and \
            answered, subscribers are ended cleanly, exit status 0), also one that comes during \
            start-up (it then stops without serving). SIGHUP re-checks the expected milestones.
            """,
        version: trialtrackVersion)

    @Option(help: ArgumentHelp("The SQLite database (also $TRIALSD_DATABASE).", valueName: "path"))
    var database: String?

    @Option(help: ArgumentHelp("The control socket to bind (also $TRIALSD_SOCKET).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("Besides root, members of this group may write; \"\" for root only.", valueName: "name"))
    var writersGroup = "trialsd"

    @Option(help: ArgumentHelp("The bound socket's mode, octal.", valueName: "mode"))
    var socketMode = "0660"

    @Option(help: ArgumentHelp("The bound socket's group.", valueName: "name"))
    var socketGroup: String?

    @Option(
        help: ArgumentHelp(
            "Record the events of this JSONL file if the log is empty (the demo data).", valueName: "file"))
    var seed: String?

    @Option(
        help: ArgumentHelp(
            "Rebuild the database (new or empty) from this export of the log (JSONL), then exit.", valueName: "file"))
    var restore: String?

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel = "info"

    func validate() throws {
        guard mode_t(socketMode, radix: 8) != nil else {
            throw ValidationError("--socket-mode must be octal, like 0660")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if restore != nil, seed != nil {
            throw ValidationError("--restore and --seed cannot go together: a restore rebuilds a whole log")
        }
    }

    /// `--restore FILE`: the database rebuilt from an export, one line said, no daemon.
    func runRestore(_ file: String, databasePath: String) throws {
        do {
            let report = try EventStore.restore(from: file, into: databasePath)
            print(
                "trialsd: restored \(report.events) events of \(report.trials) trials into \(databasePath); head seq \(report.lastSeq), hash \(report.headHash)"
            )
        } catch {
            FileHandle.standardError.write(Data("trialsd: \(StoreError.oneLine(error))\n".utf8))
            throw ExitCode(1)
        }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        // Each client is a descriptor: the soft limit up to the hard one (systemd's advice).
        raiseOpenFilesLimit()
        let defaults = DaemonConfiguration.defaultPaths()
        var config = DaemonConfiguration(
            databasePath: database ?? env["TRIALSD_DATABASE"] ?? defaults.database,
            socketPath: socket ?? env["TRIALSD_SOCKET"] ?? defaults.socket)
        if let restore { return try runRestore(restore, databasePath: config.databasePath) }
        config.writersGroup = writersGroup.isEmpty ? nil : writersGroup
        config.socketMode = mode_t(socketMode, radix: 8)!
        config.socketGroup = socketGroup
        config.seedFile = seed
        // Socket activation: serve the socket systemd passes (FileDescriptorName=varlink).
        config.listenFD = ListenFDs.socket(named: "varlink")
        let level = Logger.Level(rawValue: logLevel)!
        // Under systemd (standard error is the journal) logs go to journald as structured
        // entries; in a terminal, to standard error.
        let toJournal = JournalLogHandler.stderrIsJournal
        LoggingSystem.bootstrap { label in
            if toJournal {
                var h = JournalLogHandler(label: label, identifier: "trialsd")
                h.logLevel = level
                return h
            }
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "trialsd")

        // Signals are caught from here on, before the daemon exists: a SIGTERM during start-up
        // or right after READY=1 is never lost (see SignalCatcher).
        let lifecycle = Lifecycle()
        SignalCatcher.install { signal in
            logger.info("received \(signal == SIGHUP ? "SIGHUP" : signal == SIGINT ? "SIGINT" : "SIGTERM")")
            if signal == SIGHUP {
                // Reload: nothing in the configuration changes at run time; re-check the
                // expected milestones and refresh the status line.
                guard let daemon = lifecycle.daemon else { return }
                ServiceNotifier.reloading()
                Task {
                    await daemon.checkOverdue()
                    ServiceNotifier.ready(status: await daemon.statusLine())
                }
            } else {
                ServiceNotifier.stopping(status: "stopping: finishing in-flight appends")
                lifecycle.requestStop()?.stop()
            }
        }

        let daemon: Daemon
        do {
            // Opening migrates the database: long on a large log the first time a new
            // migration fills a table from it (figures in benchmarks/README.md).
            daemon = try ServiceNotifier.extendingStartTimeout(
                status: "opening \(config.databasePath) (migrating it may take a while)"
            ) {
                try Daemon(configuration: config, logger: logger)
            }
            try await daemon.start()
        } catch {
            FileHandle.standardError.write(Data("trialsd: \(Self.oneLine(error, config))\n".utf8))
            throw ExitCode(1)
        }
        if lifecycle.started(daemon) {
            // Ready only now: the database is migrated and the socket accepts.
            ServiceNotifier.ready(status: await daemon.statusLine())
        } else {
            logger.info("stopping before serving: a stop signal came during start-up")
            daemon.stop()
        }
        // Watchdog: WATCHDOG=1 only when the writer, the database and the event loop really answer.
        let watchdog = ServiceNotifier.watchdogInterval.map { interval in
            Task.detached {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval / 3)
                    if let problem = await daemon.livenessProblem(within: interval / 3) {
                        logger.error("liveness check failed, not feeding the watchdog: \(problem)")
                    } else {
                        ServiceNotifier.watchdog(status: await daemon.statusLine())
                    }
                }
            }
        }
        defer { watchdog?.cancel() }
        try await daemon.run()
        logger.info("stopped")
    }
}

extension TrialsD {
    /// A start-up failure in one line: trialsd's own errors name the path and what to do;
    /// anything else (a Foundation error's `Error Domain=… Code=…`) is said with the paths it was using.
    static func oneLine(_ error: Error, _ config: DaemonConfiguration) -> String {
        let text = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
        if error is DaemonError { return text }
        if text.contains("Error Domain=") {
            return
                "cannot start on the database \(config.databasePath) and the socket \(config.socketPath): \((error as NSError).localizedDescription); give another --database or --socket PATH"
        }
        return text
    }
}

/// The daemon once started, and whether a stop signal came first (signals are caught from
/// before the daemon exists).
final class Lifecycle: Sendable {
    private struct State {
        var running: Daemon?
        var stopRequested = false
    }
    private let state = Mutex(State())

    var daemon: Daemon? { state.withLock { $0.running } }

    /// Records a stop signal; returns the daemon to stop, nil while it is still starting
    /// (`started` then refuses to serve).
    func requestStop() -> Daemon? {
        state.withLock {
            $0.stopRequested = true
            return $0.running
        }
    }

    /// The daemon has started: false if a stop signal came first (it must stop, not serve).
    func started(_ daemon: Daemon) -> Bool {
        state.withLock {
            $0.running = daemon
            return !$0.stopRequested
        }
    }
}
