import Logging
import NIOPosix
import TrialDomain
import TrialProtocol
import TrialStore

/// What the services share: the store, the threads for work that blocks, the log.
///
/// Reads are GRDB async reads (`await store.read(…)`): the task suspends while a reader
/// connection's queue runs the read. What blocks and is not a read (a rebuild, which holds the
/// writer; a backup, which copies and checks a file) runs on `blockingWork`.
struct ServiceContext: Sendable {
    let store: EventStore
    let threadPool: NIOThreadPool
    let logger: Logger

    /// Runs `body`, which blocks its thread, on the thread pool.
    func blockingWork<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    var today: Day { Timestamp.now().day }

    /// NoSuchTrial, with the closest name the log knows when one is close ("did you mean").
    func noSuchTrial(_ trial: String) async -> TrialsError {
        let store = self.store
        let suggestion = try? await store.read(.closestTrialName(to: trial))
        return .noSuchTrial(trial: trial, didYouMean: suggestion)
    }
}
