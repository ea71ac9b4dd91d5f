import TrialDomain

/// Each `StoreRead` (Reads.swift, where each is described) as a method that blocks the calling
/// thread until it is done: for the tools, the tests and the benchmarks. trialsd awaits the
/// reads themselves (`await store.read(.status(…))`), so as not to hold a thread.
extension EventStore {
    public func resolve(_ reference: String) throws -> String? { try read(.resolve(reference)) }

    public func closestTrialName(to reference: String) throws -> String? { try read(.closestTrialName(to: reference)) }

    public func status(_ reference: String, at point: PointInTime = PointInTime()) throws -> TrialView? {
        try read(.status(reference, at: point))
    }

    public func trials(at point: PointInTime = PointInTime(), filter: TrialFilter = TrialFilter()) throws
        -> [TrialSummary]
    { try read(.trials(at: point, filter: filter)) }

    public func trials(keys: some Collection<String> & Sendable, at point: PointInTime = PointInTime()) throws
        -> [TrialSummary]
    { try read(.trials(keys: keys, at: point)) }

    public func trialKeys(filter: TrialFilter = TrialFilter()) throws -> [String] {
        try read(.trialKeys(filter: filter))
    }

    /// Events in seq order; none when `query.trial` names no trial.
    public func events(_ query: LogQuery) throws -> [RecordedEvent] { try read(.events(query)) ?? [] }

    public func event(seq: Int64) throws -> RecordedEvent? { try read(.event(seq: seq)) }

    public func lastSeq() throws -> Int64 { try read(.lastSeq) }

    public func trialCount() throws -> Int { try read(.trialCount) }

    public func knownTrialCount() throws -> Int { try read(.knownTrialCount) }

    public func upcoming(within days: Int?, all: Bool, today: Day, filter trials: TrialFilter = TrialFilter()) throws
        -> [UpcomingMilestone]
    { try read(.upcoming(within: days, all: all, today: today, filter: trials)) }

    public func upcoming(seqs: some Collection<Int64> & Sendable) throws -> [UpcomingMilestone] {
        try read(.upcoming(seqs: seqs))
    }

    public func upcomingSeqs(within days: Int?, all: Bool, today: Day, filter trials: TrialFilter = TrialFilter())
        throws -> [Int64]
    { try read(.upcomingSeqs(within: days, all: all, today: today, filter: trials)) }

    public func overdueCandidates(today: Day) throws -> [OverdueCandidate] {
        try read(.overdueCandidates(today: today))
    }

    public func follows(includeRemoved: Bool = false) throws -> [Follow] {
        try read(.follows(includeRemoved: includeRemoved))
    }

    public func verify() throws -> VerifyReport { try read(.verify) }

    public func stats() throws -> StoreStats { try read(.stats) }

    public func exportPage(after: Int64, through end: Int64, limit: Int = 1_000) throws -> ExportPage {
        try read(.exportPage(after: after, through: end, limit: limit))
    }
}
