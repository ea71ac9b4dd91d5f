/// Spaces requests at least `interval` seconds apart (about one a second by default), by the
/// start of each request: the first goes at once, each later one waits out the rest of the
/// interval since the one before.
public actor RateLimiter {
    public let interval: Double
    private let clock: any FetchClock
    private var last: Double?

    public init(interval: Double = 1.0, clock: any FetchClock) {
        self.interval = interval
        self.clock = clock
    }

    /// Returns when the next request may start.
    public func acquire() async throws {
        if let last {
            let wait = last + interval - clock.now()
            if wait > 0 { try await clock.sleep(seconds: wait) }
        }
        last = clock.now()
    }
}
