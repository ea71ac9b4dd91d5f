/// Which trials a listing shows (Status, Upcoming and Log without a trial): each filter a set
/// of values of which a trial must match one (OR), the filters given all met (AND); empty
/// filters and `followed` false leave the listing whole.
///
/// Matching, as trialsd's store runs it on the `trial_terms` projection (migration 0008):
/// - a phase matches a trial whose registration lists it (`3` matches Phase 3 and Phase 2/3
///   trials); `1/2` and `2/3` match only trials registered as that combination;
/// - a status is the trial's current status;
/// - a sponsor (or collaborator), condition or intervention matches a name that contains the
///   words given, in that order and whole, ignoring case and punctuation (`TrialFilter.words`):
///   `Akeso` matches "Akeso" and "Akeso Inc." but not "Akesobio"; `lung cancer` matches
///   "Non-Small Cell Lung Cancer" but `lung canc` does not. Whole words rather than any
///   substring: a word sequence is a range of an index over each name's word suffixes, while
///   a substring needs a scan of every name, and a user who types a sponsor or an acronym
///   of a disease types whole words;
/// - `followed`: trials whose NCT number is followed (an active `trial` follow). A followed
///   query (a saved search) does not count: which trials it covers is the registry's answer,
///   known only once it has been synced.
public struct TrialFilter: Sendable, Equatable {
    /// Phase terms (`PhaseTerm.rawValue`).
    public var phases: [PhaseTerm]
    public var statuses: [TrialStatus]
    /// As given; matched through `words`.
    public var sponsors: [String]
    public var conditions: [String]
    public var interventions: [String]
    public var followed: Bool

    public init(
        phases: [PhaseTerm] = [], statuses: [TrialStatus] = [], sponsors: [String] = [], conditions: [String] = [],
        interventions: [String] = [], followed: Bool = false
    ) {
        self.phases = phases
        self.statuses = statuses
        self.sponsors = sponsors
        self.conditions = conditions
        self.interventions = interventions
        self.followed = followed
    }

    /// No filter: every trial.
    public var isEmpty: Bool {
        phases.isEmpty && statuses.isEmpty && sponsors.isEmpty && conditions.isEmpty && interventions.isEmpty
            && !followed
    }

    /// The filter in a line for people, e.g. `phase 3 · recruiting · condition lung cancer or
    /// NSCLC · followed` (empty for no filter): what a calendar of the filtered trials is named
    /// by (no comma nor semicolon, which a calendar's text would carry escaped).
    public var summary: String {
        var parts: [String] = []
        if !phases.isEmpty { parts.append("phase " + phases.map(\.rawValue).joined(separator: " or ")) }
        if !statuses.isEmpty { parts.append(statuses.map(\.rawValue).joined(separator: " or ")) }
        for (kind, values) in names where !values.isEmpty {
            parts.append("\(kind.rawValue) " + values.joined(separator: " or "))
        }
        if followed { parts.append("followed") }
        return parts.joined(separator: " · ")
    }

    /// The kinds of name filtered by words, with the `trial_terms` kind each is stored under.
    public enum NameKind: String, CaseIterable, Sendable {
        case sponsor, condition, intervention
    }

    /// The names of each kind filtered by words.
    public var names: [(kind: NameKind, values: [String])] {
        [(.sponsor, sponsors), (.condition, conditions), (.intervention, interventions)]
    }

