import TrialDomain

/// Where an import reads the trials' current state and appends what changed: trialsd's store
/// and group committer, or anything else that can (a test's log).
public protocol ImportTarget: Sendable {
    associatedtype Outcome: Sendable
    /// The current state of each trial (nil: not yet known), in the order asked.
    func current(_ nctIDs: [String]) async throws -> [TrialView?]
    /// Appends the events as one group, all or nothing; `severities[i]` is `events[i]`'s.
    func append(_ events: [NewEvent], severities: [ChangeSeverity]) async throws -> [Outcome]
    /// Whether `error` refused the group because a trial changed since its state was read
    /// (an expected version), so that planning again may succeed.
    func isStale(_ error: Error) -> Bool
    /// The place in the group of the event `error` refused, if it names one.
    func eventIndex(of error: Error) -> Int?
}

/// One ClinicalTrials.gov document imported: every study planned against the trials' current
/// state and appended as one group (all or nothing). A trial changed meanwhile (an expected
/// version) is planned again, up to `attempts` times in all.
public struct StudyImport: Sendable {
    /// What the import did to one record's trial.
    public struct Record<Outcome: Sendable>: Sendable {
        public var plan: ImportPlan
        /// What appending `plan.events` gave, in order (none when nothing changed).
        public var outcomes: [Outcome]
    }

    /// A refusal of the group, with the record (its trial) whose event was refused.
    public struct Refused: Error {
        public var underlying: Error
        public var trial: String
    }

    public let file: String
    /// The document's studies, one per trial (the latest record of a trial listed twice wins),
    /// in the order each trial first appears.
    public let studies: [Study]
    public var attempts = 5
    /// A past version of the record (a backfill): every event is dated on the version's date
    /// and its source names the version. Its events carry no expected version: the target
    /// plans it against the trial as it stood on that date, not as it stands now, and a past
    /// fact recorded twice by two backfills at once is only a duplicate, never a wrong state.
    public var dating: Dating?

    public struct Dating: Sendable {
        public var day: Day
        public var source: String
        public init(day: Day, source: String) {
            self.day = day
            self.source = source
        }
    }

    /// Parses a document: one study, an array, or a page with "studies".
    public init(document: JSONValue, file: String) throws(ImportError) {
        self.file = file
        var latest: [String: Study] = [:]
        var order: [String] = []
        for s in try StudyDocument.parse(document, file: file) {
            if let seen = latest[s.nctId] {
                if seen.lastUpdatePosted <= s.lastUpdatePosted { latest[s.nctId] = s }
            } else {
                latest[s.nctId] = s
                order.append(s.nctId)
            }
        }
        studies = order.map { latest[$0]! }
    }

    /// What the import would append, against the target's current state (a dry run).
    public func plans<Target: ImportTarget>(against target: Target) async throws -> [ImportPlan] {
        let views = try await target.current(studies.map(\.nctId))
        return zip(studies, views).map { plan($0, $1) }
    }

    private func plan(_ study: Study, _ view: TrialView?) -> ImportPlan {
        var plan = ImportPlanner.plan(study: study, current: view)
        if let dating {
            for i in plan.events.indices {
                plan.events[i].occurred = PartialDate(day: dating.day)
                plan.events[i].source = dating.source
            }
        }
        return plan
    }

    /// Plans and appends; a refusal naming an event is thrown as `Refused`, naming its record.
    public func run<Target: ImportTarget>(into target: Target) async throws -> [Record<Target.Outcome>] {
        var attempt = 1
        while true {
            let views = try await target.current(studies.map(\.nctId))
            let plans = zip(studies, views).map { plan($0, $1) }
            var events: [NewEvent] = []
            var severities: [ChangeSeverity] = []
            for plan in plans {
                severities += plan.changes.map(\.severity)
                for (i, var e) in plan.events.enumerated() {
                    if i == 0, dating == nil { e.expectedVersion = plan.baseVersion }
                    // Checked here, off the writer thread; one that fails is refused by the
                    // writer, which names its index.
                    _ = try? e.validate()
                    events.append(e)
                }
            }
            var outcomes: [Target.Outcome] = []
            if !events.isEmpty {
                do {
                    outcomes = try await target.append(events, severities: severities)
                } catch  where target.isStale(error) && attempt < attempts {
                    attempt += 1
                    continue
                } catch {
                    guard let index = target.eventIndex(of: error), let plan = Self.plan(containing: index, in: plans)
                    else { throw error }
                    throw Refused(underlying: error, trial: plan.trial.text)
                }
            }
            var records: [Record<Target.Outcome>] = []
            var cursor = 0
            for plan in plans {
                records.append(Record(plan: plan, outcomes: Array(outcomes[cursor..<(cursor + plan.events.count)])))
                cursor += plan.events.count
            }
            return records
        }
    }

    /// The plan whose events hold event `index` of the group.
    static func plan(containing index: Int, in plans: [ImportPlan]) -> ImportPlan? {
        var n = 0
        for plan in plans {
            if index < n + plan.events.count { return plan }
            n += plan.events.count
        }
        return nil
    }
}
