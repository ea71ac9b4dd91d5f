import Foundation

/// How far the running rebuild has got, for a liveness check: a rebuild holds the database's
/// single writer for as long as it runs (seconds per million events), and the check must tell
/// one that is making progress from one that is stuck.
public struct RebuildProgress: Equatable, Sendable {
    /// Which rebuild since the store was opened (1 for the first).
    public var run: Int
    /// Trials written so far by that rebuild.
    public var trials: Int
}

/// Shared between the rebuild's writing thread and whoever asks (`EventStore.rebuildProgress`).
final class RebuildMonitor: @unchecked Sendable {
    private let lock = NSLock()
    private var runs = 0
    private var current: RebuildProgress?
    /// Runs on the rebuild's writing thread after each chunk of trials, write lock held:
    /// tests pace a rebuild with it.
    var afterChunk: (@Sendable (RebuildProgress) -> Void)?

    var progress: RebuildProgress? { lock.withLock { current } }

    func begin() {
        lock.withLock {
            runs += 1
            current = RebuildProgress(run: runs, trials: 0)
        }
    }

    func wrote(trials: Int) {
        let now: RebuildProgress? = lock.withLock {
            current?.trials = trials
            return current
        }
        if let now, let afterChunk { afterChunk(now) }
    }

    func end() { lock.withLock { current = nil } }
}
