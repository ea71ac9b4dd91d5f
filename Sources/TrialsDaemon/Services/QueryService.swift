import Foundation
import NIOConcurrencyHelpers
import TrialDomain
import TrialProtocol
import TrialStore

/// The reads: Status, Log, Upcoming, Verify and Stats, each a GRDB async read (`StoreRead`).
struct QueryService: Sendable {
    let context: ServiceContext
    let broadcaster: Broadcaster
    let connections: NIOLockedValueBox<Int>
    let started: Date

    typealias Reply = ControlService.Reply

    /// Trials in one reply of Status with `more`: a page's JSON is a few hundred KiB.
    static let statusPageSize = 500

    /// Expected milestones in one reply of Upcoming with `more`.
    static let upcomingPageSize = 1000

    private var store: EventStore { context.store }

    private func point(_ r: StatusRequest) -> PointInTime { PointInTime(asOf: r.asOf, knownAt: r.knownAt) }

    /// Every trial, or the one asked for.
    func status(_ r: StatusRequest) async throws -> StatusResponse {
        if let trial = r.trial { return try await status(trial, at: point(r)) }
        let store = self.store, point = self.point(r)
        let all = try await store.read(.trials(at: point, filter: r.filter))
        return StatusResponse(trials: all.map(\.json))
    }

    /// One trial's Status reply.
    private func status(_ trial: String, at point: PointInTime) async throws -> StatusResponse {
        let store = self.store
        guard let view = try await store.read(.status(trial, at: point)) else {
            throw await context.noSuchTrial(trial)
        }
        return StatusResponse(trials: [view.json])
    }

    /// Status with `more`: every trial in replies of up to `statusPageSize` (`continues` on all
    /// but the last), each page read when the one before it has been written to the peer, so
    /// that neither trialsd nor its client holds all trials of a large log as one message (what
    /// one reply of every trial cost trialsd is in benchmarks/README.md, "Status and Upcoming in pages"). The trials
    /// listed are those of the moment the call starts; each is as it is when its page is read.
    /// With `trial`, the one reply.
    func statusPages(_ r: StatusRequest, reply: Reply) async throws {
        let point = self.point(r)
        if let trial = r.trial {
            return try await reply(VarlinkReply(parameters: try await status(trial, at: point).parameters))
        }
        let store = self.store
        let keys = try await store.read(.trialKeys(filter: r.filter))
        try await pages(of: keys, size: Self.statusPageSize, reply: reply, response: { StatusResponse(trials: $0) }) {
            page in
            try await store.read(.trials(keys: page, at: point)).map(\.json)
        }
    }

    func log(_ r: LogRequest) async throws -> LogResponse {
        let store = self.store
        let query = LogQuery(trial: r.trial, afterSeq: r.since, types: r.types, limit: r.limit, filter: r.filter)
        // nil: the trial asked for is not one the log knows.
        guard let events = try await store.read(.events(query)) else {
            throw await context.noSuchTrial(r.trial ?? "")
        }
        return LogResponse(events: events.map(\.json), next: events.count == r.limit ? events.last?.seq : nil)
    }

    func upcoming(_ r: UpcomingRequest) async throws -> UpcomingResponse {
        let store = self.store, today = context.today
        let items = try await store.read(.upcoming(within: r.within, all: r.all, today: today, filter: r.filter))
        return UpcomingResponse(milestones: items.map(\.json))
    }

    /// Upcoming with `more`: the calendar in replies of up to `upcomingPageSize`, as
    /// `statusPages` lists trials.
    func upcomingPages(_ r: UpcomingRequest, reply: Reply) async throws {
        let store = self.store, today = context.today
        let seqs = try await store.read(.upcomingSeqs(within: r.within, all: r.all, today: today, filter: r.filter))
        try await pages(
            of: seqs, size: Self.upcomingPageSize, reply: reply, response: { UpcomingResponse(milestones: $0) }
        ) { page in
            try await store.read(.upcoming(seqs: page)).map(\.json)
        }
    }

    /// A listing with `more`: `ids` (taken at the call's start, in the listing's order) a page
    /// of `size` at a time, each read by `read` once the page before it has
    /// been written to the peer, and sent as `response` of them with `continues` on all but
    /// the last. A page that reads nothing (its items gone, or not there at a point in time)
    /// is not sent, but the last one always is.
    private func pages<ID: Sendable>(
        of ids: [ID], size: Int, reply: Reply, response: ([JSONValue]) -> some TrialsResponse,
        read: (ArraySlice<ID>) async throws -> [JSONValue]
    ) async throws {
        var start = ids.startIndex
        repeat {
            let page = ids[start..<min(start + size, ids.endIndex)]
            start = page.endIndex
            let items = try await read(page)
            let last = start == ids.endIndex
            if items.isEmpty && !last { continue }
            try await reply(VarlinkReply(parameters: response(items).parameters, continues: !last))
        } while start < ids.endIndex
    }

    func verify(_: VerifyRequest) async throws -> VerifyResponse {
        let store = self.store
        let r = try await store.read(.verify)
        if !r.ok { context.logger.error("verify: \(r.problem ?? "")") }
        return VerifyResponse(
            ok: r.ok, checked: r.checked, lastSeq: r.lastSeq, headHash: r.headHash, firstBroken: r.firstBroken,
            problem: r.problem)
    }

    func stats(_: StatsRequest) async throws -> StatsResponse {
        let store = self.store
        let s = try await store.read(.stats)
        var r = StatsResponse(
            events: s.events, trials: s.trials, lastSeq: s.lastSeq, lastRecorded: s.lastRecorded,
            eventsByType: s.eventsByType.map { ($0.key, $0.value) },
            expectationsByState: s.expectationsByState.map { ($0.key, $0.value) },
            databaseBytes: s.databaseBytes, walBytes: s.walBytes, schema: s.schema, database: store.path,
            connections: connections.withLockedValue { $0 }, subscribers: broadcaster.count,
            uptimeSeconds: Date().timeIntervalSince(started),
            checkpoints: s.checkpoints.map { c in
                StatsResponse.Checkpoints(
                    runs: c.runs, failures: c.failures, lastAt: c.lastAt?.description,
                    logPages: c.logPages, copiedPages: c.copiedPages, lastFailure: c.lastFailure)
            })
        r.follows = s.activeFollows
        r.followsNeverSynced = s.followsNeverSynced
        r.oldestFollowSuccess = s.oldestFollowSuccess?.description
        return r
    }
}
