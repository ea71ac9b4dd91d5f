import ClinicalTrialsGov
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TrialDomain
import TrialProtocol
import TrialStore

/// The methods of org.varlink.service and org.trialtrack.Trials. Blocking reads run on a
/// thread pool; appends go through the group committer; subscriptions through the broadcaster.
final class ControlService: Sendable {
    let store: EventStore
    let committer: GroupCommitter
    let broadcaster: Broadcaster
    let threadPool: NIOThreadPool
    let policy: AccessPolicy
    let configuration: DaemonConfiguration
    let logger: Logger
    let started = Date()
    let connections = NIOLockedValueBox(0)
    /// Calls being answered (a graceful stop waits for them).
    let inFlight = InFlightCalls()
    /// Called after each appended event (the journal, issue 4), with the trial after it.
    /// The severity of a registry change, when an import classified it (journald PRIORITY).
    let onAppended: @Sendable (AppendOutcome, ChangeSeverity?) -> Void

    init(
        store: EventStore, committer: GroupCommitter, broadcaster: Broadcaster, threadPool: NIOThreadPool,
        configuration: DaemonConfiguration, logger: Logger,
        onAppended: @escaping @Sendable (AppendOutcome, ChangeSeverity?) -> Void = { _, _ in }
    ) {
        self.store = store
        self.committer = committer
        self.broadcaster = broadcaster
        self.threadPool = threadPool
        self.policy = AccessPolicy(writersGroup: configuration.writersGroup)
        self.configuration = configuration
        self.logger = logger
        self.onAppended = onAppended
    }

    typealias Reply = @Sendable (VarlinkReply) async throws -> Void

    /// Answers one call: `reply` is called once, or once per event for a subscription.
    /// `drop` ends the connection after a grace period (a subscriber past its backlog).
    /// Append and AppendMany are not served here: the server queues them with `submit`.
    ///
    /// Every failure is answered: a refusal with its error, anything else (the database failing,
    /// the thread pool gone at shutdown) with StoreFailed or ShuttingDown. What `handle` throws
    /// is only `reply` failing, or the call being cancelled: the peer has gone.
    /// Writes replies already framed, one or more (a subscription's events, made once for all
    /// subscribers), each ending in its NUL.
    typealias FrameWriter = @Sendable (ByteBuffer) async throws -> Void

    func handle(_ call: VarlinkCall, peer: Peer, drop: @escaping @Sendable () -> Void = {}, frames: FrameWriter? = nil,
                reply answer: @escaping Reply) async throws {
        let streaming = call.member == "Subscribe"
        if !streaming { inFlight.enter() }
        defer { if !streaming { inFlight.leave() } }
        let reply: Reply = { r in
            do { try await answer(r) } catch { throw PeerGone(underlying: error) }
        }
        do {
            switch call.interface {
            case VarlinkService.name:
                try await reply(VarlinkReply(parameters: try service(call)))
            case TrialsInterface.name:
                guard TrialsInterface.methods.contains(call.member) else { throw VarlinkError.methodNotFound(call.method) }
                if TrialsInterface.writeMethods.contains(call.member) { try requireWriter(call, peer) }
                if call.member == "Subscribe" {
                    guard call.more else { throw VarlinkError.expectedMore() }
                    let writeFrame: FrameWriter = { frame in
                        do {
                            if let frames { try await frames(frame) } else {
                                for message in frame.readableBytesView.split(separator: 0) {
                                    try await answer(try VarlinkReply(message: JSONValue.parse(Array(message))))
                                }
                            }
                        } catch { throw PeerGone(underlying: error) }
                    }
                    try await subscribe(call.parameters, drop: drop, writeFrame: writeFrame, reply: reply)
                } else if call.member == "Status", call.more {
                    try await statusPages(call, reply: reply)
                } else if call.member == "Upcoming", call.more {
                    try await upcomingPages(call, reply: reply)
                } else {
                    try await reply(VarlinkReply(parameters: try await trials(call, peer: peer)))
                }
            default:
                throw VarlinkError.interfaceNotFound(call.interface)
            }
        } catch let e as VarlinkError {
            try await answer(VarlinkReply(error: e))
        } catch let gone as PeerGone {
            throw gone.underlying
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            try await answer(VarlinkReply(error: failure(call, error)))
        }
    }

