import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TrialDomain
import TrialProtocol

/// The control socket: accepts connections and serves each with a `ConnectionHandler` on the
/// event loop. Calls on one connection are answered in order (pipelining); many connections
/// are served at once.
final class Server: Sendable {
    let service: ControlService
    let configuration: DaemonConfiguration
    let group: EventLoopGroup
    let logger: Logger
    /// Set by `start`, before `run` and `stop` read it.
    private let listener = NIOLockedValueBox<NIOAsyncChannel<Channel, Never>?>(nil)
    private let open = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])

    init(service: ControlService, configuration: DaemonConfiguration, group: EventLoopGroup, logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.group = group
        self.logger = logger
    }

    /// Binds the socket (or takes the one systemd passed) so that connects succeed from now on.
    func bind() async throws {
        let maximum = configuration.maximumMessageBytes
        let threadPool = service.threadPool
        let initializer: @Sendable (Channel) -> EventLoopFuture<Channel> = { [self] channel in
            PeerCredentials.of(channel).flatMap { credentials in
                // The account lookup may ask NSS (sssd, LDAP): off the event loop.
                threadPool.runIfActive(eventLoop: channel.eventLoop) { Peer(credentials) }
            }.flatMapThrowing { peer in
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(NULFrameDecoder(maximumBytes: maximum)))
                try channel.pipeline.syncOperations.addHandler(ConnectionHandler(server: self, peer: peer))
                return channel
            }
        }
        let logger = self.logger
        let listenFD = NIOLockedValueBox<Int32>(-1)  // set before the bootstrap binds it
        let bootstrap = ServerBootstrap(group: group).serverChannelOption(.backlog, value: 256)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AcceptLimitHandler(listenFD: listenFD.withLockedValue { $0 }, logger: logger))
                }
            }
            // A connection's unsent replies past 256 KiB hold its reads (ConnectionHandler).
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 64 * 1024, high: 256 * 1024))
        if let fd = configuration.listenFD {
            listenFD.withLockedValue { $0 = fd }
            let bound = try await bootstrap.bind(fd, childChannelInitializer: initializer)
            listener.withLockedValue { $0 = bound }
            logger.info("listening on the socket passed by systemd (fd \(fd))")
        } else {
            let path = configuration.socketPath
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try makeDirectory(dir, for: "the socket") }
            // A daemon that answers there is not taken over (checked at start, and again here).
            try checkSocketPathIsFree(path)
            // Bind under a restrictive umask, then set the mode and group asked for.
            let old = umask(0o177)
            defer { umask(old) }
            let fd = try listeningSocket(path: path, backlog: 256)
            listenFD.withLockedValue { $0 = fd }
            let bound = try await bootstrap.bind(fd, childChannelInitializer: initializer)
            listener.withLockedValue { $0 = bound }
            if let name = configuration.socketGroup {
                guard let gr = getgrnam(name) else {
                    throw DaemonError.configuration("no group named '\(name)' for the socket")
                }
                guard chown(path, uid_t.max, gr.pointee.gr_gid) == 0 else {
                    throw DaemonError.configuration(
                        "cannot give \(path) to group \(name): \(String(cString: strerror(errno)))")
                }
            }
            guard chmod(path, configuration.socketMode) == 0 else {
                throw DaemonError.configuration("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
            }
            logger.info("listening on \(path) (mode \(String(configuration.socketMode, radix: 8)))")
        }
    }

    /// Serves until `stop()` closes the listener; then waits for the connections to end.
    func run() async throws {
        guard let listener = listener.withLockedValue({ $0 }) else { return }
        try await withThrowingDiscardingTaskGroup { tasks in
            try await listener.executeThenClose { inbound in
                for try await channel in inbound {
                    tasks.addTask { try? await channel.closeFuture.get() }
                }
            }
        }
    }

    /// Stops accepting; open connections are closed after their current call.
    func stop() {
        listener.withLockedValue { $0 }?.channel.close(promise: nil)
        if configuration.listenFD == nil { unlink(configuration.socketPath) }
    }

    /// Closes every open connection now (after the writer has drained).
    func closeConnections() {
        for c in open.withLockedValue({ Array($0.values) }) { c.close(promise: nil) }
    }

    /// Counts a connection from the moment its handler is in place (before its first read)
    /// until it is gone, for `closeConnections` and the stats.
    func opened(_ channel: Channel) {
        open.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
        service.connections.withLockedValue { $0 += 1 }
    }

    func closed(_ channel: Channel) {
        if open.withLockedValue({ $0.removeValue(forKey: ObjectIdentifier(channel)) }) != nil {
            service.connections.withLockedValue { $0 -= 1 }
        }
    }

    /// Appends queued on one connection before its replies are written; past it, the
    /// connection is not read until replies go out (back-pressure on a pipelining client).
    static let maximumPipelined = 64

    /// How long a subscriber that fell out of the broadcaster's ring has to read what it was
    /// sent, and its SubscriberTooSlow, before its connection is closed.
    static let slowSubscriberGrace: TimeAmount = .seconds(30)

    /// A message read off the wire: a call, or the error to answer instead.
    static func parse(_ buffer: ByteBuffer) -> Result<VarlinkCall, VarlinkError> {
        let message: JSONValue
        do {
            message = try buffer.withUnsafeReadableBytes { raw throws(JSONParseError) in
                try JSONValue.parse(
                    UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
            }
        } catch {
            return .failure(TrialsError.malformedRequest(reason: "\(error)").varlinkError)
        }
        return Result { () throws(VarlinkError) in try VarlinkCall(message: message) }
    }
}

