#if canImport(Glibc)
    import Glibc
#endif
import TrialDomain

/// Why a call did not get an answer.
public enum ClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing listens at the socket, or it cannot be reached (with the system's reason).
    case unreachable(path: String, reason: String)
    /// The service answered with an error.
    case remote(VarlinkError)
    /// The service closed the connection or sent something that is not Varlink.
    case protocolViolation(String)
    /// No answer (or no room to send) within the connection's timeout.
    case timedOut(path: String, after: Duration)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason): return "cannot reach trialsd at \(path): \(reason)"
        case .remote(let e): return e.description
        case .protocolViolation(let reason): return "protocol error: \(reason)"
        case .timedOut(let path, let after): return "trialsd at \(path) did not answer within \(Self.seconds(after))"
        }
    }

    /// "60 s", "0.25 s".
    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        return atto == 0 ? "\(s) s" : "\(Double(s) + Double(atto) / 1e18) s"
    }
}

/// A blocking Varlink connection over a Unix stream socket: NUL-terminated JSON messages.
public final class VarlinkConnection {
    public let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    /// Where recv(2) writes: allocated once, not per read.
    private var chunk = [UInt8](repeating: 0, count: 65536)

    /// How long a receive or a send may wait before it fails with `ClientError.timedOut`;
    /// nil waits for ever (a subscription that waits for events).
    public var timeout: Duration? {
        didSet { applyTimeout() }
    }

    /// Connects to the socket at `path`; `timeout` bounds every later wait (see `timeout`).
    public init(path: String, timeout: Duration? = nil) throws(ClientError) {
        self.path = path
        self.timeout = timeout
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .unreachable(path: path, reason: String(cString: strerror(errno))) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Glibc.close(fd)
            throw .unreachable(path: path, reason: "the path is too long for a Unix socket")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw .unreachable(path: path, reason: reason)
        }
        applyTimeout()
    }

    /// SO_RCVTIMEO and SO_SNDTIMEO from `timeout` (zero: none).
    private func applyTimeout() {
        guard fd >= 0 else { return }
        var tv = timeval()
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            tv.tv_sec = max(0, Int(seconds))
            tv.tv_usec = max(0, Int(attoseconds / 1_000_000_000_000))
            if tv.tv_sec == 0 && tv.tv_usec == 0 { tv.tv_usec = 1 }  // zero would mean no timeout
        }
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// The error for a failed send or receive: a timeout, or the system's reason.
    private func failure(_ what: String) -> ClientError {
        let code = errno
        if (code == EAGAIN || code == EWOULDBLOCK), let timeout { return .timedOut(path: path, after: timeout) }
        return .protocolViolation("\(what) failed: \(String(cString: strerror(code)))")
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Closes the connection.
    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Sends a message without waiting for a reply.
    public func send(_ message: JSONValue) throws(ClientError) { try send([message]) }

    /// Sends messages in one write, each framed with its NUL, without waiting for replies
    /// (a pipelining client).
    public func send(_ messages: [JSONValue]) throws(ClientError) {
        var out = [UInt8]()
        for m in messages {
            m.write(to: &out)
            out.append(0)
        }
        try sendRaw(out)
    }

    /// Sends bytes as they are (tests use it to send broken messages).
    public func sendRaw(_ bytes: [UInt8]) throws(ClientError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("sending")
            }
            sent += n
        }
    }

    /// Shuts down the sending side (the peer sees end of input).
    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Receives the next message; nil at end of input.
    public func receive() throws(ClientError) -> JSONValue? {
        guard let message = try receiveFrame() else { return nil }
        do { return try JSONValue.parse(message) } catch { throw .protocolViolation("\(error)") }
    }

    /// Receives the next message's bytes, without its NUL and unparsed; nil at end of input
    /// (a load generator that checks replies by their first bytes).
    public func receiveFrame() throws(ClientError) -> [UInt8]? {
        // Only bytes not yet searched are searched for the NUL: a large reply comes in many
        // reads, and searching it whole after each was quadratic in its size (figures in
        // benchmarks/README.md).
        var unsearched = start
        while true {
            if let nul = buffer[unsearched...].firstIndex(of: 0) {
                let message = Array(buffer[start..<nul])
                start = nul + 1
                if start > 65536 {
                    buffer.removeFirst(start)
                    start = 0
                }
                return message
            }
            let fd = self.fd
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("receiving")
            }
            if n == 0 {
                if start < buffer.count { throw .protocolViolation("the connection closed in the middle of a message") }
                return nil
            }
            unsearched = buffer.count
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// Calls a method and returns its single reply's parameters; an error reply is thrown.
    @discardableResult
    public func call(_ method: String, _ parameters: JSONObject = JSONObject()) throws(ClientError) -> JSONObject {
        try send(VarlinkCall(method: method, parameters: parameters).json)
        guard let message = try receive() else {
            throw .protocolViolation("trialsd closed the connection without replying")
        }
        let reply: VarlinkReply
        do { reply = try VarlinkReply(message: message) } catch { throw .protocolViolation("\(error)") }
        if let e = reply.varlinkError { throw .remote(e) }
        return reply.parameters
    }

    /// Calls a method with `more` and hands each reply to `body` until the last one, or until
    /// `body` returns false. An error reply is thrown.
    public func stream(_ method: String, _ parameters: JSONObject = JSONObject(), _ body: (JSONObject) throws -> Bool)
        throws
    {
        try send(VarlinkCall(method: method, parameters: parameters, more: true).json)
        while true {
            guard let message = try receive() else {
                throw ClientError.protocolViolation("trialsd closed the connection")
            }
            let reply: VarlinkReply
            do { reply = try VarlinkReply(message: message) } catch { throw ClientError.protocolViolation("\(error)") }
            if let e = reply.varlinkError { throw ClientError.remote(e) }
            if try !body(reply.parameters) || !reply.continues { return }
        }
    }
}