    /// `reply` failed: the peer is not there to answer any more.
    private struct PeerGone: Error { let underlying: Error }

    /// The answer to a call that failed other than by a refusal, logged.
    private func failure(_ call: VarlinkCall, _ error: Error) -> VarlinkError {
        if error is NIOThreadPoolError.ThreadPoolInactive { return TrialsInterface.error("ShuttingDown") }
        let reason = StoreError.oneLine(error)
        logger.error("\(call.method) failed: \(reason)")
        return TrialsInterface.storeFailed(reason)
    }

    // MARK: org.varlink.service

    private func service(_ call: VarlinkCall) throws(VarlinkError) -> JSONObject {
        switch call.member {
        case "GetInfo":
            _ = try Parameters(call.parameters, allowed: [])
            return JSONObject([
                ("vendor", "trialtrack"), ("product", "trialsd"), ("version", .string(trialtrackVersion)),
                ("url", "https://github.com/trialtrack/trialtrack"),
                ("interfaces", [.string(VarlinkService.name), .string(TrialsInterface.name)]),
            ])
        case "GetInterfaceDescription":
            let p = try Parameters(call.parameters, allowed: ["interface"])
            let name = try p.requiredString("interface")
            switch name {
            case VarlinkService.name: return JSONObject([("description", .string(VarlinkService.description))])
            case TrialsInterface.name: return JSONObject([("description", .string(TrialsInterface.description))])
            default: throw .interfaceNotFound(name)
            }
        default:
            throw .methodNotFound(call.method)
        }
    }

    // MARK: org.trialtrack.Trials

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    private var today: Day { Timestamp.now().day }

    /// Trials in one reply of Status with `more`: a page's JSON is a few hundred KiB.
    static let statusPageSize = 500

    /// Status's parameters: the trial, if one, and the point in time.
    private func statusRequest(_ call: VarlinkCall) throws -> (trial: String?, point: PointInTime) {
        let p = try Parameters(call.parameters, allowed: ["trial", "asOf", "knownAt"])
        var point = PointInTime()
        if let a = try p.string("asOf") {
            do { point.asOf = try Day(parsingDay: a) } catch { throw invalidDate("asOf", error) }
        }
        if let k = try p.string("knownAt") {
            do { point.knownAt = try Timestamp(parsing: k) } catch { throw invalidDate("knownAt", error) }
        }
        return (try p.string("trial"), point)
    }

    /// Upcoming's parameters: the days ahead (default 365) and whether met and superseded
    /// milestones are listed too.
    private func upcomingRequest(_ call: VarlinkCall) throws -> (within: Int, all: Bool) {
        let p = try Parameters(call.parameters, allowed: ["within", "all"])
        return (try p.int("within", in: TrialsInterface.withinDays).map(Int.init) ?? 365, try p.bool("all") ?? false)
    }

    /// One trial's Status reply.
    private func status(_ trial: String, at point: PointInTime) async throws -> JSONObject {
        let store = self.store
        guard let view = try await blocking({ try store.status(trial, at: point) }) else {
            throw await noSuchTrial(trial)
        }
        return JSONObject([("trials", [view.json])])
    }

