import Foundation
import RegistryClient

/// A `FetchClock` whose time moves only when the fetcher sleeps (or a test advances it): every
/// wait is recorded and returns at once, so tests see the rate limiter's spacing, `Retry-After`
/// and backoff without sleeping for real.
public final class ManualClock: FetchClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Double = 1_000
    private var recorded: [Double] = []
    /// The wall-clock time at the start, for `Retry-After` HTTP-dates.
    public let wallStart: Date
    private let start: Double = 1_000

    public init(wallStart: Date = Date(timeIntervalSince1970: 1_765_000_000)) {
        self.wallStart = wallStart
    }

    /// The waits asked for, in order.
    public var sleeps: [Double] { lock.withLock { recorded } }

    public func now() -> Double { lock.withLock { current } }

    public func wallNow() -> Date { wallStart.addingTimeInterval(now() - start) }

    public func advance(by seconds: Double) { lock.withLock { current += seconds } }

    public func sleep(seconds: Double) async throws {
        lock.withLock {
            recorded.append(seconds)
            current += seconds
        }
    }
}
