#if canImport(Glibc)
    import Glibc
#endif
import TrialDomain
import TrialProtocol

/// What a command talks to: a Varlink connection, or a stand-in in tests.
public protocol TrialsTransport: AnyObject {
    /// One call, one reply's parameters; an error reply is thrown (as ClientError.remote).
    func call(_ method: String, _ parameters: JSONObject) throws -> JSONObject
    /// A call with `more`: each reply to `body` until the last, or until `body` returns false.
    func stream(_ method: String, _ parameters: JSONObject, _ body: (JSONObject) throws -> Bool) throws
    /// One call given as its message's bytes (without the NUL), one reply's parameters.
    func callRaw(_ message: [UInt8]) throws -> JSONObject
    func close()
}

extension TrialsTransport {
    /// A stand-in reads the message and calls as usual.
    public func callRaw(_ message: [UInt8]) throws -> JSONObject {
        let call = try VarlinkCall(message: try JSONValue.parse(message))
        return try self.call(call.method, call.parameters)
    }
}

extension VarlinkConnection: TrialsTransport {
    public func callRaw(_ message: [UInt8]) throws -> JSONObject {
        try sendRaw(message + [0])
        guard let reply = try receive() else {
            throw ClientError.protocolViolation("trialsd closed the connection without replying")
        }
        let r: VarlinkReply
        do { r = try VarlinkReply(message: reply) } catch { throw ClientError.protocolViolation("\(error)") }
        if let e = r.varlinkError { throw ClientError.remote(e) }
        return r.parameters
    }
}

/// Everything a command touches outside itself, so that tests can run commands in-process.
public struct Context {
    public var environment: [String: String]
    /// Standard output's terminal (or `.pipe`).
    public var terminal: Terminal
    public var writeOut: (String) -> Void
    public var writeErr: (String) -> Void
    /// All of standard input.
    public var readStdin: () throws(TrialctlError) -> [UInt8]
    /// A whole file.
    public var readFile: (String) throws(TrialctlError) -> [UInt8]
    public var fileExists: (String) -> Bool
    /// Connects to the socket at a path; the duration bounds every wait for an answer (nil: none).
    public var connect: (String, Duration?) throws -> TrialsTransport
    public var uid: UInt32
    /// Pages text; false when it could not (the text is then written directly).
    public var page: (String, [String: String]) -> Bool
    /// The clock: when a call is made (to tell an event recorded before it, a replay).
    public var now: () -> Timestamp = { .now() }

    public init(
        environment: [String: String], terminal: Terminal = .pipe, writeOut: @escaping (String) -> Void,
        writeErr: @escaping (String) -> Void, readStdin: @escaping () throws(TrialctlError) -> [UInt8] = { [] },
        readFile: @escaping (String) throws(TrialctlError) -> [UInt8] = Context.readWholeFile,
        fileExists: @escaping (String) -> Bool = SocketLocator.exists,
        connect: @escaping (String, Duration?) throws -> TrialsTransport = {
            try VarlinkConnection(path: $0, timeout: $1)
        },
        uid: UInt32 = getuid(), page: @escaping (String, [String: String]) -> Bool = Pager.run
    ) {
        self.environment = environment
        self.terminal = terminal
        self.writeOut = writeOut
        self.writeErr = writeErr
        self.readStdin = readStdin
        self.readFile = readFile
        self.fileExists = fileExists
        self.connect = connect
        self.uid = uid
        self.page = page
    }

    /// The real process: its environment, standard streams and terminal.
    public static func process() -> Context {
        let env = processEnvironment()
        return Context(
            environment: env, terminal: Terminal.detect(fd: 1, environment: env),
            writeOut: { writeAll(1, $0) }, writeErr: { writeAll(2, $0) },
            readStdin: { () throws(TrialctlError) -> [UInt8] in try readAll(0, name: "standard input") })
    }

    /// A file's bytes; `-` is standard input.
    public func read(_ path: String) throws(TrialctlError) -> [UInt8] {
        path == "-" ? try readStdin() : try readFile(path)
    }

    /// The style for this run.
    public func style(_ g: GlobalOptions, full: Bool = false) -> Style {
        terminal.style(environment: environment, noColorFlag: g.noColor, full: full)
    }

    /// Writes `text`, through the pager when it is long and standard output is a terminal.
    public func emit(_ text: String, _ g: GlobalOptions) {
        if Pager.shouldPage(text, terminal: terminal, noPager: g.noPager, environment: environment),
            page(text, environment)
        {
            return
        }
        writeOut(text)
    }

