import TrialDomain
import TrialProtocol

/// What `log` asks for: trialsd's Log filters, and the bounds Log does not know.
public struct LogQuery: Sendable {
    public var trial: String?
    public var types: [String] = []
    /// Only events after this seq (--after-seq).
    public var afterSeq: Int64?
    /// Only events recorded at or after this time (--since).
    public var since: RecordingTime?
    /// Only events recorded before this time (--until).
    public var until: RecordingTime?
    /// Only events of the trials it lets through (--phase, --status …).
    public var filter: TrialFilter

    public init(
        trial: String? = nil, types: [String] = [], afterSeq: Int64? = nil, since: RecordingTime? = nil,
        until: RecordingTime? = nil,
        filter: TrialFilter = TrialFilter()
    ) {
        self.trial = trial
        self.types = types
        self.afterSeq = afterSeq
        self.since = since
        self.until = until
        self.filter = filter
    }

    var isFiltered: Bool { trial != nil || !types.isEmpty || !filter.isEmpty }
}

/// Reads the events of a LogQuery from trialsd's Log, which only pages forward from a seq,
/// with at most 10,000 events a call. Seqs are gapless and recording times grow with them
/// (one writer stamps both), so:
///
/// - a recording time becomes a seq by bisecting the seqs (Log of one event at a seq, without
///   filters): some 20 calls for a log of a million events, instead of reading it all;
/// - the newest N events without filters are the seqs lastSeq-N+1 … lastSeq (Stats' lastSeq):
///   one call;
/// - the newest N of a trial or type are found in windows of seqs read backwards from the
///   end, each twice the one before (from 1,000 seqs, or N if more): a trial with many events
///   near the end takes one window, a quiet one a few more, and even one whose events are
///   all at the start of a million-event log about ten windows, each read with trialsd's
///   trial/type filter, so that only matching events cross the socket. Reading the whole log
///   forward and keeping the last N would cross all of it for every `log -n`.
///
/// Were Log to take an upper bound and an order (`before`, `reverse`), all of this would be
/// one call; see the report of this change.
struct LogReader {
    let session: Session
    let query: LogQuery
    static let pageLimit = LogRequest.maximumLimit
    /// The first window of seqs searched for a trial's or type's newest events.
    static let firstWindow: Int64 = 1000

    /// Events after `cursor`, at most `limit`, with or without the query's trial and types.
    func page(after cursor: Int64, limit: Int, filtered: Bool = true) throws(TrialctlError) -> (
        events: [EventReply], next: Int64?
    ) {
        var p = params(["since": .int(cursor), "limit": .int(Int64(limit))])
        if filtered {
            if let trial = query.trial { p["trial"] = .string(trial) }
            if !query.types.isEmpty { p["types"] = .array(query.types.map { .string($0) }) }
            query.filter.add(to: &p)
        }
        let log = try Reply.read(LogResponse.self, try session.call(.log, p))
        return (try Reply.events(log.events), log.next)
    }

    func lastSeq() throws(TrialctlError) -> Int64 {
        guard let last = try session.call(.stats)["lastSeq"]?.int64Value else {
            throw Reply.unexpected("lastSeq", "expected an integer")
        }
        return last
    }

    static func recorded(_ e: EventReply) throws(TrialctlError) -> Timestamp {
        do { return try Timestamp(parsing: e.recorded) } catch {
            throw Reply.unexpected("events[].recorded", error.reason)
        }
    }

    /// The first seq in 1…last+1 recorded at or after `t` (last+1: none is).
    func firstSeq(recordedAtOrAfter t: Timestamp, last: Int64) throws(TrialctlError) -> Int64 {
        var lo: Int64 = 1, hi = last + 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            guard let e = try page(after: mid - 1, limit: 1, filtered: false).events.first else { hi = mid; continue }
            if try Self.recorded(e) >= t { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// The seqs the query's bounds allow: after `lower`, up to `upper` (nil: no end).
    func bounds(needEnd: Bool) throws(TrialctlError) -> (lower: Int64, upper: Int64?) {
        var lower = query.afterSeq ?? 0
        guard needEnd || query.since != nil || query.until != nil else { return (lower, nil) }
        let last = try lastSeq()
        if let since = query.since { lower = max(lower, try firstSeq(recordedAtOrAfter: since.time, last: last) - 1) }
        var upper = last
        if let until = query.until { upper = try firstSeq(recordedAtOrAfter: until.time, last: last) - 1 }
        return (lower, upper)
    }

    /// The matching events in (lower, upper], oldest first, a page at a time to `body`.
    func forward(after lower: Int64, through upper: Int64?, _ body: ([EventReply]) throws(TrialctlError) -> Void)
        throws(TrialctlError)
    {
        var cursor = lower
        while upper.map({ cursor < $0 }) ?? true {
            // Never more than the seqs left: a window's read asks for no event beyond it.
            let limit = upper.map { Int(min(Int64(Self.pageLimit), $0 - cursor)) } ?? Self.pageLimit
            let (events, next) = try page(after: cursor, limit: limit)
            let inside = events.filter { e in upper.map { e.seq <= $0 } ?? true }
            try body(inside)
            guard inside.count == events.count, let next, next > cursor else { return }
            cursor = next
        }
    }

    /// Every matching event, oldest first.
    func all() throws(TrialctlError) -> [EventReply] {
        let (lower, upper) = try bounds(needEnd: false)
        var out: [EventReply] = []
        try forward(after: lower, through: upper) { out += $0 }
        return out
    }

    /// The newest `n` matching events, oldest first; `more` when matching events precede them;
    /// `upper`: the last seq the query allows (where a follow goes on from).
    func newest(_ n: Int) throws(TrialctlError) -> (events: [EventReply], more: Bool, upper: Int64) {
        let (lower, end) = try bounds(needEnd: true)
        let upper = end ?? 0
        var found: [EventReply] = []
        var high = upper
        var window = query.isFiltered ? max(Int64(n), Self.firstWindow) : Int64(n)
        while high > lower, found.count < n {
            let low = max(lower, high - window)
            var chunk: [EventReply] = []
            try forward(after: low, through: high) { chunk += $0 }
            found = chunk + found
            high = low
            window = window > Int64.max / 2 ? window : window * 2
        }
        // Without filters every seq is an event: any seq left below is one more.
        let more = found.count > n || (!query.isFiltered && high > lower)
        return (Array(found.suffix(n)), more, upper)
    }
}
