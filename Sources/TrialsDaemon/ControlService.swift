import ClinicalTrialsGov
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TrialDomain
import TrialProtocol
import TrialStore

/// The router of org.varlink.service and org.trialtrack.Trials: it checks a call's method and
/// the peer's rights, reads the request, hands it to the service whose job it is, and answers
/// with the reply or the error. Blocking reads run on a thread pool (QueryService); appends go
/// through the group committer (AppendService, AmendmentService, ImportService); subscriptions
/// through the broadcaster (SubscriptionService).
final class ControlService: Sendable {
    let store: EventStore
    let threadPool: NIOThreadPool
    let policy: AccessPolicy
    let configuration: DaemonConfiguration
    let logger: Logger
    let connections = NIOLockedValueBox(0)
    /// Calls being answered (a graceful stop waits for them).
    let inFlight = InFlightCalls()

    let queries: QueryService
    let appends: AppendService
    let amendments: AmendmentService
    let imports: ImportService
    let subscriptions: SubscriptionService
    let rebuilds: RebuildService
    let syncs: SyncService
    let archives: ArchiveService

    init(
        store: EventStore, committer: GroupCommitter, broadcaster: Broadcaster, threadPool: NIOThreadPool,
        configuration: DaemonConfiguration, logger: Logger
    ) {
        self.store = store
        self.threadPool = threadPool
        self.policy = AccessPolicy(writersGroup: configuration.writersGroup)
        self.configuration = configuration
        self.logger = logger
        let context = ServiceContext(store: store, threadPool: threadPool, logger: logger)
        queries = QueryService(context: context, broadcaster: broadcaster, connections: connections, started: Date())
        appends = AppendService(committer: committer, logger: logger, inFlight: inFlight)
        amendments = AmendmentService(appends: appends)
        imports = ImportService(context: context, appends: appends)
        subscriptions = SubscriptionService(context: context, broadcaster: broadcaster)
        rebuilds = RebuildService(context: context)
        syncs = SyncService(context: context, appends: appends, committer: committer)
        archives = ArchiveService(context: context)
    }

    typealias Reply = @Sendable (VarlinkReply) async throws -> Void

    /// Writes replies already framed, one or more (a subscription's events, made once for all
    /// subscribers), each ending in its NUL.
    typealias FrameWriter = @Sendable (ByteBuffer) async throws -> Void

    /// Answers one call: `reply` is called once, or once per event for a subscription.
    /// `drop` ends the connection after a grace period (a subscriber past its backlog).
    /// Append and AppendMany are not served here: the server queues them with `submit`.
    ///
    /// Every failure is answered: a refusal with its error, anything else (the database failing,
    /// the thread pool gone at shutdown) with StoreFailed or ShuttingDown. What `handle` throws
    /// is only `reply` failing, or the call being cancelled: the peer has gone.
    func handle(
        _ call: VarlinkCall, peer: Peer, drop: @escaping @Sendable () -> Void = {}, frames: FrameWriter? = nil,
        reply answer: @escaping Reply
    ) async throws {
        let method = TrialsMethod(call)
        let streaming = method?.isStreaming == true
        if !streaming { inFlight.enter() }
        defer { if !streaming { inFlight.leave() } }
        let reply: Reply = { r in
            do { try await answer(r) } catch { throw PeerGone(underlying: error) }
        }
        do {
            switch call.interface {
            case VarlinkService.name:
                try await reply(VarlinkReply(parameters: try service(call)))
            case TrialsInterface.name:
                guard let method else { throw TrialsError.methodNotFound(method: call.method) }
                if method.needsWriter { try requireWriter(call, peer) }
                try await dispatch(method, call, peer: peer, drop: drop, frames: frames, answer: answer, reply: reply)
            default:
                throw TrialsError.interfaceNotFound(interface: call.interface)
            }
        } catch let e as TrialsError {
            try await answer(VarlinkReply(error: e.varlinkError))
        } catch let e as VarlinkError {
            try await answer(VarlinkReply(error: e))
        } catch let gone as PeerGone {
            throw gone.underlying
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The peer hung up and its call was cancelled: an interrupted read may throw an
            // error of its own. Nobody is left to answer, and nothing failed.
            if Task.isCancelled { throw CancellationError() }
            try await answer(VarlinkReply(error: failure(call, error).varlinkError))
        }
    }

