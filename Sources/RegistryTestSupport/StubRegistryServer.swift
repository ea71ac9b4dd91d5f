import Foundation
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 (an ephemeral port) standing in for ClinicalTrials.gov:
/// one request per connection (`Connection: close`), each answered by the handler, every
/// request recorded. Each connection has its own thread, so a slow answer holds up no other.
public final class StubRegistryServer: Sendable {
    public let port: UInt16
    private let listener: Int32
    private let handler: @Sendable (RecordedRequest) -> StubResponse
    private struct State {
        var seen: [RecordedRequest] = []
        var stopped = false
    }
    private let state = Mutex(State())

    /// The site root to give the client: `http://127.0.0.1:<port>`.
    public var root: String { "http://127.0.0.1:\(port)" }

    /// The requests seen so far, in the order they came.
    public var requests: [RecordedRequest] { state.withLock { $0.seen } }

    public init(handler: @escaping @Sendable (RecordedRequest) -> StubResponse) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StubServerError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw StubServerError("bind/listen: \(String(cString: strerror(errno)))")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        // The loop holds the server weakly: a server the test lets go is stopped by its deinit,
        // which wakes the blocked accept.
        Thread.detachNewThread { [weak self] in Self.acceptLoop(fd) { self } }
    }

    /// Answers requests in turn from a list (a 500 once it runs out).
    public convenience init(script: [StubResponse]) throws {
        let queue = ResponseQueue(script)
        try self.init { _ in queue.next() }
    }

    deinit { stop() }

    /// Stops accepting; connections being answered finish on their own.
    public func stop() {
        let first: Bool = state.withLock { state in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        // Shut down, not closed: the accept loop closes the descriptor as it leaves, so its
        // number cannot be reused by another socket while the loop might still accept on it.
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private static func acceptLoop(_ listener: Int32, _ server: () -> StubRegistryServer?) {
        defer { close(listener) }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            guard let server = server() else {
                close(connection)
                return
            }
            Thread.detachNewThread { server.serve(connection) }
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        guard let request = readRequest(fd) else { return }
        state.withLock { $0.seen.append(request) }
        let response = handler(request)
        if response.delay > 0 { Thread.sleep(forTimeInterval: response.delay) }
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        guard writeAll(fd, Array(head.utf8)) else { return }
        let sent = response.sendOnly.map { min($0, response.body.count) } ?? response.body.count
        _ = writeAll(fd, Array(response.body.prefix(sent)))
        shutdown(fd, Int32(SHUT_WR))
    }

    /// The request line and headers (a GET has no body).
    private func readRequest(_ fd: Int32) -> RecordedRequest? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while buffer.count < 65_536 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
            if buffer.count >= 4, buffer.firstRange(of: end) != nil { break }
        }
        let text = String(decoding: buffer, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        return RecordedRequest(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers)
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

public struct StubServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Responses handed out in order.
final class ResponseQueue: Sendable {
    private let responses: Mutex<[StubResponse]>

    init(_ responses: [StubResponse]) { self.responses = Mutex(responses) }

    func next() -> StubResponse {
        responses.withLock { $0.isEmpty ? .status(500, "the test's script ran out") : $0.removeFirst() }
    }
}