    /// Status with `more`: every trial in replies of up to `statusPageSize` (`continues` on all
    /// but the last), each page read when the one before it has been written to the peer, so
    /// that neither trialsd nor its client holds all trials of a large log as one message (a
    /// single reply of 100,000 trials is 80 MB, and trialsd took 1.1 GB to make it). The trials
    /// listed are those of the moment the call starts; each is as it is when its page is read.
    /// With `trial`, the one reply.
    private func statusPages(_ call: VarlinkCall, reply: Reply) async throws {
        let (trial, point) = try statusRequest(call)
        if let trial { return try await reply(VarlinkReply(parameters: try await status(trial, at: point))) }
        let store = self.store
        let keys = try await blocking { try store.trialKeys() }
        try await pages(of: keys, size: Self.statusPageSize, list: "trials", reply: reply) { page in
            try store.trials(keys: page, at: point).map(\.json)
        }
    }

    /// NoSuchTrial, with the closest name the log knows when one is close ("did you mean").
    private func noSuchTrial(_ trial: String) async -> VarlinkError {
        let store = self.store
        var p: [(String, JSONValue)] = [("trial", .string(trial))]
        if let suggestion = try? await blocking({ try store.closestTrialName(to: trial) }) { p.append(("didYouMean", .string(suggestion))) }
        return TrialsInterface.error("NoSuchTrial", p)
    }

    /// Expected milestones in one reply of Upcoming with `more`.
    static let upcomingPageSize = 1000

    /// Upcoming with `more`: the calendar in replies of up to `upcomingPageSize`, as
    /// `statusPages` lists trials.
    private func upcomingPages(_ call: VarlinkCall, reply: Reply) async throws {
        let (within, all) = try upcomingRequest(call)
        let store = self.store, today = self.today
        let seqs = try await blocking { try store.upcomingSeqs(within: within, all: all, today: today) }
        try await pages(of: seqs, size: Self.upcomingPageSize, list: "milestones", reply: reply) { page in
            try store.upcoming(seqs: page).map(\.json)
        }
    }

    /// A listing with `more`: `ids` (taken at the call's start, in the listing's order) a page
    /// of `size` at a time, each read by `read` on the thread pool once the page before it has
    /// been written to the peer, and sent as `{list: [...]}` with `continues` on all but the
    /// last. A page that reads nothing (its items gone, or not there at a point in time) is
    /// not sent, but the last one always is.
    private func pages<ID: Sendable>(of ids: [ID], size: Int, list: String, reply: Reply,
                                     read: @escaping @Sendable (ArraySlice<ID>) throws -> [JSONValue]) async throws {
        var start = ids.startIndex
        repeat {
            let page = ids[start..<min(start + size, ids.endIndex)]
            start = page.endIndex
            let items = try await blocking { try read(page) }
            let last = start == ids.endIndex
            if items.isEmpty && !last { continue }
            try await reply(VarlinkReply(parameters: JSONObject([(list, .array(items))]), continues: !last))
        } while start < ids.endIndex
    }