    /// One call of org.trialtrack.Trials, its request read, to its service.
    private func dispatch(
        _ method: TrialsMethod, _ call: VarlinkCall, peer: Peer, drop: @escaping @Sendable () -> Void,
        frames: FrameWriter?, answer: @escaping Reply, reply: Reply
    ) async throws {
        let p = call.parameters
        func send(_ response: some TrialsResponse) async throws {
            try await reply(VarlinkReply(parameters: response.parameters))
        }
        switch method {
        case .status:
            let r = try StatusRequest(parameters: p)
            if call.more {
                try await queries.statusPages(r, reply: reply)
            } else {
                try await send(try await queries.status(r))
            }
        case .log: try await send(try await queries.log(LogRequest(parameters: p)))
        case .upcoming:
            let r = try UpcomingRequest(parameters: p)
            if call.more {
                try await queries.upcomingPages(r, reply: reply)
            } else {
                try await send(try await queries.upcoming(r))
            }
        case .verify: try await send(try await queries.verify(VerifyRequest(parameters: p)))
        case .stats:
            try await reply(VarlinkReply(parameters: try await queries.stats(StatsRequest(parameters: p)).parameters))
        case .rebuild: try await send(try await rebuilds.rebuild(RebuildRequest(parameters: p), peer: peer))
        case .correct: try await send(try await amendments.correct(CorrectRequest(parameters: p), peer: peer))
        case .retract: try await send(try await amendments.retract(RetractRequest(parameters: p), peer: peer))
        case .importDocument: try await send(try await imports.importDocument(ImportRequest(parameters: p), peer: peer))
        case .subscribe:
            guard call.more else { throw TrialsError.expectedMore }
            // Frames made once for all subscribers; without a channel to write them to, each
            // is answered as a reply of its own.
            let writeFrame: FrameWriter = { frame in
                do {
                    if let frames {
                        try await frames(frame)
                    } else {
                        for message in frame.readableBytesView.split(separator: 0) {
                            try await answer(try VarlinkReply(message: JSONValue.parse(Array(message))))
                        }
                    }
                } catch { throw PeerGone(underlying: error) }
            }
            try await subscriptions.subscribe(
                SubscribeRequest(parameters: p), drop: drop, writeFrame: writeFrame, reply: reply)
        case .follow: try await send(try await syncs.follow(FollowRequest(parameters: p), peer: peer))
        case .unfollow: try await send(try await syncs.unfollow(UnfollowRequest(parameters: p), peer: peer))
        case .following: try await send(try await syncs.following(FollowingRequest(parameters: p)))
        case .importStudies:
            try await send(try await syncs.importStudies(ImportStudiesRequest(parameters: p), peer: peer))
        case .recordSync: try await send(try await syncs.recordSync(RecordSyncRequest(parameters: p), peer: peer))
        case .backup: try await send(try await archives.backup(BackupRequest(parameters: p), peer: peer))
        case .export:
            let r = try ExportRequest(parameters: p)
            guard call.more else { throw TrialsError.expectedMore }
            try await archives.export(r, reply: reply)
        case .append, .appendMany:
            // Queued by the server through `submit`, never started as a task.
            throw TrialsError.methodNotFound(method: call.method)
        }
    }

    /// Validates an Append or AppendMany and queues it for the writer now; `reply` runs on
    /// `loop` with its answer once committed, or at once for a refusal before the queue.
    /// A oneway call's answer is always `.none`: the caller asked for no reply.
    func submit(_ call: VarlinkCall, peer: Peer, on loop: EventLoop, reply: @escaping @Sendable (AppendAnswer) -> Void)
    {
        let oneway = call.oneway
        do {
            guard let method = TrialsMethod(call), method.isQueued else {
                throw TrialsError.methodNotFound(method: call.method)
            }
            try requireWriter(call, peer)
            try appends.submit(method, call, peer: peer, on: loop, reply: reply)
        } catch let e as TrialsError {
            reply(oneway ? .none : .reply(VarlinkReply(error: e.varlinkError)))
        } catch {
            reply(
                oneway
                    ? .none : .reply(VarlinkReply(error: TrialsError.malformedRequest(reason: "\(error)").varlinkError))
            )
        }
    }

    /// `reply` failed: the peer is not there to answer any more.
    private struct PeerGone: Error { let underlying: Error }

    /// The answer to a call that failed other than by a refusal, logged.
    private func failure(_ call: VarlinkCall, _ error: Error) -> TrialsError {
        if error is NIOThreadPoolError.ThreadPoolInactive { return .shuttingDown }
        let reason = StoreError.oneLine(error)
        logger.error("\(call.method) failed: \(reason)")
        return .storeFailed(reason: reason)
    }

    /// Refuses a write method to a peer that is neither root, the daemon's own user, nor in the
    /// writers group.
    private func requireWriter(_ call: VarlinkCall, _ peer: Peer) throws(TrialsError) {
        guard policy.mayWrite(peer) else {
            logger.notice(
                "refused \(call.member) from \(peer.recordedBy), pid \(peer.pid): \(policy.refusalReason(peer))")
            throw policy.refusal()
        }
    }

    // MARK: org.varlink.service

    private func service(_ call: VarlinkCall) throws(TrialsError) -> JSONObject {
        switch VarlinkService.Method(rawValue: call.member) {
        case .getInfo?:
            _ = try Parameters(call.parameters, allowed: [])
            return JSONObject([
                ("vendor", "trialtrack"), ("product", "trialsd"), ("version", .string(trialtrackVersion)),
                ("url", "https://github.com/trialtrack/trialtrack"),
                ("interfaces", [.string(VarlinkService.name), .string(TrialsInterface.name)]),
            ])
        case .getInterfaceDescription?:
            let p = try Parameters(call.parameters, allowed: ["interface"])
            let name = try p.requiredString("interface")
            switch name {
            case VarlinkService.name: return JSONObject([("description", .string(VarlinkService.description))])
            case TrialsInterface.name: return JSONObject([("description", .string(TrialsInterface.description))])
            default: throw .interfaceNotFound(interface: name)
            }
        case nil:
            throw .methodNotFound(method: call.method)
        }
    }
}

/// Counts the calls being answered; a graceful stop waits until none is left.
final class InFlightCalls: @unchecked Sendable {  // `count` guarded by `condition`, which a stop waits on
    private let condition = NSCondition()
    private var count = 0

    func enter() {
        condition.lock()
        count += 1
        condition.unlock()
    }

    func leave() {
        condition.lock()
        count -= 1
        if count == 0 { condition.broadcast() }
        condition.unlock()
    }

    /// Waits until no call is in flight, or the deadline passes; true when none is left.
    @discardableResult
    func waitUntilIdle(before deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while count > 0 { if !condition.wait(until: deadline) { break } }
        return count == 0
    }
}
