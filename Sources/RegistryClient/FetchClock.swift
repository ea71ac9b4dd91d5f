import Foundation

/// The time the fetcher waits by: the rate limiter's spacing, `Retry-After` and backoff.
/// Tests pass a clock that records the waits and returns at once (RegistryTestSupport's
/// `ManualClock`), so nothing sleeps for real.
public protocol FetchClock: Sendable {
    /// Monotonic seconds, for spacing requests.
    func now() -> Double
    /// The wall clock, for a `Retry-After` given as an HTTP-date.
    func wallNow() -> Date
    /// Waits `seconds`; throws `CancellationError` if the task is cancelled.
    func sleep(seconds: Double) async throws
}

/// Real time.
public struct SystemFetchClock: FetchClock {
    public init() {}

    public func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    public func wallNow() -> Date { Date() }

    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }
}
