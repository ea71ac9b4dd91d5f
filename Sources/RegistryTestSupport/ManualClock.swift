import Foundation
import RegistryClient
import Synchronization

/// A `FetchClock` whose time moves only when the fetcher sleeps (or a test advances it): every
/// wait is recorded and returns at once, so tests see the rate limiter's spacing, `Retry-After`
/// and backoff without sleeping for real.
public final class ManualClock: FetchClock, Sendable {
    private struct State {
        var current: Double = 1_000
        var recorded: [Double] = []
    }
    private let state = Mutex(State())
    /// The wall-clock time at the start, for `Retry-After` HTTP-dates.
    public let wallStart: Date
    private let start: Double = 1_000

    public init(wallStart: Date = Date(timeIntervalSince1970: 1_765_000_000)) {
        self.wallStart = wallStart
    }

    /// The waits asked for, in order.
    public var sleeps: [Double] { state.withLock { $0.recorded } }

    public func now() -> Double { state.withLock { $0.current } }

    public func wallNow() -> Date { wallStart.addingTimeInterval(now() - start) }

    public func advance(by seconds: Double) { state.withLock { $0.current += seconds } }

    public func sleep(seconds: Double) async throws {
        state.withLock {
            $0.recorded.append(seconds)
            $0.current += seconds
        }
    }
}
