import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// The connection handler without a socket: its pipeline (`NULFrameDecoder`, then
/// `ConnectionHandler`) on an `NIOAsyncTestingChannel`, the thread-safe sibling of
/// `EmbeddedChannel` (the handler's calls run as tasks and its appends come back from the
/// writer thread, so the channel must take writes from other threads), served by a real
/// daemon's service and committer.
final class ConnectionHandlerTests: XCTestCase {
    private var server: InProcessDaemon!
    private var channel: NIOAsyncTestingChannel!
    private var reads: ReadCounter!

    /// Counts the reads that get past the connection handler to the channel.
    final class ReadCounter: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = ByteBuffer
        private let count = NIOLockedValueBox(0)
        var reads: Int { count.withLockedValue { $0 } }
        func read(context: ChannelHandlerContext) {
            count.withLockedValue { $0 += 1 }
            context.read()
        }
    }

    override func setUp() async throws {
        server = try await InProcessDaemon()
        channel = NIOAsyncTestingChannel()
        reads = ReadCounter()
        let reads = self.reads!, daemonServer = server.daemon.server
        // Root: a writer.
        let peer = Peer(PeerCredentials(pid: 1, uid: 0, gid: 0))
        try await channel.testingEventLoop.executeInContext { [channel] in
            let ops = channel!.pipeline.syncOperations
            try ops.addHandler(reads)
            try ops.addHandler(ByteToMessageHandler(NULFrameDecoder(maximumBytes: 1 << 20)))
            try ops.addHandler(ConnectionHandler(server: daemonServer, peer: peer))
        }
    }

    override func tearDown() async throws {
        _ = try? await channel.finish()
        try await server.stop()
    }

    /// Sends frames as the peer would: each message and its NUL, in one read.
    private func send(_ messages: [String]) async throws {
        var buffer = ByteBuffer()
        for m in messages {
            buffer.writeString(m)
            buffer.writeInteger(UInt8(0))
        }
        try await channel.writeInbound(buffer)
    }

    private func call(_ method: String, _ parameters: JSONObject = JSONObject()) -> String {
        var bytes: [UInt8] = []
        VarlinkCall(method: TrialsInterface.method(method), parameters: parameters).json.write(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The next reply written, parsed; runs the loop's tasks (the writer's hops, flushes) until
    /// one comes, for at most 30 s.
    private func nextReply(_ what: String, file: StaticString = #filePath, line: UInt = #line) async throws -> JSONValue
    {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            await channel.testingEventLoop.run()
            if var b = try await channel.readOutbound(as: ByteBuffer.self) {
                let bytes = b.readBytes(length: b.readableBytes)!
                XCTAssertEqual(bytes.last, 0, "a reply ends in its NUL", file: file, line: line)
                return try JSONValue.parse(Array(bytes.dropLast()))
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        XCTFail("no reply for \(what)", file: file, line: line)
        throw CancellationError()
    }

    func testACallInIsAReplyOut() async throws {
        try await send([#"{"method":"org.varlink.service.GetInfo"}"#])
        let reply = try await nextReply("GetInfo")
        XCTAssertEqual(reply["parameters"]?["product"]?.stringValue, "trialsd")
        XCTAssertNil(reply["error"])
    }

    func testPipelinedCallsAreAnsweredInOrder() async throws {
        // Three appends, then a read that must see them, in one read of the socket.
        var messages = (0..<3).map { i in
            call(
                "Append", JSONObject([("event", event("HARMONi-2", "presented", "2024", ["venue": .string("M\(i)")]))]))
        }
        messages.append(call("Status", JSONObject([("trial", "HARMONi-2")])))
        try await send(messages)
        for i in 0..<3 {
            let reply = try await nextReply("append \(i)")
            XCTAssertEqual(reply["parameters"]?["event"]?["seq"], .int(Int64(i + 1)), "replies in call order")
        }
        let status = try await nextReply("the Status after the appends")
        XCTAssertEqual(status["parameters"]?["trials"]?.arrayValue?.first?["version"], 3)
    }

    func testAMalformedFrameIsAnErrorReplyAndTheConnectionServesOn() async throws {
        try await send(["{not json", #"{"method":"org.varlink.service.GetInfo"}"#])
        let refused = try await nextReply("the malformed frame")
        XCTAssertEqual(refused["error"]?.stringValue, "org.trialtrack.Trials.MalformedRequest")
        let next = try await nextReply("the call after it")
        XCTAssertEqual(next["parameters"]?["vendor"]?.stringValue, "trialtrack")
    }

    func testAMessageOverTheLimitIsRefusedAndTheConnectionClosed() async throws {
        try await channel.writeInbound(ByteBuffer(repeating: UInt8(ascii: "x"), count: (1 << 20) + 1))
        let refused = try await nextReply("the oversized message")
        XCTAssertEqual(refused["error"]?.stringValue, "org.trialtrack.Trials.RequestTooLarge")
        try await channel.closeFuture.get()
    }

    func testReadsAreHeldWhileThePeerDoesNotReadAndResumeAfter() async throws {
        try await channel.testingEventLoop.executeInContext { [channel] in
            channel!.isWritable = false
            channel!.pipeline.fireChannelWritabilityChanged()
        }
        let before = reads.reads
        channel.read()
        await channel.testingEventLoop.run()
        XCTAssertEqual(reads.reads, before, "a read got past the handler while the channel was not writable")
        try await channel.testingEventLoop.executeInContext { [channel] in
            channel!.isWritable = true
            channel!.pipeline.fireChannelWritabilityChanged()
        }
        await channel.testingEventLoop.run()
        XCTAssertEqual(reads.reads, before + 1, "the held read was not resumed once the channel was writable")
    }

    func testACallWaitsWhileThePeerDoesNotReadAndIsAnsweredAfter() async throws {
        try await channel.testingEventLoop.executeInContext { [channel] in
            channel!.isWritable = false
            channel!.pipeline.fireChannelWritabilityChanged()
        }
        try await send([#"{"method":"org.varlink.service.GetInfo"}"#])
        try await Task.sleep(for: .milliseconds(50))
        await channel.testingEventLoop.run()
        let early = try await channel.readOutbound(as: ByteBuffer.self)
        XCTAssertNil(early, "a call started while the peer left replies unread")
        try await channel.testingEventLoop.executeInContext { [channel] in
            channel!.isWritable = true
            channel!.pipeline.fireChannelWritabilityChanged()
        }
        let reply = try await nextReply("GetInfo once writable")
        XCTAssertEqual(reply["parameters"]?["product"]?.stringValue, "trialsd")
    }
}