    private func trials(_ call: VarlinkCall, peer: Peer) async throws -> JSONObject {
        let store = self.store
        switch call.member {
        case "Status":
            let (trial, point) = try statusRequest(call)
            if let trial { return try await status(trial, at: point) }
            let all = try await blocking { try store.trials(at: point) }
            return JSONObject([("trials", .array(all.map(\.json)))])

        case "Log":
            let p = try Parameters(call.parameters, allowed: ["trial", "since", "types", "limit"])
            let limit = Int(try p.int("limit", in: 1...Int64(TrialsInterface.maximumLogLimit)) ?? 100)
            var types: [EventType] = []
            for t in try p.strings("types") {
                guard let type = EventType(rawValue: t) else { throw VarlinkError.invalidParameter("types") }
                types.append(type)
            }
            let since = try p.int("since", in: 0...Int64.max) ?? 0
            let trial = try p.string("trial")
            let query = LogQuery(trial: trial, afterSeq: since, types: types, limit: limit)
            let (events, known) = try await blocking { () -> ([RecordedEvent], Bool) in
                if let trial, try store.resolve(trial) == nil { return ([], false) }
                return (try store.events(query), true)
            }
            if let trial, !known { throw await noSuchTrial(trial) }
            var o = JSONObject([("events", .array(events.map(\.json)))])
            if events.count == limit, let last = events.last { o["next"] = .int(last.seq) }
            return o

        case "Correct", "Retract":
            let correcting = call.member == "Correct"
            let p = try Parameters(call.parameters, allowed: correcting
                ? ["seq", "reason", "payload", "occurred", "source", "id", "expectedVersion"] : ["seq", "reason", "occurred", "source", "id", "expectedVersion"])
            var o = JSONObject()
            o["type"] = .string(correcting ? "corrected" : "retracted")
            var payload = JSONObject([("target", .int(try p.requiredInt("seq", in: 1...Int64.max))), ("reason", .string(try p.requiredString("reason")))])
            if correcting { payload["payload"] = try p.requiredObject("payload") }
            o["payload"] = .object(payload)
            if let occurred = try p.string("occurred") { o["occurred"] = .string(occurred) }
            if let source = try p.string("source") { o["source"] = .string(source) }
            if let id = try p.string("id") { o["id"] = .string(id) }
            if let expected = try p.int("expectedVersion", in: 0...Int64.max) { o["expectedVersion"] = .int(expected) }
            let event = try newEvent(.object(o), index: nil)
            let outcome = try await append([event], peer: peer, indexed: false)[0]
            return JSONObject([("event", outcome.event.json), ("replayed", .bool(outcome.replayed))])

        case "Import":
            let p = try Parameters(call.parameters, allowed: ["document", "file"])
            return try await importDocument(try p.requiredObject("document"), file: try p.string("file") ?? "<request>", peer: peer)

        case "Upcoming":
            let (within, all) = try upcomingRequest(call)
            let today = self.today
            let items = try await blocking { try store.upcoming(within: within, all: all, today: today) }
            return JSONObject([("milestones", .array(items.map(\.json)))])

        case "Verify":
            _ = try Parameters(call.parameters, allowed: [])
            let r = try await blocking { try store.verify() }
            var o = JSONObject([
                ("ok", .bool(r.ok)), ("checked", .int(r.checked)), ("lastSeq", .int(r.lastSeq)), ("headHash", .string(r.headHash)),
            ])
            if let b = r.firstBroken { o["firstBroken"] = .int(b) }
            if let problem = r.problem { o["problem"] = .string(problem) }
            if !r.ok { logger.error("verify: \(r.problem ?? "")") }
            return o

        case "Rebuild":
            _ = try Parameters(call.parameters, allowed: [])
            logger.notice("rebuilding the projections, asked by \(peer.recordedBy)")
            let r = try await blocking { try store.rebuild() }
            return JSONObject([("trials", .int(Int64(r.trials))), ("events", .int(r.events)), ("seconds", .double(r.seconds))])

        case "Stats":
            _ = try Parameters(call.parameters, allowed: [])
            let s = try await blocking { try store.stats() }
            return JSONObject([
                ("events", .int(s.events)), ("trials", .int(s.trials)), ("lastSeq", .int(s.lastSeq)),
                ("lastRecorded", s.lastRecorded.map { .string($0) } ?? .null),
                ("eventsByType", .object(JSONObject(s.eventsByType.map { ($0.key, .int($0.value)) }))),
                ("expectationsByState", .object(JSONObject(s.expectationsByState.map { ($0.key, .int($0.value)) }))),
                ("databaseBytes", .int(s.databaseBytes)), ("walBytes", .int(s.walBytes)),
                ("schema", .array(s.schema.map { .string($0) })), ("database", .string(store.path)),
                ("connections", .int(Int64(connections.withLockedValue { $0 }))), ("subscribers", .int(Int64(broadcaster.count))),
                ("uptimeSeconds", .double(Date().timeIntervalSince(started))),
                ("checkpoints", s.checkpoints.map { c in
                    .object(JSONObject([
                        ("runs", .int(Int64(c.runs))), ("failures", .int(Int64(c.failures))),
                        ("lastAt", c.lastAt.map { .string($0.description) } ?? .null),
                        ("logPages", .int(Int64(c.logPages))), ("copiedPages", .int(Int64(c.copiedPages))),
                        ("lastFailure", c.lastFailure.map { .string($0) } ?? .null),
                    ]))
                } ?? .null),
            ])

        default:
            throw VarlinkError.methodNotFound(call.method)
        }
    }


