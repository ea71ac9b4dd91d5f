import Logging
import NIOPosix
import TrialDomain
import TrialProtocol
import TrialStore

/// What the services share: the store, the reader pool its blocking reads run on, the log.
struct ServiceContext: Sendable {
    let store: EventStore
    let threadPool: NIOThreadPool
    let logger: Logger

    /// Runs a blocking read on the reader pool.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    var today: Day { Timestamp.now().day }

    /// NoSuchTrial, with the closest name the log knows when one is close ("did you mean").
    func noSuchTrial(_ trial: String) async -> TrialsError {
        let store = self.store
        let suggestion = try? await blocking { try store.closestTrialName(to: trial) }
        return .noSuchTrial(trial: trial, didYouMean: suggestion)
    }
}
