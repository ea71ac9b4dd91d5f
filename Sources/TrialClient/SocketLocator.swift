#if canImport(Glibc)
    import Glibc
#endif

/// Finds trialsd's control socket: `--socket`, else `TRIALCTL_SOCKET` (either is the only
/// place tried: a choice made on purpose), else the first of these that accepts a connection
/// from this user: the system socket `/run/trialsd/control` (which may exist and still refuse a
/// user outside its group), then the user's own, where a user's trialsd puts it:
/// `$XDG_RUNTIME_DIR/trialsd/control`, `/run/user/UID/trialsd/control` when XDG_RUNTIME_DIR is
/// not set and that directory exists, else `$XDG_STATE_HOME/trialsd/control`
/// (`~/.local/state/trialsd/control`). trialsd's defaults are the same
/// (DaemonConfiguration.defaultPaths).
public struct SocketLocator {
    public static let systemPath = "/run/trialsd/control"

    /// Where the path came from, for messages.
    public enum Origin: Equatable, Sendable {
        case option, environment, system, user
    }

    public struct Location: Equatable, Sendable {
        public var path: String
        public var origin: Origin

        public init(path: String, origin: Origin) {
            self.path = path
            self.origin = origin
        }
    }

    public var environment: [String: String]
    /// Whether a path exists (the directory /run/user/UID, here).
    public var fileExists: (String) -> Bool
    public var uid: UInt32

    public init(
        environment: [String: String], fileExists: @escaping (String) -> Bool = SocketLocator.exists,
        uid: UInt32 = getuid()
    ) {
        self.environment = environment
        self.fileExists = fileExists
        self.uid = uid
    }

    /// The sockets to try, in order, until one accepts a connection; `option` is `--socket`.
    public func candidates(option: String? = nil) -> [Location] {
        if let o = option, !o.isEmpty { return [Location(path: o, origin: .option)] }
        if let e = environment["TRIALCTL_SOCKET"], !e.isEmpty { return [Location(path: e, origin: .environment)] }
        var out = [Location(path: Self.systemPath, origin: .system)]
        if userPath != Self.systemPath { out.append(Location(path: userPath, origin: .user)) }
        return out
    }

    /// The first place to try (see `candidates`).
    public func locate(option: String? = nil) -> Location { candidates(option: option)[0] }

    /// The user's socket: root's is the system socket; another user's is in their runtime
    /// directory, $XDG_RUNTIME_DIR or /run/user/UID if it exists, else in $XDG_STATE_HOME
    /// (~/.local/state), as trialsd makes it.
    public var userPath: String {
        if uid == 0 { return Self.systemPath }
        if let r = environment["XDG_RUNTIME_DIR"], r.hasPrefix("/") { return Self.trimmed(r) + "/trialsd/control" }
        let run = "/run/user/\(uid)"
        if fileExists(run) { return run + "/trialsd/control" }
        return stateHome + "/trialsd/control"
    }

    /// $XDG_STATE_HOME (when absolute), else $HOME/.local/state.
    var stateHome: String {
        if let s = environment["XDG_STATE_HOME"], s.hasPrefix("/") { return Self.trimmed(s) }
        var home = environment["HOME"] ?? ""
        if home.isEmpty, let pw = getpwuid(uid), let dir = pw.pointee.pw_dir { home = String(cString: dir) }
        return Self.trimmed(home) + "/.local/state"
    }

    private static func trimmed(_ path: String) -> String {
        var p = path
        while p.count > 1, p.hasSuffix("/") { p.removeLast() }
        return p
    }

    /// Whether anything exists at `path` (a socket, usually).
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }
}