    private func invalidDate(_ parameter: String, _ error: ValidationError) -> VarlinkError {
        TrialsInterface.error("InvalidDate", [("parameter", .string(parameter)), ("reason", .string(error.reason))])
    }

    private func newEvent(_ json: JSONValue, index: Int?) throws(VarlinkError) -> NewEvent {
        do {
            return try NewEvent(json: json, today: today)
        } catch {
            throw Self.varlinkError(.invalid(error), index: index)
        }
    }

    /// Appends one group through the committer; its journal entries follow.
    func append(_ events: [NewEvent], peer: Peer, indexed: Bool, severities: [ChangeSeverity]? = nil) async throws -> [AppendOutcome] {
        try finish(await committer.append(events, recordedBy: peer.recordedBy), indexed: indexed, severities: severities)
    }

    /// Whether a call can be queued for the writer before the calls ahead of it are answered:
    /// Append and AppendMany (their order is kept by the writer's queue). With `more` they
    /// still have one reply, so they are queued too.
    func isQueueable(_ call: VarlinkCall) -> Bool {
        call.interface == TrialsInterface.name && (call.member == "Append" || call.member == "AppendMany")
    }

    /// Refuses a write method to a peer that is neither root, the daemon's own user, nor in the
    /// writers group.
    private func requireWriter(_ call: VarlinkCall, _ peer: Peer) throws(VarlinkError) {
        guard policy.mayWrite(peer) else {
            logger.notice("refused \(call.member) from \(peer.recordedBy), pid \(peer.pid): \(policy.refusalReason(peer))")
            throw policy.refusal()
        }
    }

    /// Validates an Append or AppendMany and queues it for the writer now; `reply` runs on
    /// `loop` with its answer once committed, or at once for a refusal before the queue.
    /// Pipelined appends on one connection thus share commits, and nothing waits in a task.
    /// A oneway call's answer is always `.none`: the caller asked for no reply.
    func submit(_ call: VarlinkCall, peer: Peer, on loop: EventLoop, reply: @escaping @Sendable (AppendAnswer) -> Void) {
        let oneway = call.oneway
        do {
            try requireWriter(call, peer)
            let many = call.member == "AppendMany"
            let events: [NewEvent]
            if many {
                let p = try Parameters(call.parameters, allowed: ["events"])
                let items = try p.requiredArray("events")
                guard !items.isEmpty else { throw VarlinkError.invalidParameter("events") }
                events = try items.enumerated().map { i, v throws(VarlinkError) in try newEvent(v, index: i) }
            } else {
                let p = try Parameters(call.parameters, allowed: ["event"])
                events = [try newEvent(try p.requiredObject("event"), index: nil)]
            }
            inFlight.enter()
            committer.submit(events, recordedBy: peer.recordedBy, on: loop) { outcome in
                defer { self.inFlight.leave() }
                reply(oneway ? self.onewayAnswer(outcome, many: many) : self.appendAnswer(outcome, many: many))
            }
        } catch let e as VarlinkError {
            reply(oneway ? .none : .reply(VarlinkReply(error: e)))
        } catch {
            reply(oneway ? .none : .reply(VarlinkReply(error: TrialsInterface.malformed("\(error)"))))
        }
    }

