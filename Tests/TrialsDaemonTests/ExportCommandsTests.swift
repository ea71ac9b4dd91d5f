import Foundation
import NIOConcurrencyHelpers
import TrialDomain
import TrialProtocol
import TrialStore
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// The exports users type (issue 30), end to end: the built trialctl against the built trialsd
/// seeded with the demo, each output read by an independent parser (Python's icalendar,
/// feedparser, xml.etree from `make venv`).
final class ExportCommandsTests: XCTestCase {
    var dir: TemporaryDirectory!
    var daemon: DaemonProcess!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
        daemon = try DaemonProcess(directory: dir, arguments: ["--seed", Repository.path("demo/trial-timeline.jsonl")])
        try daemon.start()
    }

    override func tearDownWithError() throws {
        XCTAssertEqual(daemon.terminate(), 0)
        dir.remove()
    }

    @discardableResult
    func trialctl(_ args: [String], timeout: Double = 120) throws -> ProgramResult {
        try TrialctlEndToEndTests.trialctl(args, home: dir.url.path, socket: daemon.socketPath, timeout: timeout)
    }

    /// Runs `script` with the tests' Python on a file holding `text`; what it prints as JSON.
    func python(_ script: String, on text: String, modules: [String], suffix: String) throws -> [String: Any] {
        let python = Repository.path(".build/venv/bin/python3")
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: python),
            "needs the tests' Python environment with \(modules.joined(separator: ", ")): `make venv` makes it")
        let path = dir.path("input-\(UUID().uuidString)" + suffix)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let r = try runProgram(
            python, ["-c", "import " + modules.joined(separator: ", ") + "\n" + script, path], output: .separate,
            timeout: 120)
        XCTAssertEqual(r.status, 0, "\(r)")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], "\(r)")
    }

    func json(_ r: ProgramResult) throws -> JSONValue {
        try JSONValue.parse(r.out.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: upcoming --ical

    static let icalReader = #"""
        import sys, json
        cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
        events = [{"uid": str(e.get("uid")), "status": str(e.get("status")), "summary": str(e.get("summary")),
                   "start": e.decoded("dtstart").isoformat(), "end": e.decoded("dtend").isoformat(),
                   "sequence": int(e.get("sequence"))} for e in cal.walk("VEVENT")]
        print(json.dumps({"name": str(cal.get("x-wr-calname")), "events": events}))
        """#

    func testUpcomingIcalHasEveryForecastWithStableUIDsAndTheirStates() throws {
        var r = try trialctl(["upcoming", "--within", "3650", "--ical"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.hasPrefix("BEGIN:VCALENDAR\r\n"), r.out)
        let cal = try python(Self.icalReader, on: r.out, modules: ["icalendar"], suffix: ".ics")
        let events = try XCTUnwrap(cal["events"] as? [[String: Any]])
        // Every forecast Upcoming lists with `all` (met, overdue and slipped ones too).
        let all =
            try json(try trialctl(["upcoming", "--within", "3650", "--all", "--json"]))["milestones"]?.arrayValue ?? []
        XCTAssertGreaterThan(all.count, 0)
        XCTAssertEqual(events.count, all.count)
        let uids = events.map { $0["uid"] as! String }
        XCTAssertEqual(Set(uids).count, uids.count, "UIDs are unique")
        for (m, e) in zip(all, events) {
            XCTAssertEqual(
                e["uid"] as? String, "expectation-\(m["seq"]!.int64Value!)-\(m["trial"]!.stringValue!)@trialtrack")
            let expected = [
                "pending": "TENTATIVE", "overdue": "TENTATIVE", "met": "CONFIRMED", "superseded": "CANCELLED",
            ][m["state"]!.stringValue!]
            XCTAssertEqual(e["status"] as? String, expected, "\(m)")
            XCTAssertEqual(e["start"] as? String, m["windowStart"]?.stringValue, "\(m)")
        }
        XCTAssertTrue(
            events.contains { ($0["status"] as? String) == "CONFIRMED" } || !all.contains { $0["state"] == "met" })

        // -o: the same calendar in a file; the UIDs the same at the next export.
        let file = dir.path("catalysts.ics")
        r = try trialctl(["upcoming", "--within", "3650", "--ical", "-o", file])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.out, "")
        let again = try python(
            Self.icalReader, on: try String(contentsOfFile: file, encoding: .utf8), modules: ["icalendar"],
            suffix: ".ics")
        XCTAssertEqual((again["events"] as? [[String: Any]])?.map { $0["uid"] as! String }, uids)
        XCTAssertFalse(
            try FileManager.default.contentsOfDirectory(atPath: dir.url.path).contains { $0.contains(".tmp-") })

        // --within 0: only what is open now or overdue, and earlier windows.
        r = try trialctl(["upcoming", "--within", "0", "--ical"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertLessThanOrEqual(r.out.components(separatedBy: "BEGIN:VEVENT").count - 1, events.count)

        r = try trialctl(["upcoming", "-o", file])
        XCTAssertEqual(r.status, 2, "-o without --ical: \(r)")
    }

    /// With filters, the calendar holds exactly the forecasts `upcoming --all` lists with the same
    /// filters, and is named after them; a filter that matches nothing is an empty calendar.
    func testUpcomingIcalWithFiltersHoldsOnlyTheMatchingTrials() throws {
        let filter = ["--condition", "lung cancer", "--phase", "3"]
        let r = try trialctl(["upcoming", "--within", "3650", "--ical"] + filter)
        XCTAssertEqual(r.status, 0, "\(r)")
        let cal = try python(Self.icalReader, on: r.out, modules: ["icalendar"], suffix: ".ics")
        let uids = try XCTUnwrap(cal["events"] as? [[String: Any]]).map { $0["uid"] as! String }
        let listed =
            try json(try trialctl(["upcoming", "--within", "3650", "--all", "--json"] + filter))["milestones"]?
            .arrayValue ?? []
        let every =
            try json(try trialctl(["upcoming", "--within", "3650", "--all", "--json"]))["milestones"]?.arrayValue ?? []
        XCTAssertGreaterThan(listed.count, 0)
        XCTAssertLessThan(listed.count, every.count, "the filter leaves some forecasts out")
        XCTAssertEqual(
            uids, listed.map { "expectation-\($0["seq"]!.int64Value!)-\($0["trial"]!.stringValue!)@trialtrack" })
        XCTAssertEqual(
            cal["name"] as? String, "trialtrack: expected milestones (phase 3 · condition lung cancer)")

        let none = try trialctl(["upcoming", "--ical", "--sponsor", "No Such Sponsor Anywhere"])
        XCTAssertEqual(none.status, 0, "\(none)")
        XCTAssertTrue(none.out.hasPrefix("BEGIN:VCALENDAR\r\n"), none.out)
        XCTAssertFalse(none.out.contains("BEGIN:VEVENT"), none.out)
        XCTAssertEqual(try trialctl(["upcoming", "--ical", "--phase", "5"]).status, 2, "a phase that does not exist")
    }

    // MARK: log --atom

    static let atomReader = #"""
        import sys, json
        d = feedparser.parse(sys.argv[1])
        print(json.dumps({"bozo": d.bozo, "id": d.feed.get("id"), "updated": d.feed.get("updated"), "title": d.feed.get("title"),
                          "entries": [{"id": e.id, "title": e.title, "updated": e.updated,
                                       "terms": [[t.get("scheme"), t.get("term")] for t in e.get("tags", [])]} for e in d.entries]}))
        """#

    func testLogAtomIsTheSelectedEventsNewestFirstUnderAStableFeedID() throws {
        var r = try trialctl(["log", "--atom"])
        XCTAssertEqual(r.status, 0, "\(r)")
        let feed = try python(Self.atomReader, on: r.out, modules: ["feedparser"], suffix: ".xml")
        XCTAssertEqual(feed["bozo"] as? Bool, false, "well-formed: \(feed)")
        let events = try json(try trialctl(["log", "--json"]))["events"]?.arrayValue ?? []
        let entries = try XCTUnwrap(feed["entries"] as? [[String: Any]])
        XCTAssertEqual(entries.count, events.count)
        XCTAssertEqual(
            entries.map { $0["id"] as! String }, events.reversed().map { "urn:uuid:" + $0["id"]!.stringValue! })
        let first = events.first!["hash"]!.stringValue!
        XCTAssertEqual(feed["id"] as? String, "urn:trialtrack:log:\(first)")
        XCTAssertEqual(feed["updated"] as? String, events.last!["recorded"]!.stringValue!)
        XCTAssertTrue(
            (entries.first?["terms"] as? [[String?]])?.contains { $0[0] == "urn:trialtrack:type" } ?? false,
            "\(entries.first!)")

        // The selection options of log apply; a trial's feed is named by its key, whatever name was given.
        r = try trialctl(["log", "--atom", "-n", "2", "--type", "milestone-expected", "NCT07264075"])
        XCTAssertEqual(r.status, 0, "\(r)")
        let some = try python(Self.atomReader, on: r.out, modules: ["feedparser"], suffix: ".xml")
        let selected =
            try json(try trialctl(["log", "--json", "-n", "2", "--type", "milestone-expected", "NCT07264075"]))[
                "events"]?.arrayValue ?? []
        XCTAssertEqual((some["entries"] as? [[String: Any]])?.count, selected.count)
        let key = try XCTUnwrap(selected.first?["trial"]?.stringValue)
        XCTAssertEqual(some["id"] as? String, "urn:trialtrack:log:\(first)/trial/\(key)/type/milestone-expected")
        let byAcronym = try trialctl(["log", "--atom", "-n", "2", "--type", "milestone-expected", "ILLUMINE"])
        XCTAssertTrue(
            byAcronym.out.contains("<id>urn:trialtrack:log:\(first)/trial/\(key)/type/milestone-expected</id>"),
            byAcronym.out)

        r = try trialctl(["log", "--atom", "NO-SUCH-TRIAL"])
        XCTAssertEqual(r.status, 4, "\(r)")
    }

    // MARK: timeline

    func testTimelineDrawsARowPerTrialAndRefusesAnUnknownOne() throws {
        let file = dir.path("programme.svg")
        var r = try trialctl([
            "timeline", "HARMONi-2", "HARMONi-A", "HARMONi-6", "NCT05499390", "-o", file, "--today", "2026-12-07",
        ])
        XCTAssertEqual(r.status, 0, "\(r)")
        let svg = try String(contentsOfFile: file, encoding: .utf8)
        let read = try python(
            #"""
            import sys, json
            root = xml.etree.ElementTree.parse(sys.argv[1]).getroot()
            rows = [e for e in root.iter() if "trial" in (e.get("class") or "").split()]
            names = [[t.text for t in e if "trial-name" in (t.get("class") or "").split()] for e in rows]
            print(json.dumps({"root": root.tag, "rows": len(rows), "names": names}))
            """#, on: svg, modules: ["xml.etree.ElementTree"], suffix: ".svg")
        XCTAssertEqual(read["root"] as? String, "{http://www.w3.org/2000/svg}svg")
        XCTAssertEqual(read["rows"] as? Int, 3, "a row per trial, HARMONi-2 once: \(read)")
        XCTAssertEqual((read["names"] as? [[String]])?.map { $0.first ?? "" }, ["HARMONi-2", "HARMONi-A", "HARMONi-6"])

        r = try trialctl(["timeline", "HARMONi-6"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.hasPrefix("<"), r.out)
        XCTAssertTrue(r.out.contains("</svg>"), r.out)

        r = try trialctl(["timeline", "HARMONi-2", "HARMONi-7"])
        XCTAssertEqual(r.status, 4, "\(r)")
        XCTAssertTrue(r.err.contains("no such trial: HARMONi-7"), r.err)
        XCTAssertTrue(r.err.contains("did you mean"), r.err)
        XCTAssertEqual(r.out, "")
    }

    // MARK: backup

    func testBackupWhileAppendsGoOnIsAVerifiedCopy() throws {
        let c = try daemon.connect()
        try c.trials("AppendMany", ["events": .array((0..<2000).map { registration("BULK-\($0)") })])
        // Appends on another connection while the copy is made.
        let stop = NIOLockedValueBox(false)
        let socket = daemon.socketPath
        let appender = Thread {
            guard let c = try? VarlinkConnection(path: socket, timeout: .seconds(30)) else { return }
            var i = 0
            while !stop.withLockedValue({ $0 }) {
                _ = try? c.trials("Append", ["event": registration("DURING-\(i)")])
                i += 1
            }
        }
        appender.start()
        let copy = dir.path("copy.db")
        var r = try trialctl(["backup", copy])
        stop.withLockedValue { $0 = true }
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.hasPrefix("backed up to \(copy): seq "), r.out)
        let seq = Int64(r.out.split(separator: " ")[5].dropLast())!
        // The copy opens and verifies, at the seq reported.
        let store = try EventStore(path: copy)
        let verified = try store.verify()
        XCTAssertTrue(verified.ok, "\(verified)")
        XCTAssertEqual(verified.lastSeq, seq)
        XCTAssertTrue(r.out.contains("head hash \(verified.headHash),"), r.out)
        try store.close()

        // Refusals: an existing file (without --overwrite), a relative path, a missing directory.
        r = try trialctl(["backup", copy])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertEqual(
            r.err,
            "trialctl: cannot back up to \(copy): it exists; remove it, give another path, or ask to overwrite it\n")
        r = try trialctl(["backup", "--overwrite", copy])
        XCTAssertEqual(r.status, 0, "\(r)")
        r = try trialctl(["backup", "relative.db"])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.err.contains("absolute path"), r.err)
        let e = c.trialsError("Backup", ["path": "relative.db"])
        XCTAssertEqual(
            e?.trialsError,
            .backupFailed(
                path: "relative.db",
                reason:
                    "cannot back up to relative.db: give an absolute path; trialsd writes the copy, and its working directory is not the caller's"
            ))
        r = try trialctl(["backup", dir.path("missing/copy.db")])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.err.contains("does not exist"), r.err)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains(".tmp-") }, [])
    }

    func testBackupIsForWritersOnly() throws {
        try XCTSkipUnless(getuid() == 0, "needs root: runs trialctl as the user 65534 with setpriv")
        let other = try TemporaryDirectory()
        defer { other.remove() }
        let d = try DaemonProcess(directory: other, arguments: ["--socket-mode", "0666", "--writers-group", "daemon"])
        try d.start()
        defer { _ = d.terminate() }
        let trialctl = other.path("trialctl")
        try FileManager.default.copyItem(atPath: Products.path("trialctl"), toPath: trialctl)
        let r = try runProgram(
            "/usr/bin/setpriv",
            OrdinaryUserTests.nobody + [trialctl, "--socket", d.socketPath, "backup", "/tmp/never.db"],
            environment: ["PATH": "/usr/bin:/bin"], output: .separate, timeout: 60)
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertEqual(
            r.err,
            "trialctl: permission denied: backing up needs root, the user trialsd runs as, or membership in its writers group daemon (trialsd --writers-group NAME)\n"
        )
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/never.db"))
        // Export is a read: open to the same user.
        let export = try runProgram(
            "/usr/bin/setpriv", OrdinaryUserTests.nobody + [trialctl, "--socket", d.socketPath, "export"],
            environment: ["PATH": "/usr/bin:/bin"], output: .separate, timeout: 60)
        XCTAssertEqual(export.status, 0, "\(export)")
    }

    // MARK: export

    func testExportRestoresToTheSameLogByteForByte() throws {
        // More than a page of replies.
        let c = try daemon.connect()
        try c.trials("AppendMany", ["events": .array((0..<2500).map { registration("BULK-\($0)") })])
        let file = dir.path("log.jsonl")
        var r = try trialctl(["export", "-o", file])
        XCTAssertEqual(r.status, 0, "\(r)")
        let exported = try Data(contentsOf: URL(fileURLWithPath: file))
        let verify = try json(try trialctl(["verify", "--json"]))
        let lines = exported.split(separator: UInt8(ascii: "\n"))
        XCTAssertEqual(Int64(lines.count), verify["lastSeq"]?.int64Value)

        // Standard output: the same bytes.
        r = try trialctl(["export"])
        XCTAssertEqual(Data(r.out.utf8), exported)

        // trialsd --restore reads it back into the same log: the same head, the same export.
        let restored = dir.path("new.db")
        let restore = try runProgram(
            Products.path("trialsd"), ["--restore", file, "--database", restored], output: .separate, timeout: 300)
        XCTAssertEqual(restore.status, 0, "\(restore)")
        let store = try EventStore(path: restored)
        let v = try store.verify()
        XCTAssertEqual(v.headHash, verify["headHash"]?.stringValue)
        var again = Data()
        try store.export { again.append(contentsOf: $0) }
        XCTAssertEqual(again, exported, "EventStore.export of the restored log is the same, byte for byte")
        try store.close()

        // --since: the rest after a seq.
        r = try trialctl(["export", "--since", "2000"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(Data(r.out.utf8), Data(lines.dropFirst(2000).map { Data($0) + Data("\n".utf8) }.joined()))
        r = try trialctl(["export", "--since", "999999"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.out, "")

        // Without `more`: ExpectedMore.
        XCTAssertEqual(c.trialsError("Export")?.trialsError, .expectedMore)
    }

    /// A peer that asks for an export and reads nothing holds trialsd to about a page: each page
    /// is read once the reply before it has been written, so trialsd's memory does not grow with
    /// the log (15 MB of lines here; it grew 1.5 MB), and the others are served meanwhile.
    func testAnExportNobodyReadsHoldsTrialsdToAPage() throws {
        let c = try daemon.connect()
        for batch in 0..<30 {
            try c.trials("AppendMany", ["events": .array((0..<2000).map { registration("BULK-\(batch)-\($0)") })])
        }
        let lastSeq = try XCTUnwrap(try c.trials("Stats")["lastSeq"]?.int64Value)
        let baseline = daemon.residentKiB
        let reader = try VarlinkConnection(path: daemon.socketPath, timeout: .seconds(60))
        try reader.send(VarlinkCall(method: TrialsInterface.method("Export"), more: true).json)
        Thread.sleep(forTimeInterval: 2)
        let held = daemon.residentKiB
        XCTAssertLessThan(
            held - baseline, 8 * 1024, "an export nobody reads took trialsd from \(baseline) to \(held) KiB")
        XCTAssertEqual(try c.trials("Verify")["ok"], true)
        // Read on: every event comes, a page a reply.
        var lines = 0, replies = 0
        while true {
            let reply = try VarlinkReply(message: try XCTUnwrap(try reader.receive()))
            XCTAssertNil(reply.varlinkError)
            lines += reply.parameters["lines"]?.arrayValue?.count ?? 0
            replies += 1
            if !reply.continues { break }
        }
        XCTAssertEqual(Int64(lines), lastSeq)
        XCTAssertEqual(replies, (lines + ExportResponse.pageSize - 1) / ExportResponse.pageSize)
    }
}