    /// Connects to trialsd; each answer is waited for as long as `wait` and `--timeout` say.
    public func session(_ g: GlobalOptions, action: String? = nil, wait: AnswerWait = .answer) throws(TrialctlError)
        -> Session
    {
        let candidates = SocketLocator(environment: environment, fileExists: fileExists, uid: uid).candidates(
            option: g.socket)
        // The first socket that accepts a connection from this user: the system socket may
        // exist and still refuse a user outside its group, whose own trialsd then serves.
        var tried: [(location: SocketLocator.Location, reason: String)] = []
        for location in candidates {
            let context = ErrorContext(action: action, socket: location)
            do {
                return Session(transport: try connect(location.path, g.answerTimeout(wait)), context: context)
            } catch ClientError.unreachable(_, let reason) where candidates.count > 1 {
                tried.append((location, reason))
            } catch {
                throw ErrorText.convert(error, context: context)
            }
        }
        throw TrialctlError(ErrorText.unreachable(tried: tried), status: .unreachable)
    }

    // MARK: - The process's own I/O

    public static func processEnvironment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }

    /// Writes all of `text` to `fd`, retrying when interrupted; gives up on any other error.
    static func writeAll(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            sent += n
        }
    }

    static func readAll(_ fd: Int32, name: String) throws(TrialctlError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failure("cannot read \(name): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    public static func readWholeFile(_ path: String) throws(TrialctlError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .failure("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw .failure("cannot read \(path): it is a directory")
        }
        return try readAll(fd, name: path)
    }
}

/// A connection to trialsd that turns every error into a sentence for a person.
public final class Session {
    public let transport: TrialsTransport
    public var context: ErrorContext

    public init(transport: TrialsTransport, context: ErrorContext) {
        self.transport = transport
        self.context = context
    }

    deinit { transport.close() }

    /// Calls `method`.
    public func call(_ method: TrialsMethod, _ parameters: JSONObject = JSONObject()) throws(TrialctlError)
        -> JSONObject
    {
        do { return try transport.call(method.qualifiedName, parameters) } catch {
            throw ErrorText.convert(error, context: context)
        }
    }

    /// One call given as its message's bytes (a sync's page of records, sent as they came).
    public func callRaw(_ message: [UInt8]) throws(TrialctlError) -> JSONObject {
        do { return try transport.callRaw(message) } catch {
            throw ErrorText.convert(error, context: context)
        }
    }

    /// Calls `method` with `more` and hands each reply's `list` array
    /// to `page`, with the index its first item has in the whole listing (a listing in pages,
    /// Status or Upcoming: no page is kept once handled).
    public func pages(
        _ method: TrialsMethod, _ parameters: JSONObject, list: String,
        _ page: (_ items: [JSONValue], _ offset: Int) throws(TrialctlError) -> Void
    ) throws(TrialctlError) {
        var offset = 0
        do {
            try transport.stream(method.qualifiedName, parameters) { reply in
                guard let items = reply[list]?.arrayValue else {
                    throw ClientError.protocolViolation("a \(method.member) reply without \(list)")
                }
                try page(items, offset)
                offset += items.count
                return true
            }
        } catch let e as TrialctlError {
            throw e
        } catch {
            throw ErrorText.convert(error, context: context)
        }
    }

    /// A listing asked for in pages (`pages`), each item decoded as it comes with its place in
    /// the whole listing (`trials[1234]`), so that no page's JSON is kept.
    public func list<T>(
        _ method: TrialsMethod, _ parameters: JSONObject, list: String,
        _ decode: (_ item: JSONValue, _ path: String) throws(TrialctlError) -> T
    ) throws(TrialctlError) -> [T] {
        var out: [T] = []
        try pages(method, parameters, list: list) { items, offset throws(TrialctlError) in
            for (i, item) in items.enumerated() { out.append(try decode(item, "\(list)[\(offset + i)]")) }
        }
        return out
    }

    /// Streams `method` with `more`. Errors thrown by `body` pass
    /// through unchanged; remote errors are thrown as they are (ClientError), so that callers
    /// can act on one (SubscriberTooSlow) before describing it.
    public func stream(_ method: TrialsMethod, _ parameters: JSONObject, _ body: (JSONObject) throws -> Bool) throws {
        try transport.stream(method.qualifiedName, parameters, body)
    }
}