    /// The reply to a committed (or refused) Append or AppendMany. A committed Append, the
    /// common case, is written straight to bytes: `{"parameters":{"event":…,"replayed":…,"trial":…}}`.
    private func appendAnswer(_ outcome: GroupCommitter.Outcome, many: Bool) -> AppendAnswer {
        do {
            let outcomes = try finish(outcome, indexed: many, severities: nil)
            if many {
                return .reply(VarlinkReply(parameters: JSONObject([
                    ("events", .array(outcomes.map(\.event.json))), ("replayed", .array(outcomes.map { .bool($0.replayed) })),
                ])))
            }
            let o = outcomes[0]
            var w = JSONWriter(capacity: 1024)
            w.beginObject()
            w.key("parameters")
            w.beginObject()
            w.key("event")
            o.event.write(to: &w)
            w.key("replayed")
            w.bool(o.replayed)
            w.key("trial")
            o.trial.write(to: &w)
            w.endObject()
            w.endObject()
            return .encoded(w.bytes)
        } catch {
            return .reply(VarlinkReply(error: error))
        }
    }

    /// A oneway append is announced like any other, but its reply is never made: the caller
    /// asked for none (a refusal is logged only if the store failed, as for any append).
    private func onewayAnswer(_ outcome: GroupCommitter.Outcome, many: Bool) -> AppendAnswer {
        _ = try? finish(outcome, indexed: many, severities: nil)
        return .none
    }

    /// Tells the world (journal, hook) of what an append recorded; replays recorded nothing.
    func announce(_ outcomes: [AppendOutcome], severities: [ChangeSeverity]? = nil) {
        for (i, o) in outcomes.enumerated() where !o.replayed { onAppended(o, severities?[i]) }
    }

    /// Journal entries for what was appended, or the interface's error for a refusal.
    private func finish(_ outcome: GroupCommitter.Outcome, indexed: Bool, severities: [ChangeSeverity]?) throws(VarlinkError) -> [AppendOutcome] {
        switch outcome {
        case .success(let outcomes):
            announce(outcomes, severities: severities)
            return outcomes
        case .failure(.refused(let g)):
            throw Self.varlinkError(g.error, index: indexed ? g.index : nil)
        case .failure(.shuttingDown):
            throw TrialsInterface.error("ShuttingDown")
        case .failure(.store(let e)):
            // The commit failed and was rolled back: nothing was written.
            let reason = StoreError.oneLine(e)
            logger.error("append failed: \(reason)")
            throw TrialsInterface.storeFailed(reason)
        }
    }

    /// The interface's error for a refused append.
    static func varlinkError(_ e: AppendError, index: Int?) -> VarlinkError {
        var p: [(String, JSONValue)] = index.map { [("index", .int(Int64($0)))] } ?? []
        switch e {
        case .invalid(let v):
            p += [("field", .string(v.field)), ("reason", .string(v.reason))]
            return TrialsInterface.error("InvalidEvent", p)
        case .wrongExpectedVersion(let trial, let expected, let current):
            p += [("trial", .string(trial)), ("expected", .int(expected)), ("current", .int(current))]
            return TrialsInterface.error("WrongExpectedVersion", p)
        case .idConflict(let id, let seq):
            p += [("id", .string(id)), ("seq", .int(seq))]
            return TrialsInterface.error("IdConflict", p)
        case .contradiction(let v):
            p += [("trial", .string(v.trial)), ("reason", .string(v.reason))]
            if let s = v.seq { p.append(("seq", .int(s))) }
            return TrialsInterface.error("Contradiction", p)
        case .identifierTaken(let identifier, let trial):
            p += [("identifier", .string(identifier)), ("trial", .string(trial))]
            return TrialsInterface.error("IdentifierTaken", p)
        case .noSuchEvent(let seq):
            return TrialsInterface.error("NoSuchEvent", [("seq", .int(seq))])
        case .notAmendable(let seq, let reason):
            p += [("seq", .int(seq)), ("reason", .string(reason))]
            return TrialsInterface.error("NotAmendable", p)
        case .wrongTrial(let seq, let trial, let given):
            p += [("seq", .int(seq)), ("trial", .string(trial)), ("given", .string(given))]
            return TrialsInterface.error("WrongTrial", p)
        case .groupAborted(let i):
            return TrialsInterface.error("InvalidEvent", [("index", .int(Int64(i))), ("field", ""), ("reason", "another event of the batch was refused")])
        case .noSuchTrial(let trial, let suggestion):
            p.append(("trial", .string(trial)))
            if let suggestion { p.append(("didYouMean", .string(suggestion))) }
            return TrialsInterface.error("NoSuchTrial", p)
        }
    }

