import Foundation

/// How the fetcher retries: 5xx answers, timeouts and broken connections are retried after a
/// capped exponential backoff (1, 2, 4 … seconds, capped at 60); a 429 waits its
/// `Retry-After` instead (or the backoff when it has none). All tries count against
/// `maxAttempts`.
public struct RetryPolicy: Equatable, Sendable {
    /// Requests made for one URL before giving up, the first included.
    public var maxAttempts: Int
    /// The wait after the first failure; doubled after each further one.
    public var initialBackoff: Double
    /// The longest backoff.
    public var maxBackoff: Double
    /// The longest `Retry-After` honoured; a server asking for more is an error, not a hang.
    public var maxRetryAfter: Double

    public init(maxAttempts: Int = 6, initialBackoff: Double = 1, maxBackoff: Double = 60, maxRetryAfter: Double = 600)
    {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxRetryAfter = maxRetryAfter
    }

    /// The wait after the `failures`-th failure (1-based): initial × 2^(failures−1), capped.
    public func backoff(afterFailure failures: Int) -> Double {
        let exponent = Double(max(0, min(failures - 1, 62)))
        return min(initialBackoff * Foundation.pow(2, exponent), maxBackoff)
    }
}
