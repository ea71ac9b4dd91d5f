#if canImport(Glibc)
    import Glibc
#endif
import TrialDomain
import TrialExports
import TrialProtocol

/// What trialctl's exports for other programs (`upcoming --ical`, `log --atom`, `timeline`)
/// fetch and hand to TrialExports' renderers, which are pure: the replies read into domain
/// values, and the trials' names.
enum ExportData {
    /// One milestone of an Upcoming reply as the calendar shows it.
    static func calendarMilestone(_ json: JSONValue, path: String, nctNumbers: [String: String]) throws(TrialctlError)
        -> CalendarMilestone
    {
        let u = try UpcomingReply(json: json, path: path)
        return try Reply.decode(path) {
            CalendarMilestone(
                trialKey: u.trial, displayName: u.name, nctNumber: nctNumbers[u.trial],
                milestone: try MilestoneSpec(parsing: u.milestone),
                window: try PartialDate(parsing: u.window), state: u.state, seq: u.seq, source: u.source,
                madeOn: try PartialDate(parsing: u.madeOn))
        }
    }

    /// An event of a reply (the IDL's Event) as the log recorded it.
    static func recordedEvent(_ e: EventReply, path: String) throws(TrialctlError) -> RecordedEvent {
        guard case .object(let o) = e.json else { throw Reply.unexpected(path, "expected an object") }
        guard let type = EventType(rawValue: e.type) else {
            throw Reply.unexpected("\(path).type", "unknown event type '\(e.type)'")
        }
        return try Reply.decode(path) {
            RecordedEvent(
                seq: e.seq, id: o["id"]?.stringValue ?? "", trial: e.trial, version: e.version,
                payload: try Payload(type: type, json: e.payload), occurred: try PartialDate(parsing: e.occurred),
                recorded: try Timestamp(parsing: e.recorded), recordedBy: e.recordedBy, source: e.source,
                hash: bytes(hex: o["hash"]?.stringValue ?? ""))
        }
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return []
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out
    }

    /// The summaries of the trials with these keys: one Status call each when they are few,
    /// else every trial's in pages (a listing of the whole registry costs less than hundreds
    /// of calls). A key the log no longer resolves is left out.
    static func summaries(of keys: Set<String>, _ session: Session) throws(TrialctlError) -> [String: TrialSummary] {
        var out: [String: TrialSummary] = [:]
        if keys.count <= 50 {
            for key in keys.sorted() {
                guard let reply = try? session.call(.status, params(["trial": .string(key)])) else { continue }
                for t in try Reply.trials(reply) { out[t.summary.key] = t.summary }
            }
        } else {
            let all = try session.list(.status, JSONObject(), list: "trials") { t, path throws(TrialctlError) in
                try TrialReply(json: t, path: path)
            }
            for t in all where keys.contains(t.summary.key) { out[t.summary.key] = t.summary }
        }
        return out
    }

    static func nctNumber(_ s: TrialSummary) -> String? {
        s.registration?.identifiers.first { $0.registry == .nct }?.id
    }

    /// The Atom feed's id: `urn:trialtrack:log:<hash of seq 1>`, the hash that starts the
    /// chain, fixed when the log's first event was recorded and different for every log (a
    /// restored copy has the same, as it holds the same log), then the selection of events
    /// (`/trial/KEY`, `/type/A,B`); the time bounds and -n only window the same feed.
    static func feedID(_ session: Session, trial: String?, types: [String]) throws(TrialctlError) -> String {
        let first = try Reply.read(
            LogResponse.self, try session.call(.log, params(["since": .int(0), "limit": .int(1)])))
        let genesis = first.events.first?.objectValue?["hash"]?.stringValue ?? "empty"
        var id = "urn:trialtrack:log:\(genesis)"
        if let trial { id += "/trial/" + percentEncoded(trial) }
        if !types.isEmpty { id += "/type/" + types.sorted().joined(separator: ",") }
        return id
    }

    /// Bytes outside `A-Z a-z 0-9 - . _ ~` percent-encoded, so a trial name stays in the URN.
    static func percentEncoded(_ s: String) -> String {
        var out = ""
        let hex = Array("0123456789ABCDEF".unicodeScalars)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(b >> 4)])
                out.unicodeScalars.append(hex[Int(b & 15)])
            }
        }
        return out
    }
}

/// Where an export goes: standard output, or with `-o FILE` a file, written whole beside it
/// (`.NAME.tmp-XXXXXX`) and renamed into place once complete, so that a reader of FILE (a
/// calendar, a web server) never sees half of one and a failure leaves FILE as it was.
final class ExportSink {
    private let ctx: Context
    private let path: String?
    private var fd: Int32 = -1
    private var temporary = ""

