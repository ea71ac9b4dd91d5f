import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TrialDomain
import TrialProtocol

/// The control socket: accepts connections and serves each in its own task. Calls on one
/// connection are answered in order (pipelining); many connections are served at once.
final class Server: @unchecked Sendable {
    typealias Connection = (peer: PeerCredentials, channel: NIOAsyncChannel<Frame, ByteBuffer>)

    let service: ControlService
    let configuration: DaemonConfiguration
    let group: EventLoopGroup
    let logger: Logger
    private var listener: NIOAsyncChannel<Connection, Never>?
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
        let initializer: @Sendable (Channel) -> EventLoopFuture<Connection> = { channel in
            PeerCredentials.of(channel).flatMapThrowing { peer in
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NULFrameDecoder(maximumBytes: maximum)))
                return (peer, try NIOAsyncChannel<Frame, ByteBuffer>(wrappingChannelSynchronously: channel))
            }
        }
        let bootstrap = ServerBootstrap(group: group).serverChannelOption(.backlog, value: 256)
        if let fd = configuration.listenFD {
            listener = try await bootstrap.bind(fd, childChannelInitializer: initializer)
            logger.info("listening on the socket passed by systemd (fd \(fd))")
        } else {
            let path = configuration.socketPath
            let dir = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            // Bind under a restrictive umask, then set the mode and group asked for.
            let old = umask(0o177)
            defer { umask(old) }
            listener = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: initializer)
            if let name = configuration.socketGroup {
                guard let gr = getgrnam(name) else { throw DaemonError.configuration("no group named '\(name)' for the socket") }
                guard chown(path, uid_t.max, gr.pointee.gr_gid) == 0 else {
                    throw DaemonError.configuration("cannot give \(path) to group \(name): \(String(cString: strerror(errno)))")
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
        guard let listener else { return }
        try await withThrowingDiscardingTaskGroup { tasks in
            try await listener.executeThenClose { inbound in
                for try await connection in inbound {
                    tasks.addTask { await self.serve(connection) }
                }
            }
        }
    }

    /// Stops accepting; open connections are closed after their current call.
    func stop() {
        listener?.channel.close(promise: nil)
        if configuration.listenFD == nil { unlink(configuration.socketPath) }
    }

    /// Closes every open connection now (after the writer has drained).
    func closeConnections() {
        for c in open.withLockedValue({ Array($0.values) }) { c.close(promise: nil) }
    }

    private func serve(_ connection: Connection) async {
        let id = ObjectIdentifier(connection.channel.channel)
        open.withLockedValue { $0[id] = connection.channel.channel }
        service.connections.withLockedValue { $0 += 1 }
        defer {
            open.withLockedValue { _ = $0.removeValue(forKey: id) }
            service.connections.withLockedValue { $0 -= 1 }
        }
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                let writer = ReplyWriter(outbound: outbound)
                let channel = connection.channel.channel
                // A subscriber past its backlog gets its error if it reads on; one that does not
                // read at all is disconnected after a grace period, so its buffers are freed.
                let drop: @Sendable () -> Void = {
                    channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
                }
                var tail: Task<Void, Error>?
                var pending = 0
                for try await frame in inbound {
                    switch frame {
                    case .tooLarge:
                        logger.notice("closing a connection from \(connection.peer.recordedBy): a message over \(configuration.maximumMessageBytes) bytes")
                        try? await writer.write(VarlinkReply(error: TrialsInterface.error("RequestTooLarge", [("limit", .int(Int64(configuration.maximumMessageBytes)))])))
                        return
                    case .message(let buffer):
                        // Appends are queued for the writer at once and answered in order;
                        // any other call first waits for the replies ahead of it (so a read
                        // after an append on the same connection sees it).
                        let parsed = parse(buffer)
                        if case .success(let call) = parsed, service.isQueueable(call) {
                            let queued = service.submit(call, peer: connection.peer)
                            let previous = tail
                            let oneway = call.oneway
                            tail = Task {
                                _ = await previous?.result
                                let reply = await queued.value
                                if !oneway { try await writer.write(reply) }
                            }
                            pending += 1
                            if pending >= maximumPipelined {
                                try await tail?.value
                                pending = 0
                            }
                        } else {
                            try await tail?.value
                            tail = nil
                            pending = 0
                            try await handle(parsed, peer: connection.peer, writer: writer, drop: drop)
                        }
                    }
                }
                try await tail?.value
            }
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }

    /// Appends queued on one connection before its replies are written.
    let maximumPipelined = 64

    /// A message read off the wire: a call, or the error to answer instead.
    private func parse(_ buffer: ByteBuffer) -> Result<VarlinkCall, VarlinkError> {
        let message: JSONValue
        do {
            message = try buffer.withUnsafeReadableBytes { raw throws(JSONParseError) in
                try JSONValue.parse(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
            }
        } catch {
            return .failure(TrialsInterface.malformed("\(error)"))
        }
        return Result { () throws(VarlinkError) in try VarlinkCall(message: message) }
    }

    private func handle(_ parsed: Result<VarlinkCall, VarlinkError>, peer: PeerCredentials, writer: ReplyWriter, drop: @escaping @Sendable () -> Void) async throws {
        let call: VarlinkCall
        switch parsed {
        case .success(let c): call = c
        case .failure(let e):
            try await writer.write(VarlinkReply(error: e))
            return
        }
        let oneway = call.oneway
        try await service.handle(call, peer: peer, drop: drop) { reply in
            if !oneway { try await writer.write(reply) }
        }
    }
}

/// Writes replies, NUL-terminated; waits while the peer does not read (back-pressure).
struct ReplyWriter: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    func write(_ reply: VarlinkReply) async throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(256)
        reply.json.write(to: &bytes)
        bytes.append(0)
        try await outbound.write(ByteBuffer(bytes: bytes))
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
