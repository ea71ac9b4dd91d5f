import TrialDomain

/// One change an import records: one per planned event, in the same order.
public struct Change: Equatable, Sendable {
    public var type: EventType
    public var severity: ChangeSeverity
    /// One line for a person (`status recruiting → terminated; why stopped: 'funding'`).
    public var description: String

    public init(type: EventType, severity: ChangeSeverity, description: String) {
        self.type = type
        self.severity = severity
        self.description = description
    }
}

/// What importing one study record would append to its trial.
public struct ImportPlan: Equatable, Sendable {
    /// The trial, by its NCT number.
    public var trial: TrialReference
    public var events: [NewEvent]
    /// `changes[i]` describes `events[i]`.
    public var changes: [Change]
    /// The trial's version the plan was made against (0 for a trial not yet known): append with
    /// `expectedVersion` = baseVersion + i to refuse a plan made stale by a concurrent write.
    public var baseVersion: Int64

    /// Nothing changed since the trial's current state.
    public var isEmpty: Bool { events.isEmpty }

    /// The highest severity among the changes; nil when nothing changed.
    public var severity: ChangeSeverity? { changes.map(\.severity).max() }
}

/// Maps a study record to events and detects what changed versus a trial's current state.
///
/// A trial not yet known gets `registered`, `status-changed` and, when the record has dates,
/// `dates-updated` (its enrollment goes in `registered`; so for a trial known without a
/// registration, e.g. by acronym). A known trial gets only what differs
/// from its summary: a `registered` with the full new registration, `status-changed`,
/// `enrollment-updated`, and `dates-updated` with just the dates that changed. Re-importing the
/// same record plans nothing.
///
/// A record with `hasResults` gets, once, a `readout` of kind `results-posted` (critical),
/// dated when the results were first posted, carrying its outcome measures (`postedResults`);
/// once the trial's timeline holds such a readout, later imports plan none (an update of the
/// posted results is not yet followed).
///
/// `occurred` is the record's last update, except where the record dates the fact: a new
/// trial's registration is dated when first posted; recruiting or enrolling-by-invitation with an
/// actual start date, and completed, terminated or withdrawn with an actual completion date, are
/// dated by that date. Never after the last update, and a status change never before the status
/// it replaces (the fold would otherwise put it first).
public enum ImportPlanner {
    public static func plan(study: Study, current: TrialView?) -> ImportPlan {
        let before = current?.summary
        // The NCT number was validated when the study was parsed.
        let trial = try! TrialReference(study.nctId)
        let update = PartialDate(day: study.lastUpdatePosted)
        var events: [NewEvent] = []
        var changes: [Change] = []
        func add(_ payload: Payload, _ occurred: PartialDate, _ description: String) {
            events.append(NewEvent(trial: trial, payload: payload, occurred: occurred, source: study.source))
            changes.append(
                Change(
                    type: payload.type, severity: classify(payload, before: before), description: oneLine(description)))
        }

        // registered
        let registration = registration(of: study)
        if let old = before?.registration {
            let differences = registrationDifferences(registration, old)
            if !differences.isEmpty {
                add(.registered(registration), update, "registration updated: " + differences.joined(separator: "; "))
            }
        } else {
            let occurred = study.firstPosted.map { min(PartialDate(day: $0), update) } ?? update
            let name = [study.nctId, study.acronym].compactMap { $0 }.joined(separator: " ")
            add(
                .registered(registration), occurred,
                "\(current == nil ? "new trial" : "registration") \(name): \(EventText.describe(.registered(registration)))"
            )
        }

        // status-changed
        let status = statusChange(of: study)
        let statusMoved = before?.status != status.status
        let whyChanged = before?.whyStopped != status.whyStopped
        let lastKnownChanged = status.lastKnownStatus != nil && before?.lastKnownStatus != status.lastKnownStatus
        if before == nil || statusMoved || whyChanged || lastKnownChanged {
            var parts: [String] = []
            var s = "status "
            if let old = before?.status, statusMoved { s += "\(old.rawValue) → " }
            s += status.status.rawValue
            if let l = status.lastKnownStatus { s += " (last known: \(l.rawValue))" }
            if before == nil || statusMoved || lastKnownChanged { parts.append(s) }
            if let w = status.whyStopped, before == nil || whyChanged {
                parts.append("why stopped: \(quoted(w, limit: 200))")
            } else if status.whyStopped == nil, whyChanged {
                parts.append("why stopped removed")
            }
            let occurred = statusMoved ? statusOccurred(study, since: before?.statusSince) : update
            add(.statusChanged(status), occurred, parts.joined(separator: "; "))
        }

        // enrollment-updated (a first registration carries it, unless it replaces an earlier count)
        if let before, let e = registration.enrollment, e != before.enrollment,
            before.registration != nil || before.enrollment != nil
        {
            var s = "enrollment "
            if let old = before.enrollment {
                s += "\(old.count) (\(old.type.rawValue)) → "
            }
            s += "\(e.count) (\(e.type.rawValue))"
            if let old = before.enrollment, old.count != e.count {
                s += old.count == 0 ? ", from 0" : ", \(signedPercent(from: old.count, to: e.count))"
            }
            add(.enrollmentUpdated(e), update, s)
        }

        // dates-updated
        var dates = DatesUpdated()
        var descriptions: [String] = []
        func date(_ name: String, _ new: StudyDate?, _ old: StudyDate?, _ set: (inout DatesUpdated, StudyDate) -> Void)
        {
            guard let new, new != old else { return }
            set(&dates, new)
            if let old {
                var s = "\(name) \(text(old)) → \(text(new))"
                let days = daysMoved(from: old.date, to: new.date)
                if days != 0 { s += ", \(abs(days)) day\(abs(days) == 1 ? "" : "s") \(days > 0 ? "later" : "earlier")" }
                descriptions.append(s)
            } else {
                descriptions.append("\(name) \(text(new))")
            }
        }
        date("start", study.startDate, before?.dates.start) { $0.start = $1 }
        date("primary completion", study.primaryCompletionDate, before?.dates.primaryCompletion) {
            $0.primaryCompletion = $1
        }
        date("completion", study.completionDate, before?.dates.completion) { $0.completion = $1 }
        if dates != DatesUpdated() {
            add(.datesUpdated(dates), update, descriptions.joined(separator: "; "))
        }

        // readout (results posted)
        if study.hasResults, !(current.map(hasPostedResults) ?? false) {
            let readout = postedResults(of: study)
            let occurred = study.resultsFirstPosted.map { min(PartialDate(day: $0), update) } ?? update
            var s = "results posted"
            if let d = study.resultsFirstPosted { s += " \(d)" }
            let primary = readout.results.filter { $0.outcomeType == .primary }.count
            let others = readout.results.count - primary
            s += ": \(primary) primary, \(others) other outcome measure\(others == 1 ? "" : "s")"
            let left = study.postedResults.count - readout.results.count
            let primaryLeft = study.postedResults.filter { $0.outcomeType == .primary }.count - primary
            if primaryLeft > 0 {
                s +=
                    " (\(left) more left out, \(primaryLeft) of them primary: at most \(maximumResultsBytes / 1024) KiB of results)"
            } else if left > 0 {
                s += " (\(left) more left out: at most \(maximumNonPrimaryResults) besides the primary ones)"
            }
            add(.readout(readout), occurred, s)
        }

        return ImportPlan(trial: trial, events: events, changes: changes, baseVersion: before?.version ?? 0)
    }

