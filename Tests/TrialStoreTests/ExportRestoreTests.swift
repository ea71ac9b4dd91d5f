import Foundation
import GRDB
import TrialDomain
@testable import TrialStore
import TrialTestSupport
import XCTest

/// `EventStore.export` (the log as JSONL, every field as recorded) and `EventStore.restore`
/// (a new database from it, every line's hash checked).
final class ExportRestoreTests: StoreTestCase {
    /// The demo data, recorded as trialsd's `--seed` records it: one group.
    func seedDemo() throws {
        let text = try String(contentsOfFile: Repository.path("demo/trial-timeline.jsonl"), encoding: .utf8)
        let events = try text.split(separator: "\n").filter {
            !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#")
        }
        .map { try NewEvent(json: try JSONValue.parse(String($0)), today: Fixture.today) }
        XCTAssertEqual(events.count, 35)
        guard case .success = try store.append(groups: [events], recordedBy: "trialsd (seed trial-timeline.jsonl)")[0]
        else {
            return XCTFail("the demo was refused")
        }
    }

    /// A random history (corrections, retractions, overdue marks, refusals) of at least
    /// `accepted` events.
    @discardableResult
    func seedRandom(seed: UInt64, accepted: Int) throws -> Int64 {
        var gen = HistoryGenerator(rng: SeededRandom(seed: seed))
        gen.trials += (1...20).map { "RANDOM-\($0)" }
        while gen.appended.count < accepted {
            let groups = try (0..<Int.random(in: 1...8, using: &gen.rng)).map { _ in
                try (0..<Int.random(in: 1...2, using: &gen.rng)).map { _ in try gen.next() }
            }
            for case .success(let outcomes) in try store.append(groups: groups, recordedBy: "prop") {
                for o in outcomes { gen.appended.append((o.event.seq, o.event.trial, o.event.type)) }
            }
        }
        let types = Set(gen.appended.map(\.type))
        XCTAssertTrue(
            types.contains(.corrected) && types.contains(.retracted), "seed \(seed): amendments in the history")
        return try store.lastSeq()
    }

    func exportText(since: Int64? = nil, store: EventStore? = nil) throws -> (String, ExportReport) {
        var bytes: [UInt8] = []
        var calls = 0
        let report = try (store ?? self.store).export(since: since) { page in
            calls += 1
            XCTAssertEqual(page.last, UInt8(ascii: "\n"), "whole lines")
            bytes += page
        }
        XCTAssertEqual(Int64(bytes.count), report.bytes)
        XCTAssertEqual(calls, Int((report.events + 999) / 1000), "a page per 1,000 events")
        return (String(decoding: bytes, as: UTF8.self), report)
    }

