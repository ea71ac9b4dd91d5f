/// Why a request to the registry failed, as one line: `GET <url>: <what was wrong>`.
public struct RegistryError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Equatable, Sendable {
        /// An answer with a status that is not 200 (after any retries), e.g. 404.
        case status(Int)
        /// No answer within the timeout (after any retries).
        case timedOut
        /// Fewer bytes than `Content-Length`, or the connection closed mid-answer.
        case cutShort
        /// A body that is not JSON (a body cut short without a `Content-Length` ends up here).
        case malformedJSON
        /// JSON of a shape the client does not understand.
        case unexpectedShape
        /// The connection could not be made or broke (after any retries).
        case transport
        /// The site or a URL built from it is not usable.
        case invalidURL
        /// The task was cancelled while waiting.
        case cancelled
    }

    public let url: String
    public let kind: Kind
    public let reason: String

    public init(url: String, kind: Kind, reason: String) {
        self.url = url
        self.kind = kind
        // One line, whatever a server or the system put in the reason.
        self.reason = reason.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var description: String { "GET \(url): \(reason)" }
}
