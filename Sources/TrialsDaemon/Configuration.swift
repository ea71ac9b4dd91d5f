import Foundation

/// How trialsd runs, with documented defaults.
public struct DaemonConfiguration: Sendable {
    /// The SQLite database (created and migrated if missing).
    public var databasePath: String
    /// The control socket to bind when systemd hands none over.
    public var socketPath: String
    /// The bound socket's mode: who may connect. Default 0660 (owner and group).
    public var socketMode: mode_t = 0o660
    /// The bound socket's group (by name); nil keeps the process's group.
    public var socketGroup: String?
    /// Peers that may write besides root: members of this group. Default "trialsd".
    public var writersGroup: String? = "trialsd"
    /// A listening socket handed over by systemd (LISTEN_FDS); nil to bind `socketPath`.
    public var listenFD: Int32?
    /// The largest message a peer may send, NUL included. Default 1 MiB.
    public var maximumMessageBytes = 1 << 20
    /// Events a subscriber may fall behind before it is dropped. Default 10 000.
    public var subscriberBacklog = 10_000
    /// Appends the writer commits in one transaction at most. Default 4 096.
    public var maximumGroupCommit = 4_096
    /// Events (JSONL, the event contract) to record when the log is empty: the demo data.
    public var seedFile: String?
    /// Write a journald entry for every appended event. Default true (quietly nothing when no
    /// journald listens).
    public var journal = true
    /// Journal entries waiting for journald at most; past it, entries are not sent and a
    /// warning counts them (the log has the events). Default 100 000.
    public var journalBacklog = 100_000
    /// How often to look for expected milestones whose window has passed. Default 1 hour.
    public var overdueInterval: Duration = .seconds(3600)
    /// Only a `registered` event, or one with expectedVersion 0, may name a trial the log does
    /// not know (NoSuchTrial otherwise, with the closest known name). Default true.
    public var newTrialsNeedRegistration = true
    /// Reader connections to the database: at most this many reads run at once (GRDB async
    /// reads, each on its connection's queue), while the writer writes. Default 4.
    public var readers = 4
    /// Threads for work that blocks and is not a read: a peer's account lookup (NSS), a
    /// rebuild (it holds the writer), a backup. Default 4: with a rebuild and a backup
    /// running, two are left for the lookups of new connections.
    public var blockingThreads = 4

    public init(databasePath: String, socketPath: String) {
        self.databasePath = databasePath
        self.socketPath = socketPath
    }

    /// The standard places: as root (a system service) /var/lib/trialsd/trials.db (or
    /// $STATE_DIRECTORY) and /run/trialsd/control; otherwise $XDG_STATE_HOME/trialsd/trials.db
    /// (~/.local/state) and the socket in the user's runtime directory,
    /// $XDG_RUNTIME_DIR/trialsd/control (/run/user/UID when XDG_RUNTIME_DIR is not set and that
    /// exists), or, with no runtime directory at all (a login without systemd's user session),
    /// $XDG_STATE_HOME/trialsd/control beside the database: a place the user can write.
    /// trialctl looks in the same places (SocketLocator.userPath).
    public static func defaultPaths(
        environment: [String: String] = ProcessInfo.processInfo.environment, uid: uid_t = getuid(),
        directoryExists: (String) -> Bool = DaemonConfiguration.isDirectory
    ) -> (database: String, socket: String) {
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !state.isEmpty {
            let runtime =
                environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first.map(String.init) ?? "/run/trialsd"
            return ("\(state)/trials.db", "\(runtime)/control")
        }
        if uid == 0 { return ("/var/lib/trialsd/trials.db", "/run/trialsd/control") }
        let stateHome = userStateHome(environment: environment)
        let runtime = userRuntimeDirectory(environment: environment, uid: uid, directoryExists: directoryExists)
        return ("\(stateHome)/trialsd/trials.db", "\(runtime ?? stateHome)/trialsd/control")
    }

    /// $XDG_STATE_HOME (when absolute), else $HOME/.local/state.
    public static func userStateHome(environment: [String: String]) -> String {
        if let s = environment["XDG_STATE_HOME"], s.hasPrefix("/") { return trimmed(s) }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return trimmed(home) + "/.local/state"
    }

    /// $XDG_RUNTIME_DIR (when absolute), else /run/user/UID if it exists, else nil.
    public static func userRuntimeDirectory(
        environment: [String: String], uid: uid_t, directoryExists: (String) -> Bool
    ) -> String? {
        if let r = environment["XDG_RUNTIME_DIR"], r.hasPrefix("/") { return trimmed(r) }
        let run = "/run/user/\(uid)"
        return directoryExists(run) ? run : nil
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    private static func trimmed(_ path: String) -> String {
        var p = path
        while p.count > 1, p.hasSuffix("/") { p.removeLast() }
        return p
    }
}