    func write(_ text: String, _ name: String) throws -> String {
        let p = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Every column of the log, the hash in hexadecimal.
    func eventRows(_ store: EventStore) throws -> [String] {
        try store.pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT \(EventRows.columns.replacingOccurrences(of: "hash", with: "hex(hash)")) FROM events ORDER BY seq"
            ).map(\.description)
        }
    }

    /// Export, restore into a new file, and compare: the same head hash, the same rows byte
    /// for byte, the same projections (the original's kept as it grew, the restored one's
    /// rebuilt, and a rebuild of it again), the same export.
    func roundTrip(_ label: String) throws {
        let (text, exported) = try exportText()
        let original = try store.verify()
        XCTAssertEqual(exported.lastSeq, original.lastSeq, label)
        XCTAssertEqual(exported.headHash, original.headHash, label)
        let file = try write(text, "\(label).jsonl")
        let target = directory.appendingPathComponent("\(label)-restored.db").path
        let report = try EventStore.restore(from: file, into: target)
        XCTAssertEqual(report.events, original.lastSeq, label)
        XCTAssertEqual(report.lastSeq, original.lastSeq, label)
        XCTAssertEqual(report.headHash, original.headHash, label)
        XCTAssertEqual(report.trials, try store.trialCount(), label)
        let mask = umask(0)
        umask(mask)
        XCTAssertEqual(SafeFile.mode(target), 0o640 & ~mask, "\(label): the mode trialsd gives a new database")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(
            files.filter { $0.contains(".tmp-") || $0.hasPrefix("\(label)-restored.db-") }, [],
            "\(label): nothing beside it")

        let restored = try EventStore(path: target)
        defer { try? restored.close() }
        let verified = try restored.verify()
        XCTAssertTrue(verified.ok, verified.problem ?? "")
        XCTAssertEqual(verified.headHash, original.headHash, label)
        XCTAssertEqual(try eventRows(restored), try eventRows(store), "\(label): the events byte for byte")
        XCTAssertEqual(
            try snapshot(of: restored, projectionsOnly: true), try snapshot(of: store, projectionsOnly: true),
            "\(label): projections")
        try restored.rebuild()
        XCTAssertEqual(
            try snapshot(of: restored, projectionsOnly: true), try snapshot(of: store, projectionsOnly: true),
            "\(label): projections after another rebuild")
        XCTAssertEqual(try exportText(store: restored).0, text, "\(label): the restored log exports the same bytes")
        // It takes appends after the restored head, as the original would.
        let next = try restored.append(
            try event(
                "AFTER-RESTORE", .registered, "2025-06-01",
                [
                    "title": "After the restore", "identifiers": [["registry": "nct", "id": "NCT09999993"]],
                    "phases": ["phase-3"],
                ]),
            recordedBy: "test")
        XCTAssertEqual(next.event.seq, original.lastSeq + 1)
        XCTAssertTrue(try restored.verify().ok)
    }

    func testTheDemoRoundTrips() throws {
        try seedDemo()
        try roundTrip("demo")
    }

    func testRandomHistoriesRoundTrip() throws {
        for seed in UInt64(1)...3 {
            if seed > 1 {
                // Each seed starts from an empty log.
                try store.close()
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
                store = try open()
            }
            try seedRandom(seed: seed, accepted: seed == 1 ? 2_100 : 300)  // seed 1: three export pages
            try roundTrip("random-\(seed)")
        }
    }

    /// Each line is the event's JSON as replies carry it (`RecordedEvent`'s), from the stored
    /// texts; `since` exports what follows a seq.
    func testLinesAreTheRecordedEventsJSON() throws {
        try seedDemo()
        try append("HARMONi-2", .presented, "2025-06-01", ["venue": "ASCO 2025"])  // recorded by another
        let (text, report) = try exportText()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let events = try store.events(LogQuery(limit: 1_000))
        XCTAssertEqual(lines.count, events.count)
        XCTAssertEqual(report.events, 36)
        for (line, e) in zip(lines, events) {
            var w = JSONWriter()
            e.write(to: &w)
            XCTAssertEqual(String(line), w.text)
            let json = try JSONValue.parse(String(line))
            XCTAssertEqual(
                Set(json.objectValue!.keys),
                e.source == nil ? ExportLine.fields.subtracting(["source"]) : ExportLine.fields)
        }
        let (tail, since) = try exportText(since: 30)
        XCTAssertEqual(tail, lines.dropFirst(30).map { $0 + "\n" }.joined())
        XCTAssertEqual(since.events, 6)
        XCTAssertEqual(since.headHash, report.headHash)
        XCTAssertEqual(try exportText(since: 36).1.events, 0)
    }

    // MARK: Refusals

    /// The demo's export, as lines.
    func demoLines() throws -> [String] {
        try seedDemo()
        return try exportText().0.split(separator: "\n").map(String.init)
    }

    /// Restoring `lines` is refused at `line` with a reason containing `reason`, and nothing
    /// is written: no database, nothing beside it.
    func assertRefused(
        _ lines: [String], line: Int?, _ reason: String, into target: String? = nil,
        file: StaticString = #filePath, testLine: UInt = #line
    ) throws {
        let name = "refused-\(UUID().uuidString.prefix(6)).jsonl"
        let source = try write(lines.map { $0 + "\n" }.joined(), name)
        let target = target ?? directory.appendingPathComponent("restored.db").path
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let existed = FileManager.default.contents(atPath: target)
        XCTAssertThrowsError(try EventStore.restore(from: source, into: target), file: file, line: testLine) { error in
            guard let e = error as? RestoreError else {
                return XCTFail("not a RestoreError: \(error)", file: file, line: testLine)
            }
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: testLine)
            XCTAssertTrue(e.description.contains(reason), "\(e)", file: file, line: testLine)
            if let line {
                XCTAssertTrue(e.description.hasPrefix("\(source):\(line): "), "\(e)", file: file, line: testLine)
            }
            XCTAssertFalse(e.description.contains("\n"), file: file, line: testLine)
        }
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), before, "nothing written",
            file: file, line: testLine)
        XCTAssertEqual(FileManager.default.contents(atPath: target), existed, file: file, line: testLine)
    }

    func testAGapIsRefused() throws {
        var lines = try demoLines()
        lines.remove(at: 9)  // seq 10
        try assertRefused(lines, line: 10, "seq 11 does not follow seq 9: seq 10 missing")
        try assertRefused(Array(lines.dropFirst(3)), line: 1, "the log starts at seq 4, not 1")
        var twice = try demoLines()
        twice.insert(twice[4], at: 5)
        try assertRefused(twice, line: 6, "seq 5 does not follow seq 5")
    }

    func testABrokenHashIsRefused() throws {
        var lines = try demoLines()
        // Another hash on line 12: that line no longer follows seq 11.
        let hash = try XCTUnwrap(JSONValue.parse(lines[11])["hash"]?.stringValue)
        let other = String(hash.prefix(10)) + (hash.dropFirst(10).first == "0" ? "1" : "0") + String(hash.dropFirst(11))
        lines[11] = lines[11].replacingOccurrences(of: hash, with: other)
        try assertRefused(lines, line: 12, "hash does not follow seq 11's")
        // The line's hash made right for its new content would break the next line's link.
        var first = try demoLines()
        first[0] = first[0].replacingOccurrences(of: #""recordedBy":""#, with: #""recordedBy":"x"#)
        try assertRefused(first, line: 1, "hash does not follow the start of the log")
    }

    func testAChangedPayloadIsRefused() throws {
        var lines = try demoLines()
        // Line 20's payload, changed in one value and written canonically again.
        var object = try XCTUnwrap(JSONValue.parse(lines[19]).objectValue)
        var payload = try XCTUnwrap(object["payload"]?.objectValue)
        let key = try XCTUnwrap(payload.keys.first { payload[$0]?.stringValue != nil })
        payload[key] = .string(payload[key]!.stringValue! + " (edited)")
        object["payload"] = .object(payload)
        lines[19] = JSONValue.object(object).canonicalText
        try assertRefused(lines, line: 20, "hash does not follow seq 19's")
        // Reordered or spaced out, a payload is the same content: that is no change.
        var spaced = try demoLines()
        let canonical = try XCTUnwrap(JSONValue.parse(spaced[19])["payload"])
        let loose =
            "{ "
            + canonical.objectValue!.members.reversed().map { "\"\($0.key)\" : \($0.value.canonicalText)" }.joined(
                separator: " , ") + " }"
        XCTAssertNotEqual(loose, canonical.canonicalText)
        spaced[19] = spaced[19].replacingOccurrences(of: canonical.canonicalText, with: loose)
        let file = try write(spaced.map { $0 + "\n" }.joined(), "spaced.jsonl")
        XCTAssertEqual(
            try EventStore.restore(from: file, into: directory.appendingPathComponent("spaced.db").path).headHash,
            try store.verify().headHash)
    }

    func testAMalformedLineIsRefused() throws {
        let lines = try demoLines()
        var cut = lines
        cut[6] = String(cut[6].prefix(40))
        try assertRefused(cut, line: 7, "malformed line: malformed JSON")
        var blank = lines
        blank.insert("", at: 3)
        try assertRefused(blank, line: 4, "malformed line")
        var extra = lines
        extra[2] = "{\"extra\":1," + extra[2].dropFirst()
        try assertRefused(extra, line: 3, "malformed line: unknown field 'extra'")
        var noSeq = lines
        noSeq[8] = noSeq[8].replacingOccurrences(of: #""seq":9,"#, with: "")
        try assertRefused(noSeq, line: 9, "malformed line: no 'seq'")
        var type = lines
        type[1] = type[1].replacingOccurrences(of: #""type":""#, with: #""type":"no-such-"#)
        try assertRefused(type, line: 2, "malformed line: unknown type 'no-such-")
    }

    /// A database that holds events (or follows) is not restored into; nor one a daemon holds.
    func testANonEmptyDatabaseIsRefused() throws {
        let lines = try demoLines()
        try assertRefused(lines, line: nil, "it is not empty (35 events, 0 follows); give a new --database", into: path)
        // An empty database is fine, and so is an empty file.
        let empty = directory.appendingPathComponent("empty.db").path
        try EventStore(path: empty).close()
        let file = try write(lines.map { $0 + "\n" }.joined(), "demo.jsonl")
        XCTAssertEqual(try EventStore.restore(from: file, into: empty).events, 35)
        // Now it holds events: refused, and its missing -wal and -shm are not left behind.
        XCTAssertFalse(FileManager.default.fileExists(atPath: empty + "-wal"))
        try assertRefused(lines, line: nil, "it is not empty (35 events, 0 follows)", into: empty)
        let zero = directory.appendingPathComponent("zero.db").path
        XCTAssertTrue(FileManager.default.createFile(atPath: zero, contents: Data()))
        XCTAssertEqual(try EventStore.restore(from: file, into: zero).events, 35)
        // Held by a daemon (its flock on the file).
        let held = directory.appendingPathComponent("held.db").path
        XCTAssertTrue(FileManager.default.createFile(atPath: held, contents: Data()))
        let fd = Glibc.open(held, O_RDONLY)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        defer { close(fd) }
        try assertRefused(lines, line: nil, "a trialsd is running on it", into: held)
        // No directory.
        try assertRefused(lines, line: nil, "does not exist", into: directory.appendingPathComponent("none/x.db").path)
    }
}
