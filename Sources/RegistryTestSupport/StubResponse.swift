/// What the stand-in answers to one request: a status, headers and a body, optionally sent
/// only in part (the connection then closes short of `Content-Length`) or after a delay.
public struct StubResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Send only this many bytes of the body, then close; `Content-Length` still says all of it.
    public var sendOnly: Int?
    /// Seconds to wait (for real) before answering: a response slower than the client's timeout.
    public var delay: Double

    public init(
        status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [], sendOnly: Int? = nil, delay: Double = 0
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.sendOnly = sendOnly
        self.delay = delay
    }

    /// A 200 with a JSON body.
    public static func json(_ body: [UInt8]) -> StubResponse {
        StubResponse(headers: [("Content-Type", "application/json")], body: body)
    }

    public static func json(_ text: String) -> StubResponse { json(Array(text.utf8)) }

    /// A status with a short text body.
    public static func status(_ status: Int, _ text: String = "", headers: [(String, String)] = []) -> StubResponse {
        StubResponse(status: status, headers: [("Content-Type", "text/plain")] + headers, body: Array(text.utf8))
    }
}