    /// A name as it is matched: lower case, each run of characters other than letters and
    /// digits one space, none at either end (`Non-Small-Cell  Lung Cancer.` → `non small cell
    /// lung cancer`).
    public static func words(_ name: String) -> String {
        // Names are nearly always ASCII: bytes, without Character's grapheme breaking.
        if name.utf8.allSatisfy({ $0 < 0x80 }) {
            var out: [UInt8] = []
            out.reserveCapacity(name.utf8.count)
            var space = false
            for var b in name.utf8 {
                if b >= 0x41 && b <= 0x5A { b += 0x20 }
                if (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) {
                    if space && !out.isEmpty { out.append(0x20) }
                    space = false
                    out.append(b)
                } else {
                    space = true
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
        var out = ""
        var space = false
        for c in name.lowercased() {
            if c.isLetter || c.isNumber {
                if space && !out.isEmpty { out.append(" ") }
                space = false
                out.append(c)
            } else {
                space = true
            }
        }
        return out
    }

    /// What a name is stored as in `trial_terms`: its words from each word on (`akeso inc`,
    /// `inc`), so that a sequence of whole words anywhere in it is the start of one of them.
    public static func wordSuffixes(_ name: String) -> [String] {
        let w = words(name)
        guard !w.isEmpty else { return [] }
        var out = [w]
        var i = w.startIndex
        while let space = w[i...].firstIndex(of: " ") {
            i = w.index(after: space)
            out.append(String(w[i...]))
        }
        return out
    }

    /// Every term a registration is found by: (kind, term), each once. Sponsor and
    /// collaborators are `sponsor`; conditions `condition`; the arms' interventions
    /// `intervention`; phases `phase` (`PhaseTerm.terms`).
    public static func terms(of r: Registered) -> [(kind: String, term: String)] {
        var seen = Set<String>()
        var out: [(kind: String, term: String)] = []
        func add(_ kind: String, _ term: String) {
            if seen.insert(kind + "\u{0}" + term).inserted { out.append((kind, term)) }
        }
        for p in PhaseTerm.terms(of: r.phases) { add("phase", p.rawValue) }
        let names: [(NameKind, [String])] = [
            (.sponsor, (r.sponsor.map { [$0] } ?? []) + r.collaborators), (.condition, r.conditions),
            (.intervention, r.arms.flatMap(\.interventions)),
        ]
        for (kind, values) in names {
            for v in values { for s in wordSuffixes(v) { add(kind.rawValue, s) } }
        }
        return out
    }

    /// The status a filter value names: the vocabulary's (`active-not-recruiting`) or the
    /// registry's (`ACTIVE_NOT_RECRUITING`), in any case.
    public static func status(_ text: String) -> TrialStatus? {
        TrialStatus(
            rawValue: text.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(
                of: " ", with: "-"))
    }
}

/// A phase as a filter names it: one phase, or the combinations the registry has (Phase 1/2,
/// Phase 2/3), which a trial matches only when registered as that combination.
public enum PhaseTerm: String, CaseIterable, Sendable, Hashable {
    case early1 = "early-1"
    case phase1 = "1"
    case phase1_2 = "1/2"
    case phase2 = "2"
    case phase2_3 = "2/3"
    case phase3 = "3"
    case phase4 = "4"
    case notApplicable = "not-applicable"

    /// A filter's phase: `3`, `phase3`, `phase-3`, `Phase 3`, `PHASE3` (the registry's),
    /// `phase-2/phase-3` or `2/3`; `early-1`, `early-phase-1`, `EARLY_PHASE1`; `not-applicable`,
    /// `n/a`, `NA`. Case, spaces, `-` and `_` do not matter.
    public init?(filter text: String) {
        var t = text.lowercased().filter { $0 != " " && $0 != "-" && $0 != "_" }
        t = t.replacingOccurrences(of: "phase", with: "")
        switch t {
        case "early1": self = .early1
        case "1": self = .phase1
        case "1/2": self = .phase1_2
        case "2": self = .phase2
        case "2/3": self = .phase2_3
        case "3": self = .phase3
        case "4": self = .phase4
        case "notapplicable", "n/a", "na": self = .notApplicable
        default: return nil
        }
    }

    /// The terms a trial with these phases is found by: each phase, and for Phase 1/2 and
    /// Phase 2/3 the combination too.
    public static func terms(of phases: [Phase]) -> [PhaseTerm] {
        var out: [PhaseTerm] = phases.map { p in
            switch p {
            case .earlyPhase1: .early1
            case .phase1: .phase1
            case .phase2: .phase2
            case .phase3: .phase3
            case .phase4: .phase4
            case .notApplicable: .notApplicable
            }
        }
        let set = Set(phases)
        if set == [.phase1, .phase2] { out.append(.phase1_2) }
        if set == [.phase2, .phase3] { out.append(.phase2_3) }
        return out
    }
}