    // MARK: Import

    /// Plans every study of the document against the current state and appends all of it as
    /// one group (all or nothing). A trial changed meanwhile (expected version) is planned again.
    private func importDocument(_ document: JSONValue, file: String, peer: Peer) async throws -> JSONObject {
        let studies: [Study]
        do { studies = try StudyDocument.parse(document, file: file) } catch {
            throw TrialsInterface.error("InvalidImport", [("file", .string(error.file)), ("path", .string(error.path)), ("reason", .string(error.reason))])
        }
        // The same trial twice in one document: its latest record wins.
        var latest: [String: Study] = [:]
        var order: [String] = []
        for s in studies {
            if let seen = latest[s.nctId] {
                if seen.lastUpdatePosted <= s.lastUpdatePosted { latest[s.nctId] = s }
            } else {
                latest[s.nctId] = s
                order.append(s.nctId)
            }
        }
        let store = self.store
        let (records, nctIDs) = (latest, order)
        for attempt in 1...5 {
            let plans = try await blocking {
                try nctIDs.map { nct -> ImportPlan in ImportPlanner.plan(study: records[nct]!, current: try store.status(nct)) }
            }
            var events: [NewEvent] = []
            var severities: [ChangeSeverity] = []
            for plan in plans {
                severities += plan.changes.map(\.severity)
                for (i, var e) in plan.events.enumerated() {
                    if i == 0 { e.expectedVersion = plan.baseVersion }
                    // Checked here, off the writer thread; one that fails is refused by the
                    // writer, which names its index.
                    _ = try? e.validate()
                    events.append(e)
                }
            }
            var outcomes: [AppendOutcome] = []
            if !events.isEmpty {
                do {
                    outcomes = try await append(events, peer: peer, indexed: true, severities: severities)
                } catch let e as VarlinkError where e.shortName == "WrongExpectedVersion" && attempt < 5 {
                    continue
                } catch let e as VarlinkError {
                    var p = e.parameters
                    if case .int(let i)? = p["index"] {
                        // Name the record rather than the event's index in the batch.
                        var n = 0
                        for plan in plans {
                            if Int(i) < n + plan.events.count { p["trial"] = p["trial"] ?? .string(plan.trial.text); break }
                            n += plan.events.count
                        }
                    }
                    throw VarlinkError(e.name, p)
                }
            }
            var byTrial: [String: [AppendOutcome]] = [:]
            var cursor = 0
            var result: [JSONValue] = []
            for plan in plans {
                let mine = Array(outcomes[cursor..<(cursor + plan.events.count)])
                cursor += plan.events.count
                byTrial[plan.trial.text] = mine
                result.append(.object(JSONObject([
                    ("trial", .string(plan.trial.text)),
                    ("events", .array(mine.map(\.event.json))),
                    ("severities", .array(plan.changes.map { .string($0.severity.rawValue) })),
                ])))
            }
            logger.info("imported \(file): \(plans.count) records, \(events.count) events, by \(peer.recordedBy)")
            return JSONObject([("trials", .array(result))])
        }
        throw TrialsInterface.error("ShuttingDown")
    }

    // MARK: Subscribe

