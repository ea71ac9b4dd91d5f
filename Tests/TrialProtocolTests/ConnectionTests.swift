import Foundation
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// A listening Unix stream socket in a temporary directory, standing in for trialsd: the test
/// connects a VarlinkConnection, accepts it here and writes the bytes the client is to read.
private final class Listener {
    let directory: String
    let path: String
    private let fd: Int32

    init() throws {
        // Short: Unix socket paths are limited to 107 bytes.
        directory = "/tmp/tp-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/control"
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let rc = unixSocket(fd, .bind, path: path)
        guard rc == 0, listen(fd, 4) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    deinit {
        close(fd)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The server's end of the next connection (already queued: connect(2) returned).
    func accept() throws -> Peer {
        let peer = Glibc.accept(fd, nil, nil)
        guard peer >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return Peer(fd: peer)
    }
}

private final class Peer {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    func write(_ text: String) { write(Array(text.utf8)) }
    func write(_ bytes: [UInt8]) {
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        XCTAssertEqual(n, bytes.count)
    }
    /// Everything the client sent, up to its end of input.
    func readAll() -> [UInt8] {
        var out = [UInt8](), chunk = [UInt8](repeating: 0, count: 4096)
        while case let n = recv(fd, &chunk, chunk.count, 0), n > 0 { out += chunk[0..<n] }
        return out
    }
    func closeWrite() { shutdown(fd, Int32(SHUT_WR)) }
}

/// VarlinkConnection: NUL framing over a stream, end of input, errors and timeouts.
final class ConnectionTests: XCTestCase {
    func testMessagesAreSplitAtTheirNULsHoweverTheyArrive() throws {
        let listener = try Listener()
        let c = try VarlinkConnection(path: listener.path, timeout: .seconds(10))
        let peer = try listener.accept()
        // Two messages in one write, then one message in three writes.
        peer.write(#"{"parameters":{"a":1}}"# + "\0" + #"{"parameters":{"b":2}}"# + "\0")
        XCTAssertEqual(try c.receive(), ["parameters": ["a": 1]])
        XCTAssertEqual(try c.receive(), ["parameters": ["b": 2]])
        peer.write(#"{"param"#)
        peer.write(#"eters":{"c":"#)
        peer.write("3}}\0")
        XCTAssertEqual(try c.receiveFrame(), Array(#"{"parameters":{"c":3}}"#.utf8))
        // An empty frame is a frame.
        peer.write("\0")
        XCTAssertEqual(try c.receiveFrame(), [])
        peer.closeWrite()
        XCTAssertNil(try c.receive(), "end of input between messages")
    }

    func testManyMessagesInOneStreamKeepTheirOrder() throws {
        let listener = try Listener()
        let c = try VarlinkConnection(path: listener.path, timeout: .seconds(10))
        let peer = try listener.accept()
        // More than the 64 KiB the connection keeps before it drops what it has read.
        var bytes = [UInt8]()
        for i in 0..<5000 { bytes += Array(#"{"parameters":{"i":\#(i)}}"#.utf8) + [0] }
        peer.write(bytes)
        for i in 0..<5000 { XCTAssertEqual(try c.receive()?["parameters"]?["i"]?.int64Value, Int64(i)) }
    }

    func testCallsAreFramedAndTheirRepliesRead() throws {
        let listener = try Listener()
        let c = try VarlinkConnection(path: listener.path, timeout: .seconds(10))
        let peer = try listener.accept()
        peer.write(#"{"parameters":{"product":"trialsd"}}"# + "\0")
        XCTAssertEqual(try c.call("org.varlink.service.GetInfo"), JSONObject([("product", "trialsd")]))
        peer.write(#"{"parameters":{"trial":"X"},"error":"org.trialtrack.Trials.NoSuchTrial"}"# + "\0")
        XCTAssertThrowsError(try c.call("org.trialtrack.Trials.Status", JSONObject([("trial", "X")]))) {
            XCTAssertEqual($0 as? ClientError, .remote(TrialsInterface.error("NoSuchTrial", [("trial", "X")])))
        }
        peer.write(#"{"parameters":{"n":1},"continues":true}"# + "\0" + #"{"parameters":{"n":2}}"# + "\0")
        var seen: [Int64] = []
        try c.stream("org.trialtrack.Trials.Log") {
            seen.append($0["n"]?.int64Value ?? -1); return true
        }
        XCTAssertEqual(seen, [1, 2])
        c.shutdownWrite()
        let sent = try peer.readAll().split(separator: 0).map { try JSONValue.parse(Array($0)) }
        XCTAssertEqual(sent.count, 3)
        XCTAssertEqual(sent[0], ["method": "org.varlink.service.GetInfo"])
        XCTAssertEqual(sent[1], ["method": "org.trialtrack.Trials.Status", "parameters": ["trial": "X"]])
        XCTAssertEqual(sent[2], ["method": "org.trialtrack.Trials.Log", "more": true])
    }

    func testAConnectionClosedInAMessageIsAProtocolViolation() throws {
        let listener = try Listener()
        let c = try VarlinkConnection(path: listener.path, timeout: .seconds(10))
        let peer = try listener.accept()
        peer.write(#"{"parameters":"#)
        peer.closeWrite()
        XCTAssertThrowsError(try c.receive()) {
            XCTAssertEqual($0 as? ClientError, .protocolViolation("the connection closed in the middle of a message"))
        }
    }

    func testAFrameThatIsNotJSONIsAProtocolViolation() throws {
        let listener = try Listener()
        let c = try VarlinkConnection(path: listener.path, timeout: .seconds(10))
        let peer = try listener.accept()
        peer.write("not json\0")
        XCTAssertThrowsError(try c.receive()) {
            guard case .protocolViolation(let reason)? = $0 as? ClientError else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.hasPrefix("malformed JSON at byte 0"), reason)
        }
    }

    func testASilentPeerTimesOut() throws {
        let listener = try Listener()
        let c = try VarlinkConnection(path: listener.path, timeout: .milliseconds(100))
        let peer = try listener.accept()
        let start = ContinuousClock.now
        XCTAssertThrowsError(try c.receive()) {
            XCTAssertEqual($0 as? ClientError, .timedOut(path: listener.path, after: .milliseconds(100)))
        }
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(90))
        // The timeout can be changed on an open connection; the connection still reads.
        c.timeout = .seconds(10)
        peer.write("{}\0")
        XCTAssertEqual(try c.receive(), [:])
    }

    func testNothingListeningIsUnreachable() throws {
        let listener = try Listener()
        let missing = listener.directory + "/nothing"
        XCTAssertThrowsError(try VarlinkConnection(path: missing)) {
            XCTAssertEqual($0 as? ClientError, .unreachable(path: missing, reason: "No such file or directory"))
        }
        let long = "/tmp/" + String(repeating: "x", count: 120)
        XCTAssertThrowsError(try VarlinkConnection(path: long)) {
            XCTAssertEqual(
                $0 as? ClientError, .unreachable(path: long, reason: "the path is too long for a Unix socket"))
        }
    }

    func testClientErrorsSayWhatHappened() {
        XCTAssertEqual(
            ClientError.timedOut(path: "/run/trialsd/control", after: .seconds(60)).description,
            "trialsd at /run/trialsd/control did not answer within 60 s")
        XCTAssertEqual(
            ClientError.timedOut(path: "/s", after: .milliseconds(250)).description,
            "trialsd at /s did not answer within 0.25 s")
        XCTAssertEqual(
            ClientError.unreachable(path: "/s", reason: "Connection refused").description,
            "cannot reach trialsd at /s: Connection refused")
        XCTAssertEqual(ClientError.remote(.permissionDenied()).description, "org.varlink.service.PermissionDenied")
        XCTAssertEqual(ClientError.protocolViolation("x").description, "protocol error: x")
    }
}