/// Serves one connection on its event loop, without a task per call.
///
/// Append and AppendMany are validated as they are read and queued for the writer at once;
/// their replies come back on the loop (one hop per commit) and are written in call order.
/// Any other call waits until the replies ahead of it are out, then runs as a task (reads go to
/// the thread pool; a subscription streams) while later calls wait behind it, as Varlink's
/// in-order replies require. Reading stops while `maximumPipelined` replies are owed or calls
/// wait, so a client that sends without reading is held by TCP-style back-pressure.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = Frame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: Server
    private let peer: Peer
    /// Replies owed, in call order: nil while its append is being committed; `.some(nil)`
    /// for a oneway call (nothing to write).
    private var owed = CircularBuffer<ByteBuffer??>()
    /// Calls read (parsed) but not started, because a call ahead of them must finish first;
    /// nil stands for a message over the size limit.
    private var waiting = CircularBuffer<Result<VarlinkCall, VarlinkError>?>()
    /// A non-append call is running as a task.
    private var busy = false
    private var readHeld = false
    private var closed = false
    /// `serve()` is on the stack (a refusal can fill a reply while it queues a call).
    private var serving = false
    /// The running non-append call, cancelled if the peer hangs up (a waiting subscription).
    private var running: Task<Void, Never>?
    private var context: ChannelHandlerContext?

    init(server: Server, peer: Peer) {
        self.server = server
        self.peer = peer
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        server.opened(context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        server.closed(context.channel)
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        waiting.removeAll()
        running?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        server.logger.debug("connection ended: \(error)")
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .message(let buffer): waiting.append(Server.parse(buffer))
        case .tooLarge: waiting.append(nil)
        }
        serve()
    }

    /// Holds reads while replies are owed or calls wait past the limit (back-pressure). Below
    /// it reading goes on, also during a subscription, so that a hang-up is seen at once.
    func read(context: ChannelHandlerContext) {
        if mustHoldReads {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Reading stops while replies are owed or calls wait past the limit, and while the peer
    /// does not read what was written (the channel's pending writes are past its high water
    /// mark): every kind of call — appends, reads, refusals of malformed frames — is held by
    /// the same back-pressure, so a peer that sends without reading costs a bounded buffer.
    private var mustHoldReads: Bool {
        owed.count >= Server.maximumPipelined || waiting.count >= Server.maximumPipelined
            || context?.channel.isWritable == false
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        if context.channel.isWritable { serve() }
    }

    /// Starts what can start, in order.
    private func serve() {
        guard let context, !closed, !serving else { return }
        serving = true
        startReady(context)
        serving = false
        if readHeld, !closed, !mustHoldReads {
            readHeld = false
            context.read()
        }
    }

    private func startReady(_ context: ChannelHandlerContext) {
        // Nothing new starts while the peer leaves what was written unread: what waits is
        // bounded by what one read brought in, and the rest stays in the kernel's buffers.
        while !busy, context.channel.isWritable, let next = waiting.first {
            guard let parsed = next else {
                guard owed.isEmpty else { return }  // after the replies ahead of it
                waiting.removeAll()
                let limit = server.configuration.maximumMessageBytes
                server.logger.notice("closing a connection from \(peer.recordedBy): a message over \(limit) bytes")
                let reply = VarlinkReply(error: TrialsError.requestTooLarge(limit: Int64(limit)).varlinkError)
                context.writeAndFlush(wrapOutboundOut(Self.encode(reply)), promise: nil)
                closed = true
                context.close(promise: nil)
                return
            }
            if case .success(let call) = parsed, TrialsMethod(call)?.isQueued == true {
                guard owed.count < Server.maximumPipelined else { return }
                waiting.removeFirst()
                queue(call)
            } else {
                guard owed.isEmpty else { return }  // a read after an append sees it
                waiting.removeFirst()
                start(parsed)
            }
        }
    }

    /// Queues an append; its reply slot is filled when the commit comes back to this loop.
    private func queue(_ call: VarlinkCall) {
        let loop = context!.eventLoop
        let number = served + owed.count  // the call's place among all replies owed on this connection
        owed.append(nil)
        let handler = NIOLoopBound(self, eventLoop: loop)
        server.service.submit(call, peer: peer, on: loop) { answer in
            handler.value.fill(number, with: Self.encode(answer))  // nil for a oneway call's
        }
    }

    /// Replies owed so far that have gone out: reply `number` sits at `number - served` in `owed`.
    private var served = 0

    private func fill(_ number: Int, with reply: ByteBuffer?) {
        guard let context, !closed else { return }
        owed[offset: number - served] = .some(reply)
        var wrote = false
        while let first = owed.first, let reply = first {
            owed.removeFirst()
            served += 1
            if let reply {
                context.write(wrapOutboundOut(reply), promise: nil)
                wrote = true
            }
        }
        if wrote { flushSoon(context) }
        serve()
    }

    private var flushScheduled = false

    /// Flushes once the loop's current task is done: a commit fills all of its replies in one
    /// task, so a connection gets one write (and its client one wake-up) per commit, not one
    /// per reply.
    private func flushSoon(_ context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            handler.value.flushScheduled = false
            handler.value.context?.flush()
        }
    }

    /// Runs a call that is not an append as a task; later calls wait for it.
    private func start(_ parsed: Result<VarlinkCall, VarlinkError>) {
        guard let context else { return }
        let channel = context.channel
        let loop = context.eventLoop
        let write: @Sendable (VarlinkReply) async throws -> Void = { reply in
            try await channel.writeAndFlush(Self.encode(reply)).get()
        }
        let call: VarlinkCall
        switch parsed {
        case .success(let c): call = c
        case .failure(let e):
            context.writeAndFlush(wrapOutboundOut(Self.encode(VarlinkReply(error: e))), promise: nil)
            return
        }
        busy = true
        let service = server.service, peer = self.peer, oneway = call.oneway
        // A subscriber the ring left behind gets SubscriberTooSlow after the events it was
        // sent, if it reads on within the grace period; one that does not is disconnected then.
        let drop: @Sendable () -> Void = {
            channel.eventLoop.scheduleTask(in: Server.slowSubscriberGrace) { channel.close(promise: nil) }
        }
        let handler = NIOLoopBound(self, eventLoop: loop)
        running = Task {
            do {
                try await service.handle(
                    call, peer: peer, drop: drop,
                    frames: { frame in
                        try await channel.writeAndFlush(frame).get()
                    }
                ) { reply in
                    if !oneway { try await write(reply) }
                }
            } catch {
                // The peer went away mid-call: nothing left to answer.
            }
            loop.execute {
                handler.value.busy = false
                handler.value.running = nil
                handler.value.serve()
            }
        }
    }

    /// The answer's bytes; nil for a oneway call's.
    static func encode(_ answer: AppendAnswer) -> ByteBuffer? {
        switch answer {
        case .reply(let r): return encode(r)
        case .encoded(let bytes): return frame(bytes)
        case .none: return nil
        }
    }

    static func encode(_ reply: VarlinkReply) -> ByteBuffer {
        var bytes = [UInt8]()
        bytes.reserveCapacity(256)
        reply.json.write(to: &bytes)
        return frame(bytes)
    }

    /// A message's JSON bytes and its NUL, ready to write.
    private static func frame(_ json: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(json.count + 1)
        buffer.writeBytes(json)
        buffer.writeInteger(UInt8(0))
        return buffer
    }
}

/// Why the daemon cannot start or go on.
public enum DaemonError: Error, CustomStringConvertible {
    case configuration(String)

    public var description: String {
        switch self {
        case .configuration(let m): return m
        }
    }
}