    /// Catch-up from the log, then live: the broadcaster says up to which seq the log holds
    /// what was published before the subscription, and delivers everything after it.
    private func subscribe(_ parameters: JSONObject, drop: @escaping @Sendable () -> Void, writeFrame: FrameWriter, reply: Reply) async throws {
        let p = try Parameters(parameters, allowed: ["since", "trial", "types"])
        var types: Set<EventType> = []
        for t in try p.strings("types") {
            guard let type = EventType(rawValue: t) else { throw VarlinkError.invalidParameter("types") }
            types.insert(type)
        }
        let since = try p.int("since", in: 0...Int64.max)
        var trialKey: String?
        if let t = try p.string("trial") {
            let store = self.store
            guard let key = try await blocking({ try store.resolve(t) }) else {
                throw await noSuchTrial(t)
            }
            trialKey = key
        }
        let subscription = broadcaster.subscribe(Broadcaster.Filter(trial: trialKey, types: types))
        subscription.onOverflow.withLockedValue { $0 = drop }
        defer { broadcaster.unsubscribe(subscription) }
        var last = since ?? subscription.liveFrom
        // Catch-up, page by page, up to liveFrom.
        if let since, since < subscription.liveFrom {
            let store = self.store
            var after = since
            while after < subscription.liveFrom {
                let query = LogQuery(trial: trialKey, afterSeq: after, types: Array(types), limit: 1000)
                let page = try await blocking { try store.events(query) }.filter { $0.seq <= subscription.liveFrom }
                for e in page {
                    try await reply(VarlinkReply(parameters: JSONObject([("event", e.json)]), continues: true))
                    last = e.seq
                }
                if page.count < 1000 { break }
                after = page.last!.seq
            }
            last = max(last, subscription.liveFrom)
        }
        // Live: frames made once for every subscriber, written as they are.
        while true {
            switch await broadcaster.next(subscription) {
            case .events(let batch, let through):
                // The batch's frames in one write (one hop to the event loop, one syscall),
                // rather than a write and a wait for each event.
                // Writes of at most 32 KiB: what a stuck subscriber holds while it does not read.
                var fresh = batch.drop { $0.event.seq <= last }[...]
                while !fresh.isEmpty {
                    var joined = ByteBuffer()
                    var taken = 0
                    for p in fresh {
                        guard taken == 0 || joined.readableBytes + p.frame.readableBytes <= 32 * 1024 else { break }
                        joined.writeImmutableBuffer(p.frame)
                        taken += 1
                    }
                    try await writeFrame(joined)
                    last = fresh[fresh.startIndex + taken - 1].event.seq
                    fresh = fresh.dropFirst(taken)
                }
                last = max(last, through)
            case .tooSlow:
                logger.warning("dropped a subscriber \(broadcaster.backlog) events behind at seq \(last)")
                throw TrialsInterface.error("SubscriberTooSlow", [("lastSeq", .int(last)), ("backlog", .int(Int64(broadcaster.backlog)))])
            case .finished:
                try Task.checkCancellation()
                throw TrialsInterface.error("ShuttingDown")
            }
        }
    }
}


extension Day {
    /// Parses `YYYY-MM-DD`, naming the form when it is not one.
    init(parsingDay text: String) throws(ValidationError) {
        guard let d = Day(text) else { throw ValidationError(field: "", reason: "'\(text)' is not a day; use YYYY-MM-DD") }
        self = d
    }
}

/// The answer to a queued Append or AppendMany: a reply, or one already encoded as the JSON of
/// its frame (without the NUL).
enum AppendAnswer: Sendable {
    case reply(VarlinkReply)
    case encoded([UInt8])
    /// A oneway call's: nothing to write.
    case none
}

/// Counts the calls being answered; a graceful stop waits until none is left.
final class InFlightCalls: @unchecked Sendable {  // `count` guarded by `condition`, which a stop waits on
    private let condition = NSCondition()
    private var count = 0

    func enter() {
        condition.lock()
        count += 1
        condition.unlock()
    }

    func leave() {
        condition.lock()
        count -= 1
        if count == 0 { condition.broadcast() }
        condition.unlock()
    }

    /// Waits until no call is in flight, or the deadline passes; true when none is left.
    @discardableResult
    func waitUntilIdle(before deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while count > 0 { if !condition.wait(until: deadline) { break } }
        return count == 0
    }
}
