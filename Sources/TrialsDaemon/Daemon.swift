import Foundation
import ClinicalTrialsGov
import Logging
import Systemd
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TrialDomain
import TrialProtocol
import TrialStore

/// trialsd: the store, the single writer, the subscriptions and the control socket, wired
/// together. `start()` returns once the database is migrated and the socket accepts;
/// `run()` serves until `stop()`.
public final class Daemon: Sendable {
    public let configuration: DaemonConfiguration
    let logger: Logger
    let store: EventStore
    let committer: GroupCommitter
    let broadcaster: Broadcaster
    /// Sends the journal entries on a thread of its own; nil without `configuration.journal`.
    let journalSink: JournalSink?
    let service: ControlService
    let server: Server
    let group: MultiThreadedEventLoopGroup
    let threadPool: NIOThreadPool
    /// Held for the daemon's life: one trialsd per database.
    private let lock: DatabaseLock
    private let stopped = NIOLockedValueBox(false)
    /// The rebuild's progress at the last liveness check that timed out.
    private let rebuildSeen = NIOLockedValueBox<RebuildProgress?>(nil)

    /// Opens and migrates the database. Throws StoreError (one line) when it cannot.
    /// `observers` hear of every commit after the daemon's own (the broadcaster, the journal
    /// sink), on the writer thread: see `CommitObserver`.
    public init(configuration: DaemonConfiguration, logger: Logger, observers: [any CommitObserver] = []) throws {
        self.configuration = configuration
        self.logger = logger
        // One daemon per database and per socket, checked before anything is opened or bound.
        if configuration.listenFD == nil { try checkSocketPathIsFree(configuration.socketPath) }
        lock = try DatabaseLock(databasePath: configuration.databasePath)
        var storeConfiguration = StoreConfiguration()
        storeConfiguration.newTrialsNeedRegistration = configuration.newTrialsNeedRegistration
        storeConfiguration.maximumReaderCount = configuration.readers
        storeConfiguration.onCheckpointFailure = { [logger] problem in logger.warning("\(problem)") }
        store = try EventStore(path: configuration.databasePath, configuration: storeConfiguration)
        let broadcaster = Broadcaster(lastSeq: try store.lastSeq(), backlog: configuration.subscriberBacklog)
        self.broadcaster = broadcaster
        // The one path after a commit: subscribers, then the journal, then the caller's.
        let journalSink =
            configuration.journal ? JournalSink(capacity: configuration.journalBacklog, logger: logger) : nil
        self.journalSink = journalSink
        committer = GroupCommitter(
            store: store, maximumBatch: configuration.maximumGroupCommit,
            observers: [broadcaster as any CommitObserver] + (journalSink.map { [$0] } ?? []) + observers)
        threadPool = NIOThreadPool(numberOfThreads: configuration.blockingThreads)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        service = ControlService(
            store: store, committer: committer, broadcaster: broadcaster, threadPool: threadPool,
            configuration: configuration,
            logger: logger)
        server = Server(service: service, configuration: configuration, group: group, logger: logger)
    }

