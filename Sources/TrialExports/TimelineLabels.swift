import TrialDomain

/// The words of the picture: status colours and the short labels of milestones.
extension TimelineSVG {
    /// The status colours (fill) and their text colour, chosen for contrast of at least 4.5:1.
    public static func colour(of status: TrialStatus) -> (fill: String, text: String) {
        switch status {
        case .notYetRecruiting: ("#56B4E9", "#000000")
        case .recruiting, .available: ("#009E73", "#000000")
        case .enrollingByInvitation: ("#F0E442", "#000000")
        case .activeNotRecruiting, .approvedForMarketing: ("#0072B2", "#FFFFFF")
        case .suspended, .temporarilyNotAvailable: ("#E69F00", "#000000")
        case .terminated: ("#D55E00", "#000000")
        case .withdrawn: ("#CC79A7", "#000000")
        case .completed, .noLongerAvailable: ("#999999", "#000000")
        case .unknown, .withheld: ("#DDDDDD", "#000000")
        }
    }

    /// A milestone's short label: `OS HR 0.78`, `IA PFS met`, `ASCO 2026`, `FDA approved`.
    public static func shortLabel(_ payload: Payload) -> String {
        let label: String
        switch payload {
        case .readout(let r) where r.kind == .resultsPosted:
            label = "results posted"
        case .readout(let r):
            let prefix: String
            switch r.kind {
            case .topline: prefix = "top-line "
            case .final: prefix = "final "
            case .updated: prefix = "updated "
            case .primary, .resultsPosted: prefix = ""
            }
            let word: String
            switch r.outcome {
            case .positive: word = "met"
            case .negative: word = "not met"
            case .mixed: word = "mixed"
            case .notStated: word = ""
            }
            label = prefix + headline(r.endpoints, r.results, otherwise: word)
        case .interimAnalysis(let i):
            let word: String
            switch i.outcome {
            case .met: word = "met"
            case .notMet: word = "not met"
            case .continue: word = "continues"
            case .stoppedEfficacy: word = "stopped (efficacy)"
            case .stoppedFutility: word = "stopped (futility)"
            case .stoppedSafety: word = "stopped (safety)"
            case .notStated: word = ""
            }
            label = "IA " + headline(i.endpoints, i.results, otherwise: word)
        case .presented(let p): label = shortVenue(p.venue)
        case .published: label = "published"
        case .registered: label = "registered"
        case .regulatorySubmission(let s): label = "\(s.agency) \(s.state.rawValue)"
        case .regulatoryDecision(let d): label = "\(d.agency) \(d.decision.rawValue)"
        case .statusChanged(let s): label = s.status.rawValue
        default: label = payload.type.rawValue
        }
        return truncated(label.trimmingSpacesAndDashes, to: 26)
    }

    /// `OS HR 0.78` from the first result with a hazard ratio (or a ratio among its analyses),
    /// else `PFS/OS met`.
    static func headline(_ endpoints: [String], _ results: [EndpointResult], otherwise word: String) -> String {
        for res in results {
            if let h = res.hazardRatio { return "\(res.endpoint) HR \(formatNumber(h.value))" }
            if let e = res.analyses.lazy.compactMap(\.effect).first(where: { $0.kind.isRatio }),
                let abbr = e.kind.abbreviation
            {
                return "\(res.endpoint) \(abbr) \(formatNumber(e.value))"
            }
        }
        var seen = Set<String>()
        let names = (endpoints + results.map(\.endpoint)).filter { seen.insert($0.lowercased()).inserted }
        let ep = names.prefix(2).joined(separator: "/")
        return [ep, word].filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// `2025 ASCO Annual Meeting` → `ASCO 2025`-like brevity is beyond a rule; the venue up to
    /// its first comma or parenthesis, cut to fit.
    static func shortVenue(_ v: String) -> String {
        let cut = v.firstIndex { $0 == "," || $0 == "(" } ?? v.endIndex
        return String(v[..<cut])
    }

    static func truncated(_ s: String, to n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n - 1)).trimmingSpacesAndDashes + "…"
    }
}

extension String {
    var trimmingSpacesAndDashes: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "-" || f == "—" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "-" || l == "—" || l == "," { s = s.dropLast() }
        return String(s)
    }
}
