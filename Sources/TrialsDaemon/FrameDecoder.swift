import NIOCore

/// A frame of the Varlink wire: one message, or the news that the peer broke the framing.
enum Frame: Sendable, Equatable {
    case message(ByteBuffer)
    /// More than the limit arrived without a NUL: the connection must end.
    case tooLarge
}

/// Splits the byte stream at NUL bytes. A message longer than `maximumBytes` (NUL included)
/// becomes `.tooLarge` and nothing more is read: the peer cannot make the daemon buffer more.
struct NULFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Frame
    let maximumBytes: Int
    private var scanned = 0
    private var failed = false

    init(maximumBytes: Int) { self.maximumBytes = maximumBytes }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if failed {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        if let nul = view.dropFirst(scanned).firstIndex(of: 0) {
            let length = nul - view.startIndex
            scanned = 0
            if length + 1 > maximumBytes { return tooLarge(context, &buffer) }
            let message = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            context.fireChannelRead(wrapInboundOut(.message(message)))
            return .continue
        }
        scanned = view.count
        if view.count >= maximumBytes { return tooLarge(context, &buffer) }
        return .needMoreData
    }

    private mutating func tooLarge(_ context: ChannelHandlerContext, _ buffer: inout ByteBuffer) -> DecodingState {
        failed = true
        buffer.moveReaderIndex(to: buffer.writerIndex)
        context.fireChannelRead(wrapInboundOut(.tooLarge))
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // Half a message then a hang-up: dropped; the connection just ends.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