    /// Starts the writer and binds the socket: connects succeed when this returns.
    public func start() async throws {
        threadPool.start()
        journalSink?.start()
        committer.start()
        do {
            if let seed = configuration.seedFile { try await self.seed(from: seed) }
            try await server.bind()
        } catch {
            // Nothing will run(): stop what start() started, and the event loop, so that a
            // failed start leaves no thread behind.
            committer.stop()
            journalSink?.stop(before: Date().addingTimeInterval(5))
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
        logger.info("trialsd \(trialtrackVersion) serving \(configuration.databasePath)")
    }

    /// Records the events of a JSONL file when the log is empty (all or nothing), through the
    /// writer like any append.
    func seed(from path: String) async throws {
        guard try await store.read(.lastSeq) == 0 else { return }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DaemonError.configuration(
                "cannot read the seed file \(path): \((error as NSError).localizedDescription)")
        }
        let today = Timestamp.now().day
        var events: [NewEvent] = []
        var lines: [Int] = []  // each event's line in the file
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            do {
                events.append(try NewEvent(json: try JSONValue.parse(String(text)), today: today))
                lines.append(i + 1)
            } catch {
                throw DaemonError.configuration("\(path):\(i + 1): \(error)")
            }
        }
        switch await committer.append(
            groups: [events], recordedBy: "trialsd (seed \((path as NSString).lastPathComponent))")[0]
        {
        case .success(let outcomes):
            logger.info("recorded \(Wording.count(outcomes.count, "event")) from \(path) into the empty log")
        case .failure(.refused(let e)):
            throw DaemonError.configuration("\(path):\(lines[e.index]): \(e.error)")
        case .failure(.store(let e)):
            throw e
        case .failure(.shuttingDown):
            throw DaemonError.configuration("\(path): not recorded: trialsd is stopping")
        }
    }

    /// Writes `milestone-overdue` once for every pending forecast whose window ended before
    /// `today`; returns how many. Once: a forecast already overdue, met or superseded is not
    /// pending, and the fold refuses a second mark (so also across restarts).
    @discardableResult
    public func checkOverdue(today: Day = Timestamp.now().day) async -> Int {
        let store = self.store
        guard let candidates = try? await store.read(.overdueCandidates(today: today)) else { return 0 }
        // Each mark is a group of its own (one refused does not hold back the others), all
        // queued at once so that they commit together (a registry import leaves many).
        let marks = candidates.map { c in
            [
                NewEvent(
                    trial: try? TrialReference(c.trial), payload: .milestoneOverdue(MilestoneOverdue(expected: c.seq)),
                    occurred: PartialDate(day: today), source: "trialsd: the window \(c.window) passed on \(today)")
            ]
        }
        var written = 0
        for (c, outcome) in zip(
            candidates, await committer.append(groups: marks, recordedBy: "trialsd (overdue watcher)"))
        {
            switch outcome {
            case .success: written += 1
            case .failure(let e): logger.debug("overdue mark of seq \(c.seq) not written: \(e)")
            }
        }
        if written > 0 { logger.notice("marked \(Wording.count(written, "expected milestone")) overdue") }
        return written
    }

    /// Serves until `stop()`; checks for overdue milestones at start and every
    /// `configuration.overdueInterval`.
    public func run() async throws {
        let interval = configuration.overdueInterval
        let watcher = Task {
            while !Task.isCancelled {
                await checkOverdue()
                try? await Task.sleep(for: interval)
            }
        }
        defer { watcher.cancel() }
        try await server.run()
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
        try? store.close()
        lock.release()
    }

    /// Stops gracefully: no new connections, queued appends committed and answered,
    /// subscribers ended with ShuttingDown, then every connection closed. `run()` returns.
    public func stop() {
        guard
            stopped.withLockedValue({
                let was = $0; $0 = true; return !was
            })
        else { return }
        logger.info("stopping: finishing in-flight appends")
        server.stop()
        committer.stop()
        broadcaster.finishAll()
        // Every commit has been handed to the sink: send what it holds (journald permitting).
        journalSink?.stop(before: Date().addingTimeInterval(5))
        // Replies already computed still go out: give busy connections a moment.
        if !service.inFlight.waitUntilIdle(before: Date().addingTimeInterval(5)) {
            logger.warning("closing connections with calls still unanswered after 5 s")
        }
        server.closeConnections()
    }

    /// A real liveness check for the watchdog: the writer thread runs a no-op between commits,
    /// the database answers a read, and the event loop runs a task, all within `limit`. Returns
    /// what failed, in one line (which probe, and why); nil when all answered, or when the
    /// writer is held by a rebuild that has written trials since the previous check (a long
    /// rebuild is not a hang).
    public func livenessProblem(within limit: Duration) async -> String? {
        let committer = self.committer, store = self.store, rebuildSeen = self.rebuildSeen
        let loop = group.next()
        let answered = NIOLockedValueBox(false)
        // Which probes have answered: the writer and database, the event loop.
        let writerAnswered = NIOLockedValueBox(false)
        let loopAnswered = NIOLockedValueBox(false)
        return await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
            let finish: @Sendable (String?) -> Void = { problem in
                if answered.withLockedValue({
                    let was = $0; $0 = true; return !was
                }) {
                    c.resume(returning: problem)
                }
            }
            let bothAnswered: @Sendable () -> Void = {
                if writerAnswered.withLockedValue({ $0 }) && loopAnswered.withLockedValue({ $0 }) { finish(nil) }
            }
            // The probes may outlive the verdict when what they wait on is stuck; they end when it does.
            Task {
                do {
                    try await committer.exclusive({ () })
                } catch {
                    finish("the writer has stopped")
                    return
                }
                do {
                    _ = try await store.read(.lastSeq)
                } catch {
                    finish("the database did not answer a read: \(StoreError.oneLine(error))")
                    return
                }
                writerAnswered.withLockedValue { $0 = true }
                bothAnswered()
            }
            // The event loop reads every connection: a task on it must run, as a call would.
            loop.execute {
                loopAnswered.withLockedValue { $0 = true }
                bothAnswered()
            }
            Task {
                try? await Task.sleep(for: limit)
                if writerAnswered.withLockedValue({ $0 }) {
                    finish("the event loop did not run a task within \(limit) (a handler is blocking it)")
                    return
                }
                // A rebuild holds the writer for as long as it runs (seconds per million
                // events): one that wrote trials since the previous check is alive.
                let rebuild = store.rebuildProgress
                let seen = rebuildSeen.withLockedValue { seen in
                    defer { seen = rebuild }
                    return seen
                }
                let loopProblem =
                    loopAnswered.withLockedValue { $0 }
                    ? nil : "the event loop did not run a task within \(limit) (a handler is blocking it)"
                if let rebuild {
                    finish(
                        rebuild != seen
                            ? loopProblem
                            : "the writer did not answer within \(limit), and the rebuild holding it wrote no trial since the last check (\(rebuild.trials) written)"
                    )
                } else {
                    finish(
                        "the writer did not answer within \(limit) (a commit, a rebuild or a checkpoint is holding it)")
                }
            }
        }
    }

    /// One line for STATUS=: trials, events, subscribers. Cheap: the log is gapless, so its
    /// last seq is its event count, and the writer keeps the trials' count (`trial_count`).
    public func statusLine() async -> String {
        let events = (try? await store.read(.lastSeq)) ?? 0
        let trials = (try? await store.read(.knownTrialCount)) ?? 0
        return
            "\(Wording.count(trials, "trial")), \(Wording.count(events, "event")), \(Wording.count(broadcaster.count, "subscriber"))"
    }
}
