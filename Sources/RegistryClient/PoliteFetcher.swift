import Foundation

/// GETs a URL politely and robustly: a User-Agent naming trialtrack and its version; requests
/// spaced by the rate limiter (about one a second); a 429 waits its `Retry-After`; 5xx answers,
/// timeouts and failed connections are retried after a capped exponential backoff; anything
/// else that is not 2xx fails at once. Every failure is a `RegistryError`, one line naming the
/// URL: `GET <url>: <what was wrong>`.
public final class PoliteFetcher: Sendable {
    public let userAgent: String
    /// Seconds a request may take before it counts as timed out (and is retried).
    public let timeout: Double
    public let retry: RetryPolicy
    let transport: any HTTPTransport
    let clock: any FetchClock
    let limiter: RateLimiter
    let onRetry: (@Sendable (RetryNotice) -> Void)?

    public init(
        userAgent: String, requestInterval: Double = 1.0, timeout: Double = 60, retry: RetryPolicy = RetryPolicy(),
        transport: any HTTPTransport = URLSessionTransport(), clock: any FetchClock = SystemFetchClock(),
        onRetry: (@Sendable (RetryNotice) -> Void)? = nil
    ) {
        self.userAgent = userAgent
        self.timeout = timeout
        self.retry = retry
        self.transport = transport
        self.clock = clock
        self.limiter = RateLimiter(interval: requestInterval, clock: clock)
        self.onRetry = onRetry
    }

    /// The body of a 2xx answer to `GET url`.
    public func get(_ url: String) async throws(RegistryError) -> [UInt8] {
        var failures = 0
        while true {
            do { try await limiter.acquire() } catch {
                throw RegistryError(url: url, kind: .cancelled, reason: "cancelled")
            }
            let (problem, kind, wait): (String, RegistryError.Kind, Double?)
            switch try await attempt(url) {
            case .body(let body): return body
            case .retry(let p, let k, let w): (problem, kind, wait) = (p, k, w)
            }
            failures += 1
            guard failures < retry.maxAttempts else {
                throw RegistryError(url: url, kind: kind, reason: "\(problem) (gave up after \(failures) tries)")
            }
            let delay = wait ?? retry.backoff(afterFailure: failures)
            onRetry?(RetryNotice(url: url, attempt: failures, problem: problem, wait: delay))
            do { try await clock.sleep(seconds: delay) } catch {
                throw RegistryError(
                    url: url, kind: .cancelled, reason: "cancelled while waiting to retry after \(problem)")
            }
        }
    }

    private enum Attempt {
        case body([UInt8])
        /// Worth another try: what went wrong, and the wait the server asked for, if it did.
        case retry(String, RegistryError.Kind, Double?)
    }

    /// One request: its body, a reason to retry, or an error that no retry mends.
    private func attempt(_ url: String) async throws(RegistryError) -> Attempt {
        let headers = [("User-Agent", userAgent), ("Accept", "application/json")]
        let response: HTTPResponse
        do {
            response = try await transport.get(url, headers: headers, timeout: timeout)
        } catch {
            switch error {
            case .timedOut: return .retry("no answer within \(Self.seconds(timeout))", .timedOut, nil)
            case .failed(let why): return .retry(why, .transport, nil)
            case .cutShort(let why): throw RegistryError(url: url, kind: .cutShort, reason: why)
            case .invalidURL: throw RegistryError(url: url, kind: .invalidURL, reason: "not a valid URL")
            case .cancelled: throw RegistryError(url: url, kind: .cancelled, reason: "cancelled")
            }
        }
        switch response.status {
        case 200...299:
            return .body(response.body)
        case 429:
            let problem = Self.statusLine(429)
            guard let header = response.header("Retry-After") else { return .retry(problem, .status(429), nil) }
            guard let seconds = RetryAfter.seconds(header, now: clock.wallNow()) else {
                throw RegistryError(
                    url: url, kind: .status(429),
                    reason: "\(problem) with a Retry-After that is neither seconds nor a date: \(header)")
            }
            guard seconds <= retry.maxRetryAfter else {
                throw RegistryError(
                    url: url, kind: .status(429),
                    reason:
                        "\(problem): Retry-After \(Self.seconds(seconds)) is longer than the \(Self.seconds(retry.maxRetryAfter)) this client waits"
                )
            }
            return .retry("\(problem) (Retry-After \(Self.seconds(seconds)))", .status(429), seconds)
        case 500...599:
            return .retry(Self.statusLine(response.status), .status(response.status), nil)
        default:
            throw RegistryError(
                url: url, kind: .status(response.status),
                reason: Self.statusLine(response.status) + Self.excerpt(response.body))
        }
    }

    static func statusLine(_ status: Int) -> String {
        let phrase = HTTPURLResponseReason.phrase(status)
        return phrase.isEmpty ? "HTTP \(status)" : "HTTP \(status) \(phrase)"
    }

    /// The start of an error body (the registry explains a 400 in it), on one line.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .split(whereSeparator: { $0.isNewline || $0 == "\t" }).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return "" }
        return ": " + text + (body.count > 200 ? "…" : "")
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }
}

/// A retry about to happen, for progress lines and the journal.
public struct RetryNotice: Equatable, Sendable {
    public let url: String
    /// Failures so far for this URL (1 after the first).
    public let attempt: Int
    public let problem: String
    /// Seconds until the next try.
    public let wait: Double
}

enum HTTPURLResponseReason {
    static func phrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 410: "Gone"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }
}