    init(_ path: String?, _ ctx: Context) throws(TrialctlError) {
        self.ctx = ctx
        self.path = path == "-" ? nil : path
        guard let target = self.path else { return }
        let slash = target.lastIndex(of: "/")
        let directory = slash.map { String(target[..<$0]) } ?? "."
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        guard !name.isEmpty else { throw .usage("-o: '\(target)' names a directory; give a file's path") }
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(name).tmp-XXXXXX".utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .failure("cannot write \(target): \(String(cString: strerror(errno)))") }
        temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // As a file the user made: the umask decides (mkstemp makes it 0600).
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temporary)
        }
    }

    func write(_ text: String) throws(TrialctlError) {
        guard let path else { return ctx.writeOut(text) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failure("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Puts the file in place (nothing to do for standard output).
    func finish() throws(TrialctlError) {
        guard let path, fd >= 0 else { return }
        let failed = fsync(fd) != 0
        let reason = String(cString: strerror(errno))
        close(fd)
        fd = -1
        guard !failed, rename(temporary, path) == 0 else {
            let why = failed ? reason : String(cString: strerror(errno))
            unlink(temporary)
            throw .failure("cannot write \(path): \(why)")
        }
    }

    /// `text` to standard output or the file, whole.
    static func write(_ text: String, to path: String?, _ ctx: Context) throws(TrialctlError) {
        let sink = try ExportSink(path, ctx)
        try sink.write(text)
        try sink.finish()
    }
}

/// `upcoming --ical`: every forecast whose window starts within `within` days of today (UTC,
/// trialsd's day), and every earlier one, whatever its state: Upcoming with `all`. A calendar
/// keeps what it was shown: a forecast met, slipped (superseded) or overdue stays in the file,
/// marked as the renderer marks it (CONFIRMED, CANCELLED, "(overdue)"), so that a subscribed
/// calendar updates the event it holds rather than keeping a stale one.
enum CalendarExport {
    static let calendarName = "trialtrack: expected milestones"

    /// The forecasts `Upcoming` lists with `all` (and `filter`), as a calendar named after the
    /// filter when there is one.
    static func write(within: Int?, filter: TrialFilter, to path: String?, _ session: Session, _ ctx: Context)
        throws(TrialctlError)
    {
        var p = params(["all": .bool(true)])
        if let within { p["within"] = .int(Int64(within)) }
        filter.add(to: &p)
        let items = try session.list(.upcoming, p, list: "milestones") { m, path throws(TrialctlError) in m }
        var keys = Set<String>()
        for case .object(let o) in items { if let t = o["trial"]?.stringValue { keys.insert(t) } }
        let summaries = try ExportData.summaries(of: keys, session)
        var ncts: [String: String] = [:]
        for (key, s) in summaries { ncts[key] = ExportData.nctNumber(s) }
        var milestones: [CalendarMilestone] = []
        for (i, item) in items.enumerated() {
            milestones.append(try ExportData.calendarMilestone(item, path: "milestones[\(i)]", nctNumbers: ncts))
        }
        let name = filter.isEmpty ? calendarName : "\(calendarName) (\(filter.summary))"
        try ExportSink.write(ICalendar.render(milestones, now: ctx.now(), calendarName: name), to: path, ctx)
    }
}

/// `log --atom`: the events `log` selected as an Atom feed, newest first. No severity: the log
/// does not record the import's classification, and grading an event again would need the
/// trial as it stood just before it (the fold of its history up to there), not as it stands
/// now; each entry has its event type as a category instead, which readers can filter on.
enum FeedExport {
    static func write(_ events: [EventReply], query: LogQuery, to path: String?, _ session: Session, _ ctx: Context)
        throws(TrialctlError)
    {
        let names = try ExportData.summaries(of: Set(events.map(\.trial)), session)
        var entries: [FeedEntry] = []
        for (i, e) in events.enumerated().reversed() {
            let event = try ExportData.recordedEvent(e, path: "events[\(i)]")
            entries.append(FeedEntry(event: event, trialName: names[e.trial]?.displayName ?? e.trial))
        }
        var title = "trialtrack: the log"
        // The trial by its key, whichever of its names was given: one feed per trial.
        var trialKey: String?
        if let trial = query.trial {
            let summary = try Reply.trials(try session.call(.status, params(["trial": .string(trial)]))).first?.summary
            trialKey = summary?.key ?? trial
            title += " of \(summary?.displayName ?? trial)"
        }
        if !query.types.isEmpty { title += " (\(query.types.joined(separator: ", ")))" }
        let id = try ExportData.feedID(session, trial: trialKey, types: query.types)
        let updated = entries.map(\.event.recorded).max() ?? ctx.now()
        try ExportSink.write(
            AtomFeed.render(entries, feedID: id, title: title, updated: updated, selfURL: nil), to: path, ctx)
    }
}
