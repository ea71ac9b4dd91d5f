import ArgumentParser
import Dispatch
import Foundation
@_spi(Benchmarks) import TrialDomain
import TrialStore

/// Appends to a trial with a long history and open forecasts, beside appends to new trials:
/// the cost of an append must not grow with the trial's history or its forecasts.
struct HistoryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract:
            "Appends/s to a long trial with open forecasts beside appends/s to new trials, and how long one large batch holds the writer.",
        discussion: """
            Builds a trial of --long events (one a day, in world order) with forecasts made today, then \
            measures, --batch events per transaction: appends to new trials (a registration each); appends \
            to the long trial dated today (in world order); appends to the long trial dated before the \
            forecasts (a backfill: each sorts before the forecasts' facts). Then one AppendMany of \
            --batch-events backfill events to a trial of --batch-trial events with a forecast made today: \
            how long it holds the writer, how long another writer's one-event append waits behind it, and \
            what one append costs after it.
            """)

    @Option(help: "Events of the long trial.") var long = 10_000
    @Option(help: "Open forecasts of the long trial (made today).") var forecasts = 3
    @Option(help: "Events measured in each case.") var events = 2_000
    @Option(help: "Events per transaction (groups of one) in the rate cases.") var batch = 100
    @Option(help: "Events of the trial the large batch goes to.") var batchTrial = 3_000
    @Option(help: "Events of the large batch (one group: all or nothing).") var batchEvents = 2_000
    @Option(help: "Directory for the database file (default: a new temporary one).") var dir: String?

    func run() throws {
        let work = try WorkDirectory(dir)
        defer { work.removeIfMade() }
        let store = try EventStore(path: work.path + "/history.db")
        defer { try? store.close() }
        let today = Timestamp.now().day
        print(
            "trialbench history: a trial of \(long) events with \(forecasts) open forecasts made \(today); \(events) events per case, \(batch) per transaction"
        )

        try build(store, trial: "LONG-1", events: long, forecasts: forecasts, today: today)

        func rate(_ name: String, _ make: (Int) -> NewEvent) throws -> Double {
            let all = (0..<events).map(make)
            let t0 = now()
            var start = 0
            while start < all.count {
                let end = min(start + batch, all.count)
                for r in try store.append(groups: all[start..<end].map { [$0] }, recordedBy: "bench") {
                    if case .failure(let e) = r { throw e }
                }
                start = end
            }
            let r = Double(all.count) / (now() - t0)
            print("  \(name): \(fmt(r)) appends/s (\(String(format: "%.3f", 1000 / r)) ms per event)")
            return r
        }
        let fresh = try rate("new trials (a registration each)") { i in Self.registration("NEW-\(i)", today: today) }
        let backfill = try rate("the \(long)-event trial, dated before its forecasts (backfill)") { i in
            Self.event("LONG-1", k: 2 + i, occurred: PartialDate(day: Self.backfillStart.adding(days: i / 4)))
        }
        let inOrder = try rate("the \(long)-event trial, dated today (in world order)") { i in
            Self.event("LONG-1", k: 2 + i, occurred: PartialDate(day: today))
        }
        print(
            String(
                format: "  ratio new / long in order: %.2f×, new / long backfill: %.2f×", fresh / inOrder,
                fresh / backfill))

        // One large group to a trial with a forecast, while another writer appends one event.
        try build(store, trial: "BATCH-1", events: batchTrial, forecasts: 1, today: today)
        _ = try store.append(Self.registration("OTHER-1", today: today), recordedBy: "bench")
        let group = (0..<batchEvents).map { i in
            Self.event("BATCH-1", k: 2 + i, occurred: PartialDate(day: Self.backfillStart.adding(days: i / 4)))
        }
        nonisolated(unsafe) var waited = 0.0
        let other = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            other.wait()
            Thread.sleep(forTimeInterval: 0.01)  // the batch has the writer by then
            let t = now()
            _ = try? store.append(Self.event("OTHER-1", k: 2, occurred: PartialDate(day: today)), recordedBy: "other")
            waited = now() - t
            done.signal()
        }
        let t0 = now()
        other.signal()
        guard case .success = try store.append(groups: [group], recordedBy: "bench")[0] else {
            throw ValidationError("the batch was refused")
        }
        let held = now() - t0
        done.wait()
        func time(_ occurred: Day) throws -> Double {
            let t = now()
            _ = try store.append(Self.event("BATCH-1", k: 2, occurred: PartialDate(day: occurred)), recordedBy: "bench")
            return (now() - t) * 1000
        }
        let last = Self.backfillStart.adding(days: (batchEvents - 1) / 4)
        let (afterToday, afterLast, afterOld) = (try time(today), try time(last), try time(Self.backfillStart))
        print(
            String(
                format:
                    "  one AppendMany of %d backfill events to a %d-event trial with a forecast: %.3f s (%.3f ms per event); another writer's append waited %.3f s",
                batchEvents, batchTrial, held, held * 1000 / Double(batchEvents), waited))
        print(
            String(
                format:
                    "  one append after it: dated today %.1f ms; dated %@ (the batch's last day, before the forecast) %.1f ms; dated %@ (before the last %d facts: a replay) %.1f ms",
                afterToday, last.description, afterLast, Self.backfillStart.description, TrialFold.recentKept, afterOld)
        )
    }

    /// History starts here, one event a day; backfills start after it and before today.
    static let historyStart = Day(year: 1960, month: 1, day: 1)!
    static let backfillStart = Day(year: 2023, month: 1, day: 1)!

    /// A trial of `events` events in world order, then `forecasts` forecasts made today.
    func build(_ store: EventStore, trial: String, events: Int, forecasts: Int, today: Day) throws {
        let t0 = now()
        var all = [Self.registration(trial, today: today, on: Self.historyStart)]
        for k in 1..<max(1, events) {
            all.append(Self.event(trial, k: k, occurred: PartialDate(day: Self.historyStart.adding(days: k))))
        }
        let specs = [
            MilestoneSpec(type: .readout, qualifier: "OS"), MilestoneSpec(type: .regulatorySubmission, qualifier: nil),
            MilestoneSpec(type: .presented, qualifier: "ESMO"), MilestoneSpec(type: .published, qualifier: "Lancet"),
        ]
        for f in 0..<forecasts {
            let spec = MilestoneSpec(
                type: specs[f % specs.count].type, qualifier: f < specs.count ? specs[f].qualifier : "Q\(f)")
            all.append(
                NewEvent(
                    trial: try! TrialReference(trial),
                    payload: .milestoneExpected(
                        MilestoneExpected(
                            milestone: spec, window: PartialDate(year: today.components.year + 2, precision: .year)!)),
                    occurred: PartialDate(day: today), source: "bench"))
        }
        var start = 0
        while start < all.count {
            let end = min(start + 1_000, all.count)
            for r in try store.append(groups: all[start..<end].map { [$0] }, recordedBy: "bench") {
                if case .failure(let e) = r { throw e }
            }
            start = end
        }
        print(String(format: "built %@: %d events + %d forecasts in %.1f s", trial, events, forecasts, now() - t0))
    }

    static func registration(_ trial: String, today: Day, on day: Day? = nil) -> NewEvent {
        NewEvent(
            trial: try! TrialReference(trial),
            payload: .registered(
                Registered(
                    title: "Trial \(trial): an investigational antibody versus chemotherapy", acronym: nil,
                    identifiers: [],
                    sponsor: "Sponsor", phases: [.phase3], conditions: ["NSCLC"], primaryEndpoints: ["PFS"],
                    enrollment: Enrollment(count: 400, type: .estimated),
                    design: .init(allocation: .randomized, masking: .double))),
            occurred: PartialDate(day: day ?? today), source: "bench")
    }

    /// Event `k` of a trial (k ≥ 1): status, enrollment, dates, presentations, publications.
    static func event(_ trial: String, k: Int, occurred: PartialDate) -> NewEvent {
        let payload: Payload
        switch k % 5 {
        case 1: payload = .statusChanged(StatusChanged(status: .recruiting))
        case 2: payload = .enrollmentUpdated(Enrollment(count: Int64(100 + k % 300), type: .estimated))
        case 3: payload = .presented(Presented(venue: "ASCO \(1960 + k / 365)", abstract: "\(k)"))
        case 4: payload = .published(Published(citation: "J Clin Oncol \(k)", doi: "10.1200/JCO.\(k)"))
        default:
            payload = .datesUpdated(
                DatesUpdated(start: StudyDate(date: occurred, type: .actual), primaryCompletion: nil))
        }
        return NewEvent(trial: try! TrialReference(trial), payload: payload, occurred: occurred, source: "bench")
    }
}
