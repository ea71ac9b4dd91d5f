import Foundation
import TrialClient
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// trialsd and trialctl as an ordinary user (issue "first hour of a new user", point 8): with
/// no runtime directory the socket goes where the user can write, and trialctl finds it there;
/// a user's own trialsd lets its user write; a refused write names the group and the option;
/// trialctl prefers a socket it can use to the system socket that refuses it.
final class OrdinaryUserTests: XCTestCase {
    // MARK: - The same default places in trialsd and trialctl (no root needed)

    func testTheUsersSocketIsWhereTrialsdPutsItAndTrialctlLooks() {
        func both(_ env: [String: String], runUserExists: Bool, uid: UInt32 = 1000) -> (daemon: String, client: String)
        {
            let d = DaemonConfiguration.defaultPaths(
                environment: env, uid: uid, directoryExists: { _ in runUserExists }
            ).socket
            let c = SocketLocator(environment: env, fileExists: { $0 == "/run/user/\(uid)" && runUserExists }, uid: uid)
                .userPath
            return (d, c)
        }
        let cases: [([String: String], Bool, String)] = [
            (["XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/u"], true, "/run/user/1000/trialsd/control"),
            (["XDG_RUNTIME_DIR": "/tmp/xdg/", "HOME": "/home/u"], false, "/tmp/xdg/trialsd/control"),
            (["HOME": "/home/u"], true, "/run/user/1000/trialsd/control"),
            // No XDG_RUNTIME_DIR and no /run/user/UID: beside the database, where the user writes.
            (["HOME": "/home/u"], false, "/home/u/.local/state/trialsd/control"),
            (["HOME": "/home/u", "XDG_RUNTIME_DIR": ""], false, "/home/u/.local/state/trialsd/control"),
            (["HOME": "/home/u", "XDG_STATE_HOME": "/srv/state/"], false, "/srv/state/trialsd/control"),
        ]
        for (env, runUser, expected) in cases {
            let (d, c) = both(env, runUserExists: runUser)
            XCTAssertEqual(d, expected, "trialsd with \(env), /run/user/1000 \(runUser ? "present" : "absent")")
            XCTAssertEqual(c, expected, "trialctl with \(env), /run/user/1000 \(runUser ? "present" : "absent")")
        }
        XCTAssertEqual(
            DaemonConfiguration.defaultPaths(
                environment: ["HOME": "/home/u"], uid: 1000, directoryExists: { _ in false }
            ).database,
            "/home/u/.local/state/trialsd/trials.db")
    }

    func testTrialctlTriesTheSystemSocketThenTheUsersAndNamesBothWhenNeitherAnswers() throws {
        let env = ["HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/1000"]
        var asked: [String] = []
        var context = Context(environment: env, writeOut: { _ in }, writeErr: { _ in }, uid: 1000)
        context.connect = { path, _ in
            asked.append(path)
            throw ClientError.unreachable(
                path: path, reason: path.hasPrefix("/run/trialsd") ? "Permission denied" : "No such file or directory")
        }
        let options = try GlobalOptions.parse([])
        do {
            _ = try context.session(options)
            XCTFail("no socket answers")
        } catch {
            XCTAssertEqual(asked, ["/run/trialsd/control", "/run/user/1000/trialsd/control"])
            XCTAssertEqual(error.status, .unreachable)
            XCTAssertEqual(
                error.message,
                "cannot reach trialsd: tried /run/trialsd/control (the system's: Permission denied), then "
                    + "/run/user/1000/trialsd/control (yours: No such file or directory); start trialsd (as a service, or yourself: it "
                    + "serves your own socket), or name its socket with --socket PATH or TRIALCTL_SOCKET")
        }
        // TRIALCTL_SOCKET is a choice: only it is tried.
        asked = []
        context.environment["TRIALCTL_SOCKET"] = "/tmp/t/control"
        XCTAssertThrowsError(try context.session(options))
        XCTAssertEqual(asked, ["/tmp/t/control"])
    }

    // MARK: - As another user, for real (root runs them with setpriv)