    /// Outcomes other than primary ones that a posted-results readout carries, in the record's
    /// order; the rest are left out (and the change's description says how many) to keep an
    /// event a reasonable size: a record can list a hundred outcomes. Every primary one is kept.
    public static let maximumNonPrimaryResults = 20

    /// The record's posted results as a `readout` of kind `results-posted` whose outcome is
    /// `not-stated` (a registry never says whether an endpoint was met).
    ///
    /// Past `maximumResultsBytes` of canonical payload, outcomes are left out from the end,
    /// other ones first, then primary ones: an event of megabytes would be a burden on every
    /// reader of the log, and the record stays one fetch away.
    public static func postedResults(of study: Study) -> Readout {
        var nonPrimary = 0
        var kept = study.postedResults.filter { r in
            if r.outcomeType == .primary { return true }
            nonPrimary += 1
            return nonPrimary <= maximumNonPrimaryResults
        }
        var sizes = kept.map { $0.json.canonicalText.utf8.count + 1 }
        var total = sizes.reduce(0, +)
        for primary in [false, true] {
            var i = kept.count - 1
            while total > maximumResultsBytes, i >= 0 {
                if (kept[i].outcomeType == .primary) == primary {
                    total -= sizes[i]
                    kept.remove(at: i)
                    sizes.remove(at: i)
                }
                i -= 1
            }
        }
        return Readout(kind: .resultsPosted, outcome: .notStated, results: kept)
    }

    /// The most a posted-results readout's results take, in bytes of canonical JSON.
    public static let maximumResultsBytes = 256 * 1024

    /// Whether the trial's timeline already holds a posting of results.
    static func hasPostedResults(_ view: TrialView) -> Bool {
        view.timeline.contains { e in
            if case .readout(let r) = e.payload { return r.kind == .resultsPosted }
            return false
        }
    }

    /// The registration the record states, as a `registered` payload.
    public static func registration(of study: Study) -> Registered {
        var design: Registered.Design?
        if study.allocation != nil || study.masking != nil {
            design = Registered.Design(allocation: study.allocation, masking: study.masking)
        }
        return Registered(
            title: study.title, acronym: study.acronym, identifiers: identifiers(of: study), sponsor: study.leadSponsor,
            collaborators: study.collaborators, phases: study.phases, conditions: study.conditions,
            arms: study.armGroups.map {
                Registered.Arm(label: $0.label, type: $0.type, interventions: $0.interventionNames)
            },
            primaryEndpoints: study.primaryOutcomes,
            // A count without its type (old records) is taken as estimated.
            enrollment: study.enrollment.map { Enrollment(count: $0.count, type: $0.type ?? .estimated) },
            design: design)
    }

