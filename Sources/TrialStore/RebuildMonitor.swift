import Foundation
import Synchronization

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
final class RebuildMonitor: Sendable {
    private struct State {
        var runs = 0
        var current: RebuildProgress?
        var afterChunk: (@Sendable (RebuildProgress) -> Void)?
    }
    private let state = Mutex(State())
    /// Runs on the rebuild's writing thread after each chunk of trials, write lock held:
    /// tests pace a rebuild with it.
    var afterChunk: (@Sendable (RebuildProgress) -> Void)? {
        get { state.withLock { $0.afterChunk } }
        set { state.withLock { $0.afterChunk = newValue } }
    }

    var progress: RebuildProgress? { state.withLock { $0.current } }

    func begin() {
        state.withLock {
            $0.runs += 1
            $0.current = RebuildProgress(run: $0.runs, trials: 0)
        }
    }

    func wrote(trials: Int) {
        let (now, afterChunk): (RebuildProgress?, (@Sendable (RebuildProgress) -> Void)?) = state.withLock {
            $0.current?.trials = trials
            return ($0.current, $0.afterChunk)
        }
        if let now, let afterChunk { afterChunk(now) }
    }

    func end() { state.withLock { $0.current = nil } }
}
