#if canImport(Glibc)
    import Glibc
#endif

/// Pages long output like systemctl: only when standard output is a terminal and the text is
/// longer than the screen, through `$SYSTEMD_PAGER`, else `$PAGER`, else `less`, with
/// `LESS=FRSXMK` (or `$SYSTEMD_LESS`). An empty pager or `cat` turns paging off.
public enum Pager {
    /// The pager command line, or nil when paging is turned off.
    public static func command(environment: [String: String]) -> String? {
        let raw = environment["SYSTEMD_PAGER"] ?? environment["PAGER"] ?? "less"
        let c = raw.trimmed(" \t")
        if c.isEmpty || c == "cat" { return nil }
        return c
    }

    /// The lines `text` takes on a terminal `columns` wide (long lines wrap).
    public static func screenLines(_ text: String, columns: Int) -> Int {
        var n = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
        {
            let w = TextWidth.of(String(line))
            n += max(1, (w + max(1, columns) - 1) / max(1, columns))
        }
        return n
    }

    /// Whether `text` should go through the pager.
    public static func shouldPage(_ text: String, terminal: Terminal, noPager: Bool, environment: [String: String])
        -> Bool
    {
        guard terminal.isTTY, !noPager, command(environment: environment) != nil else { return false }
        let rows = terminal.rows ?? 24
        return screenLines(text, columns: terminal.columns ?? 80) > rows - 1
    }

    /// The environment the pager runs with.
    public static func pagerEnvironment(_ environment: [String: String]) -> [String: String] {
        var env = environment
        env["LESS"] = environment["SYSTEMD_LESS"] ?? "FRSXMK"
        if env["LESSCHARSET"] == nil { env["LESSCHARSET"] = "utf-8" }
        return env
    }

    /// Runs the pager on `text`. False when no pager could be started (then print directly).
    public static func run(_ text: String, environment: [String: String]) -> Bool {
        guard let cmd = command(environment: environment) else { return false }
        let program = String(cmd.split(separator: " ").first ?? "")
        guard findExecutable(program, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else { return false }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return false }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv = ["/bin/sh", "-c", cmd]
        let envp = pagerEnvironment(environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let rc = withCStrings(argv) { a in withCStrings(envp) { e in posix_spawn(&pid, "/bin/sh", &actions, nil, a, e) }
        }
        close(fds[0])
        guard rc == 0 else {
            close(fds[1])
            return false
        }
        // The user may quit the pager before reading everything: that is no error.
        let old = signal(SIGPIPE, SIG_IGN)
        Context.writeAll(fds[1], text)
        close(fds[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        signal(SIGPIPE, old)
        return true
    }

    static func findExecutable(_ program: String, path: String) -> Bool {
        if program.isEmpty { return false }
        if program.contains("/") { return access(program, X_OK) == 0 }
        for dir in path.split(separator: ":") where access("\(dir)/\(program)", X_OK) == 0 { return true }
        return false
    }
}

/// Calls `body` with a NULL-terminated array of C strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return body(pointers)
}

extension String {
    func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