    /// The status the record states, as a `status-changed` payload.
    public static func statusChange(of study: Study) -> StatusChanged {
        StatusChanged(
            status: study.overallStatus, whyStopped: study.whyStopped,
            lastKnownStatus: study.overallStatus == .unknown ? study.lastKnownStatus : nil)
    }

    /// The record's identifiers, each once, in this order: the NCT number and its aliases, EudraCT
    /// and CTIS numbers, the sponsor's protocol id (`sponsor`), then other secondary ids (`other`).
    /// A CTIS-shaped number (YYYY-NNNNNN-NN-NN) is taken as CTIS whatever its stated type; a
    /// EudraCT-typed id is searched for its number and kept as `other` when it has none.
    public static func identifiers(of study: Study) -> [TrialIdentifier] {
        var nct: [TrialIdentifier] = [], eudract: [TrialIdentifier] = [], ctis: [TrialIdentifier] = []
        var sponsor: [TrialIdentifier] = [], other: [TrialIdentifier] = []
        func add(_ list: inout [TrialIdentifier], _ registry: Registry, _ id: String) {
            if let i = try? TrialIdentifier(registry: registry, id: id) { list.append(i) }
        }
        add(&nct, .nct, study.nctId)
        for a in study.nctIdAliases { add(&nct, .nct, a) }
        for s in study.secondaryIds {
            let type = s.type?.uppercased() ?? ""
            let domain = s.domain?.lowercased() ?? ""
            if let n = number(in: s.id, groups: [4, 6, 2, 2]) {
                add(&ctis, .ctis, n)
            } else if type == "EUDRACT_NUMBER" || domain.contains("eudract"),
                let n = number(in: s.id, groups: [4, 6, 2])
            {
                add(&eudract, .eudract, n)
            } else {
                add(&other, .other, s.id)
            }
        }
        if let org = study.orgStudyId { add(&sponsor, .sponsor, org) }
        var seen = Set<String>()
        return (nct + eudract + ctis + sponsor + other).filter { seen.insert($0.lookupKey).inserted }
    }

    /// What differs between a record's registration and the trial's merged one (whose
    /// identifiers are the union of all given and whose acronym stays when a later one has none).
    /// Enrollment is compared on its own (`enrollment-updated`).
    static func registrationDifferences(_ new: Registered, _ old: Registered) -> [String] {
        var out: [String] = []
        if new.title != old.title { out.append("title \(quoted(new.title, limit: 120))") }
        if let a = new.acronym, a != old.acronym { out.append("acronym \(old.acronym ?? "none") → \(a)") }
        let known = Set(old.identifiers.map(\.lookupKey))
        let added = new.identifiers.filter { !known.contains($0.lookupKey) }
        if !added.isEmpty {
            out.append("new identifiers " + added.map { "\($0.id) (\($0.registry.rawValue))" }.joined(separator: ", "))
        }
        if new.sponsor != old.sponsor { out.append("sponsor \(new.sponsor.map { quoted($0) } ?? "none")") }
        if new.collaborators != old.collaborators { out.append("collaborators") }
        if new.phases != old.phases { out.append("phases \(phaseText(old.phases)) → \(phaseText(new.phases))") }
        if new.conditions != old.conditions { out.append("conditions") }
        if new.arms != old.arms { out.append("arms") }
        if new.primaryEndpoints != old.primaryEndpoints {
            out.append("primary endpoints (\(old.primaryEndpoints.count) → \(new.primaryEndpoints.count))")
        }
        if new.design != old.design { out.append("design") }
        return out
    }

    /// When a new status happened: the record's actual date for it, else the last update.
    static func statusOccurred(_ study: Study, since: PartialDate?) -> PartialDate {
        let update = PartialDate(day: study.lastUpdatePosted)
        let evidence: StudyDate?
        switch study.overallStatus {
        case .recruiting, .enrollingByInvitation: evidence = study.startDate
        case .completed, .terminated, .withdrawn: evidence = study.completionDate
        default: evidence = nil
        }
        guard let e = evidence, e.type == .actual, e.date.start <= study.lastUpdatePosted else { return update }
        if let since, e.date < since { return update }
        return e.date
    }

    static func text(_ d: StudyDate) -> String { "\(d.date)" + (d.type.map { " (\($0.rawValue))" } ?? "") }

    static func phaseText(_ p: [Phase]) -> String { p.isEmpty ? "none" : p.map(\.rawValue).joined(separator: ", ") }

    static func signedPercent(from old: Int64, to new: Int64) -> String {
        let pct = (Double(new - old) / Double(old) * 100).rounded()
        return (pct >= 0 ? "+" : "") + "\(Int64(pct))%"
    }

    /// The first token of `text` made of digit groups of these lengths joined by '-'.
    static func number(in text: String, groups: [Int]) -> String? {
        let tokens = text.split { !($0.isASCII && ($0.isNumber || $0 == "-")) }
        for t in tokens {
            let parts = t.split(separator: "-", omittingEmptySubsequences: false)
            if parts.count == groups.count, zip(parts, groups).allSatisfy({ $0.utf8.count == $1 }) { return String(t) }
        }
        return nil
    }
}