    static let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]

    /// A directory the user 65534 owns, with copies of trialsd and trialctl it may run.
    struct UserHome {
        let dir: TemporaryDirectory
        var home: String { dir.path("home") }
        var trialsd: String { dir.path("trialsd") }
        var trialctl: String { dir.path("trialctl") }
        /// A user's login environment without a runtime directory (no systemd user session).
        var environment: [String: String] { ["PATH": "/usr/bin:/bin", "HOME": home, "NO_COLOR": "1"] }

        init() throws {
            dir = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: dir.path("home"), withIntermediateDirectories: true)
            XCTAssertEqual(chown(dir.path("home"), 65534, 65534), 0)
            for p in ["trialsd", "trialctl"] {
                try FileManager.default.copyItem(atPath: Products.path(p), toPath: dir.path(p))
            }
        }

        func trialctlAsUser(_ args: [String], extra: [String: String] = [:]) throws -> ProgramResult {
            var env = environment
            for (k, v) in extra { env[k] = v }
            return try runProgram(
                "/usr/bin/setpriv",
                OrdinaryUserTests.nobody + ["/usr/bin/env", "-i"] + env.map { "\($0)=\($1)" } + [trialctl] + args,
                output: .separate, timeout: 60)
        }
    }

    func skipUnlessRootAndNoUserSession() throws {
        try XCTSkipUnless(getuid() == 0, "needs root: runs trialsd and trialctl as the user 65534 with setpriv")
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs setpriv (util-linux)")
        try XCTSkipIf(
            FileManager.default.fileExists(atPath: "/run/user/65534"),
            "needs a user with no /run/user/UID: 65534 has one here")
    }

    /// trialsd as the user 65534 with no XDG_RUNTIME_DIR, ready by its NOTIFY_SOCKET.
    final class UserDaemon {
        let process = Process()
        let notify: DatagramReceiver
        let stderr = Pipe()

        init(_ home: UserHome, arguments: [String] = []) throws {
            notify = try DatagramReceiver(path: home.dir.path("notify-\(UUID().uuidString.prefix(6))"))
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            var env = home.environment
            env["NOTIFY_SOCKET"] = notify.path
            process.arguments =
                OrdinaryUserTests.nobody + ["/usr/bin/env", "-i"] + env.map { "\($0)=\($1)" } + [home.trialsd]
                + arguments
            process.environment = [:]
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
        }

        deinit {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }

        func start() throws {
            try process.run()
            var seen: [String] = []
            guard notify.wait(for: "READY=1", timeout: 60, seen: &seen, giveUp: { !self.process.isRunning }) else {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                XCTFail("the user's trialsd did not become ready (status \(process.terminationStatus)): \(err)")
                throw POSIXError(.ETIMEDOUT)
            }
        }

        /// Runs it to its exit (a start that fails): the status and standard error.
        func runToEnd() throws -> (Int32, String) {
            try process.run()
            let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, err)
        }

        func stop() -> Int32 {
            guard process.isRunning else { return process.terminationStatus }
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    func testAUserWithoutARuntimeDirectoryRunsTrialsdAndReachesItWithTrialctl() throws {
        try skipUnlessRootAndNoUserSession()
        let home = try UserHome()
        defer { home.dir.remove() }
        let daemon = try UserDaemon(home)
        try daemon.start()
        defer { XCTAssertEqual(daemon.stop(), 0) }
        let socket = home.home + "/.local/state/trialsd/control"
        var st = stat()
        XCTAssertEqual(lstat(socket, &st), 0, "no socket at \(socket)")
        XCTAssertEqual(st.st_uid, 65534)
        XCTAssertTrue(FileManager.default.fileExists(atPath: home.home + "/.local/state/trialsd/trials.db"))

        // trialctl finds it without --socket, and the daemon's own user may write (even with a
        // writers group it is not in).
        var r = try home.trialctlAsUser(["record", "HARMONi-2", "registered", "--occurred", "2025", "title=HARMONi-2"])
        XCTAssertEqual(r.status, 0, "\(r)")
        r = try home.trialctlAsUser(["status"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("HARMONi-2"), "\(r)")
        let log = try VarlinkConnection(path: socket, timeout: clientTimeout).trials("Log")
        XCTAssertEqual(log["events"]?.arrayValue?.first?["recordedBy"], "nobody (uid 65534)")
    }

    func testWithNoRuntimeDirectoryATooLongSocketPathIsOneLineNamingItAndTheOption() throws {
        try skipUnlessRootAndNoUserSession()
        let home = try UserHome()
        defer { home.dir.remove() }
        let deep = home.home + "/" + String(repeating: "s", count: 90)
        let daemon = try UserDaemon(home, arguments: [])
        // The state directory is deep: its socket path is past the 107 bytes of sun_path.
        daemon.process.arguments = daemon.process.arguments!.map { $0.hasPrefix("HOME=") ? "HOME=\(deep)" : $0 }
        let (status, err) = try daemon.runToEnd()
        let socket = deep + "/.local/state/trialsd/control"
        XCTAssertEqual(status, 1, err)
        XCTAssertEqual(err.split(separator: "\n").count, 1, err)
        XCTAssertTrue(err.hasPrefix("trialsd: the socket path \(socket) is too long"), err)
        XCTAssertTrue(err.contains("--socket PATH"), err)
        XCTAssertFalse(err.contains("Error Domain"), err)
    }

    func testARefusedWriteNamesTheGroupAndTheOption() throws {
        try XCTSkipUnless(getuid() == 0, "needs root: runs trialctl as the user 65534 with setpriv")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let daemon = try DaemonProcess(
            directory: dir, arguments: ["--socket-mode", "0666", "--writers-group", "daemon"])
        try daemon.start()
        defer { _ = daemon.terminate() }
        let trialctl = dir.path("trialctl")
        try FileManager.default.copyItem(atPath: Products.path("trialctl"), toPath: trialctl)
        let r = try runProgram(
            "/usr/bin/setpriv",
            Self.nobody + [
                trialctl, "--socket", daemon.socketPath, "record", "--new", "NCT01234567", "registered",
                "--occurred", "2025", "title=X",
            ],
            environment: ["PATH": "/usr/bin:/bin"], output: .separate, timeout: 60)
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertEqual(
            r.err,
            "trialctl: permission denied: recording needs root, the user trialsd runs as, or membership in its writers group daemon (trialsd --writers-group NAME)\n"
        )
    }

    /// The system socket exists and refuses this user (mode 0660, root's group): trialctl goes
    /// on to the user's own trialsd; with that stopped, the error names both paths.
    func testTrialctlPrefersTheUsersDaemonToASystemSocketThatRefusesIt() throws {
        try skipUnlessRootAndNoUserSession()
        let system = SocketLocator.systemPath
        try XCTSkipIf(
            FileManager.default.fileExists(atPath: system),
            "\(system) exists: a trialsd serves this machine, which the test must not replace")
        let runDir = (system as NSString).deletingLastPathComponent
        let madeRunDir = !FileManager.default.fileExists(atPath: runDir)
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        chmod(runDir, 0o755)
        // A listening socket at the system path that only root and its group may connect to.
        let listener = try ListeningSocket(path: system, mode: 0o660)
        defer {
            listener.close()
            unlink(system)
            if madeRunDir { rmdir(runDir) }
        }
        let home = try UserHome()
        defer { home.dir.remove() }
        let daemon = try UserDaemon(home)
        try daemon.start()
        var r = try home.trialctlAsUser([
            "record", "HARMONi-6", "registered", "--occurred", "2025-04", "title=HARMONi-6",
        ])
        XCTAssertEqual(r.status, 0, "the user's own daemon, not the system socket that refuses it: \(r)")
        r = try home.trialctlAsUser(["status", "HARMONi-6"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(daemon.stop(), 0)

        r = try home.trialctlAsUser(["status"])
        XCTAssertEqual(r.status, 3, "\(r)")
        let user = home.home + "/.local/state/trialsd/control"
        XCTAssertEqual(
            r.err,
            "trialctl: cannot reach trialsd: tried \(system) (the system's: Permission denied), then \(user) (yours: No such file or directory); "
                + "start trialsd (as a service, or yourself: it serves your own socket), or name its socket with --socket PATH or TRIALCTL_SOCKET\n"
        )
    }
}

/// A bound, listening Unix stream socket that accepts nothing: something at a path that
/// connects succeed or fail on by its mode alone.
final class ListeningSocket {
    private var fd: Int32

    init(path: String, mode: mode_t) throws {
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let rc = unixSocket(fd, .bind, path: path)
        guard rc == 0, listen(fd, 8) == 0, chmod(path, mode) == 0 else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}
