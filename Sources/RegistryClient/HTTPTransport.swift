/// One GET on the wire, without politeness or retries: what `PoliteFetcher` drives.
public protocol HTTPTransport: Sendable {
    func get(_ url: String, headers: [(String, String)], timeout: Double) async throws(TransportFailure) -> HTTPResponse
}

/// An answer: its status, headers (names matched without regard to case) and the whole body.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        var lowered: [String: String] = [:]
        for (k, v) in headers { lowered[k.lowercased()] = v }
        self.headers = lowered
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Why no whole answer came.
public enum TransportFailure: Error, Equatable, Sendable {
    /// Nothing, or not all, within the timeout.
    case timedOut
    /// The connection closed before the body's `Content-Length` bytes had come.
    case cutShort(String)
    /// No connection, or it broke, for another reason.
    case failed(String)
    /// The URL could not be made into a request.
    case invalidURL
    case cancelled
}
