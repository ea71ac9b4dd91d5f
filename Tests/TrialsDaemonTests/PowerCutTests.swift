import Foundation
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

/// A power cut, simulated: trialsd runs under `powercut.so` (an LD_PRELOAD shim, built here
/// from powercut.c), which logs the bytes each write to the database or its WAL replaces; after
/// kill -9, every write since the file's last fsync is undone. That is what a power cut leaves
/// when the disk kept nothing unsynced. A kill -9 alone cannot show this: the kernel still
/// writes what it holds. So "appended as seq N" must mean "fsynced", or this test fails (it
/// does with `synchronous = NORMAL`: the acknowledged tail of the log is gone).
final class PowerCutTests: XCTestCase {
    func testAPowerCutWhileAppendingLosesNoAcknowledgedEvent() throws {
        let compiler = try XCTUnwrap(Self.cCompiler(), "no C compiler (clang or cc) to build powercut.so")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let shim = dir.path("powercut.so")
        let build = try runProgram(
            compiler,
            [
                "-shared", "-fPIC", "-O2", "-o", shim, Repository.path("Tests/TrialsDaemonTests/powercut.c"), "-ldl",
                "-lpthread",
            ],
            timeout: 120)
        XCTAssertEqual(build.status, 0, "building powercut.so: \(build)")
        let root = dir.url.resolvingSymlinksInPath().path  // the shim compares real paths

        var everAcknowledged: [Int64] = []
        var undoneInAll = 0
        // Three cycles at least; more (up to eight) until a cut has undone something: a kill
        // that lands just after an fsync leaves nothing unsynced, and a run in which no cut
        // undid a write has not tested a power cut at all.
        var cycle = 0
        while cycle < 3 || (undoneInAll == 0 && cycle < 8) {
            cycle += 1
            let undoLog = dir.path("undo-\(cycle).log")
            let daemon = try DaemonProcess(
                directory: dir, environment: ["LD_PRELOAD": shim, "POWERCUT_LOG": undoLog, "POWERCUT_DIR": root])
            try daemon.start()
            let clients = ProcessTests.Appenders(path: daemon.socketPath, clients: 5)
            let target = 150 * cycle
            try waitUntil(timeout: 60, "cycle \(cycle): " + clients.progress(target)) { clients.count >= target }
            daemon.kill9()
            try clients.wait()
            everAcknowledged += clients.acknowledged.withLockedValue { $0 }

            // The power cut: the writes no fsync covered never reached the disk.
            let cut = try PowerCut.undoUnsynced(log: undoLog)
            XCTAssertGreaterThan(cut.writes, 0, "cycle \(cycle): the shim saw no write: it was not loaded")
            XCTAssertGreaterThan(cut.syncs, 0, "cycle \(cycle): the shim saw no fsync")
            undoneInAll += cut.undone
            try? FileManager.default.removeItem(atPath: daemon.database + "-shm")  // shared memory, not storage

            _ = try ProcessTests.checkRecovered(
                dir, acknowledged: everAcknowledged,
                "cycle \(cycle): \(cut.writes) writes and \(cut.syncs) syncs logged, \(cut.undone) unsynced writes undone"
                    + (cut.tornTail ? " (a torn last record ignored)" : ""))
        }
        XCTAssertGreaterThan(
            undoneInAll, 0, "no cut undid a write in \(cycle) cycles: the test never simulated a power cut")
    }

    /// The toolchain's clang (beside swift), else the system's cc.
    static func cCompiler() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/opt/swift/usr/bin", "/usr/bin"]
        for name in ["clang", "cc"] {
            for d in dirs where FileManager.default.isExecutableFile(atPath: d + "/" + name) { return d + "/" + name }
        }
        return nil
    }
}

/// Reads powercut.so's undo log and undoes, file by file and newest first, every write logged
/// after the last fsync that began before it.
enum PowerCut {
    struct Outcome {
        var writes = 0, syncs = 0, undone = 0
        var tornTail = false
    }

    enum PowerCutError: Error {
        case malformed(at: Int)
        case undo(path: String, errno: Int32)
    }

    private struct Write {
        let position: Int, path: String, offset: UInt64, oldSize: UInt64, old: [UInt8]
    }

    static func undoUnsynced(log: String) throws -> Outcome {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: log)))
        var i = 0
        struct Torn: Error {}
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard i + n <= bytes.count else { throw Torn() }
            defer { i += n }
            return bytes[i..<(i + n)]
        }
        func number<T: FixedWidthInteger>(_: T.Type) throws -> T {
            try take(MemoryLayout<T>.size).reversed().reduce(T(0)) { $0 << 8 | T($1) }
        }
        var writes: [Write] = []
        var synced: [String: Int] = [:]  // path → log position every earlier write is durable up to
        var outcome = Outcome()
        // A torn last record (the kill came while it was being logged) is one whose write or
        // sync had not happened yet: reading stops there.
        reading: while i < bytes.count {
            let position = i
            do {
                let type = try take(1).first!
                let path = String(decoding: try take(Int(try number(UInt16.self))), as: UTF8.self)
                switch type {
                case UInt8(ascii: "W"):
                    let offset = try number(UInt64.self), oldSize = try number(UInt64.self)
                    let old = Array(try take(Int(try number(UInt32.self))))
                    writes.append(Write(position: position, path: path, offset: offset, oldSize: oldSize, old: old))
                    outcome.writes += 1
                case UInt8(ascii: "S"):
                    synced[path] = max(synced[path] ?? 0, Int(try number(UInt64.self)))
                    outcome.syncs += 1
                default:
                    throw PowerCutError.malformed(at: position)
                }
            } catch is Torn {
                outcome.tornTail = true
                break reading
            }
        }
        for w in writes.reversed() where w.position >= synced[w.path] ?? 0 {
            let fd = open(w.path, O_WRONLY)
            guard fd >= 0 else { throw PowerCutError.undo(path: w.path, errno: errno) }
            defer { close(fd) }
            if !w.old.isEmpty {
                let n = w.old.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(w.offset)) }
                guard n == w.old.count else { throw PowerCutError.undo(path: w.path, errno: errno) }
            }
            guard ftruncate(fd, off_t(w.oldSize)) == 0 else { throw PowerCutError.undo(path: w.path, errno: errno) }
            outcome.undone += 1
        }
        return outcome
    }
}
