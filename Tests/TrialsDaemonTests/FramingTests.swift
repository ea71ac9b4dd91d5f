import NIOCore
import NIOEmbedded
import NIOTestUtils
import XCTest

@testable import TrialsDaemon

/// The NUL framing of the Varlink wire, on an EmbeddedChannel: no socket, every split of the
/// byte stream (NIO's ByteToMessageDecoderVerifier feeds the input whole, byte by byte and in
/// random chunks, and checks for leftover bytes).
final class FramingTests: XCTestCase {
    private func message(_ s: String) -> Frame { .message(ByteBuffer(string: s)) }

    func testMessagesAreSplitAtNULHoweverTheBytesArrive() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (ByteBuffer(string: "{}\0"), [message("{}")]),
                (
                    ByteBuffer(string: #"{"method":"org.varlink.service.GetInfo"}"# + "\0" + #"{"a":1}"# + "\0"),
                    [message(#"{"method":"org.varlink.service.GetInfo"}"#), message(#"{"a":1}"#)]
                ),
                (ByteBuffer(string: "\0\0"), [message(""), message("")]),
                (
                    ByteBuffer(bytes: Array("x".utf8) + [0xFF, 0xC3, 0] + Array("y\0".utf8)),
                    [.message(ByteBuffer(bytes: [0x78, 0xFF, 0xC3])), message("y")]
                ),
            ],
            decoderFactory: { NULFrameDecoder(maximumBytes: 64) })
    }

    func testAMessageOverTheLimitEndsTheReadingOnce() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(NULFrameDecoder(maximumBytes: 8)))
        try channel.writeInbound(ByteBuffer(string: "1234567\0"))  // 7 bytes and the NUL: the limit
        XCTAssertEqual(try channel.readInbound(as: Frame.self), message("1234567"))
        try channel.writeInbound(ByteBuffer(string: "12345"))
        XCTAssertNil(try channel.readInbound(as: Frame.self), "half a message waits for its NUL")
        try channel.writeInbound(ByteBuffer(string: "678\0{}\0"))
        XCTAssertEqual(try channel.readInbound(as: Frame.self), .tooLarge)
        try channel.writeInbound(ByteBuffer(string: "{}\0{}\0"))
        XCTAssertNil(try channel.readInbound(as: Frame.self), "nothing after a message over the limit")
        XCTAssertNoThrow(try channel.finish())
    }

    func testHalfAMessageBeforeTheHangUpIsDropped() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(NULFrameDecoder(maximumBytes: 64)))
        try channel.writeInbound(ByteBuffer(string: "{}\0{\"meth"))
        XCTAssertEqual(try channel.readInbound(as: Frame.self), message("{}"))
        XCTAssertNoThrow(try channel.finish())
        XCTAssertNil(try channel.readInbound(as: Frame.self))
    }
}
