/// One line a person reads for each event, as timelines, `trialctl log` and journald show it
/// (`OS, primary endpoint met (ASCO 2026)`).
public enum EventText {
    public static func describe(_ payload: Payload) -> String {
        switch payload {
        case .registered(let r):
            var s = r.title
            var extra: [String] = []
            let phase = Phase.display(r.phases)
            if !phase.isEmpty { extra.append(phase) }
            if let e = r.enrollment { extra.append("\(e.count) participants, \(e.type.rawValue)") }
            if !extra.isEmpty { s += " (" + extra.joined(separator: "; ") + ")" }
            return s
        case .statusChanged(let c):
            var s = c.status.rawValue
            if let l = c.lastKnownStatus { s += " (last known: \(l.rawValue))" }
            if let w = c.whyStopped { s += ": \(w)" }
            return s
        case .enrollmentUpdated(let e):
            return "enrollment \(e.count) (\(e.type.rawValue))"
        case .datesUpdated(let d):
            var parts: [String] = []
            func add(_ name: String, _ sd: StudyDate?) {
                guard let sd else { return }
                parts.append("\(name) \(sd.date)" + (sd.type.map { " (\($0.rawValue))" } ?? ""))
            }
            add("start", d.start)
            add("primary completion", d.primaryCompletion)
            add("completion", d.completion)
            return parts.joined(separator: ", ")
        case .interimAnalysis(let i):
            var s = (i.analysis ?? "interim analysis") + ": "
            let eps = endpoints(i.endpoints, i.results)
            if !eps.isEmpty { s += eps + ", " }
            s += i.outcome.phrase
            if let v = i.venue { s += " (\(v))" }
            return s
        case .readout(let r) where r.kind == .resultsPosted:
            // Posted results run to dozens of outcomes: count them instead of naming them.
            var s = "results posted"
            let counts = OutcomeType.allCases.compactMap { t -> String? in
                let n = r.results.filter { $0.outcomeType == t }.count
                return n == 0 ? nil : "\(n) \(String(t.rawValue.map { $0 == "-" ? " " : $0 }))"
            }
            let untyped = r.results.filter { $0.outcomeType == nil }.count
            let all = counts + (untyped > 0 ? ["\(untyped) other"] : [])
            if !all.isEmpty {
                s += ": " + all.joined(separator: ", ") + " outcome measure" + (r.results.count == 1 ? "" : "s")
            }
            if r.outcome != .notStated { s += ", " + r.outcome.phrase }
            if let v = r.venue { s += " (\(v))" }
            return s
        case .readout(let r):
            var s = r.kind == .primary ? "" : "\(r.kind == .topline ? "top-line" : r.kind.rawValue): "
            let eps = endpoints(r.endpoints, r.results)
            if !eps.isEmpty { s += eps + ", " }
            s += r.outcome.phrase
            if let v = r.venue { s += " (\(v))" }
            return s
        case .presented(let p):
            return p.venue + (p.abstract.map { " (abstract \($0))" } ?? "")
        case .published(let p):
            return p.citation + (p.doi.map { " (doi:\($0))" } ?? "")
        case .regulatorySubmission(let s):
            var t = [s.agency, s.application].compactMap { $0 }.joined(separator: " ") + " \(s.state.rawValue)"
            if let i = s.indication { t += ": \(i)" }
            if let d = s.targetActionDate { t += " (target action \(d))" }
            return t
        case .regulatoryDecision(let d):
            var t = "\(d.agency) \(d.decision.rawValue)"
            if let i = d.indication { t += ": \(i)" }
            return t
        case .milestoneExpected(let m):
            return "\(m.milestone) expected \(m.window)"
        case .milestoneOverdue(let o):
            return "expected milestone (seq \(o.expected)) is overdue"
        case .corrected(let c):
            return "seq \(c.target) corrected: \(c.reason)"
        case .retracted(let r):
            return "seq \(r.target) retracted: \(r.reason)"
        }
    }

    private static func endpoints(_ named: [String], _ results: [EndpointResult]) -> String {
        var seen = Set<String>()
        return (named + results.map(\.endpoint)).filter { seen.insert($0.lowercased()).inserted }.joined(separator: "/")
    }
}
