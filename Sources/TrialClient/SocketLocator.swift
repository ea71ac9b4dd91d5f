#if canImport(Glibc)
import Glibc
#endif

/// Finds trialsd's control socket: `--socket`, then `TRIALCTL_SOCKET`, then the system socket
/// `/run/trialsd/control` if it exists, then the user's `$XDG_RUNTIME_DIR/trialsd/control`
/// (`/run/user/UID/trialsd/control` when XDG_RUNTIME_DIR is not set).
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
    public var fileExists: (String) -> Bool
    public var uid: UInt32

    public init(environment: [String: String], fileExists: @escaping (String) -> Bool = SocketLocator.exists, uid: UInt32 = getuid()) {
        self.environment = environment
        self.fileExists = fileExists
        self.uid = uid
    }

    /// The socket to use; `option` is `--socket` when given.
    public func locate(option: String? = nil) -> Location {
        if let o = option, !o.isEmpty { return Location(path: o, origin: .option) }
        if let e = environment["TRIALCTL_SOCKET"], !e.isEmpty { return Location(path: e, origin: .environment) }
        if fileExists(Self.systemPath) { return Location(path: Self.systemPath, origin: .system) }
        return Location(path: userPath, origin: .user)
    }

    /// `$XDG_RUNTIME_DIR/trialsd/control`, or `/run/user/UID/trialsd/control`.
    public var userPath: String {
        var dir = environment["XDG_RUNTIME_DIR"] ?? ""
        if dir.isEmpty || !dir.hasPrefix("/") { dir = "/run/user/\(uid)" }
        while dir.count > 1, dir.hasSuffix("/") { dir.removeLast() }
        return dir + "/trialsd/control"
    }

    /// Whether anything exists at `path` (a socket, usually).
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }
}
