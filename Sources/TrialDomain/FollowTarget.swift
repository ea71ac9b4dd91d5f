/// What `trialctl sync` follows on ClinicalTrials.gov (issue 28): one trial by its NCT
/// number, or a saved search, the query text as the registry's API takes it.
///
/// Build one with `validated()` (or `init(kind:target:)`) before comparing or storing it:
/// a validated trial is upper case (`nct05499390` → `NCT05499390`) and a query has no white
/// space at either end, so the same target is always the same value.
public enum FollowTarget: Hashable, Sendable, CustomStringConvertible {
    /// A trial by its NCT number (`NCT05499390`).
    case trial(String)
    /// A saved search: ClinicalTrials.gov query text (`AREA[InterventionName]ivonescimab`).
    case query(String)

    /// The longest query accepted, in characters.
    public static let maximumQueryLength = 1000

    /// `trial` or `query`, as stored and as the wire says it.
    public var kind: String {
        switch self {
        case .trial: return "trial"
        case .query: return "query"
        }
    }

    /// The NCT number or the query text.
    public var text: String {
        switch self {
        case .trial(let t), .query(let t): return t
        }
    }

    public var description: String { "\(kind) \(text)" }

    /// Validates and normalises `kind` (`trial` or `query`) and its text.
    public init(kind: String, target: String) throws(ValidationError) {
        switch kind {
        case "trial": self = try FollowTarget.trial(target).validated()
        case "query": self = try FollowTarget.query(target).validated()
        default: throw ValidationError(field: "kind", reason: "'\(kind)' is not a kind of follow; use trial or query")
        }
    }

    /// The same target, normalised, or why it cannot be followed: a trial must be `NCT` and 8
    /// digits (any case); a query 1 to 1000 characters without control characters (a line
    /// break, a tab, NUL…), white space at either end dropped.
    public func validated() throws(ValidationError) -> FollowTarget {
        switch self {
        case .trial(let raw):
            let up = raw.trimmingSpaces.uppercased()
            guard TrialIdentifier.isNCT(up) else {
                throw ValidationError(
                    field: "target",
                    reason:
                        "'\(raw.oneLineForMessage)' is not an NCT number; a followed trial is NCT followed by 8 digits, e.g. NCT05499390"
                )
            }
            return .trial(up)
        case .query(let raw):
            let q = raw.trimmingSpaces
            guard !q.isEmpty else {
                throw ValidationError(field: "target", reason: "a followed query must not be empty")
            }
            guard q.hasAtMost(characters: FollowTarget.maximumQueryLength) else {
                throw ValidationError(
                    field: "target",
                    reason:
                        "a followed query must be at most \(FollowTarget.maximumQueryLength) characters (this one has \(q.count))"
                )
            }
            if let c = q.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
                throw ValidationError(
                    field: "target",
                    reason:
                        "a followed query must not contain control characters (it has U+\(String(c.value, radix: 16, uppercase: true).leftPadded(to: 4)))"
                )
            }
            return .query(q)
        }
    }
}

extension String {
    /// For quoting a refused value in a one-line message: control characters as `?`, at most
    /// 80 characters.
    fileprivate var oneLineForMessage: String {
        let cleaned = String(
            String.UnicodeScalarView(unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
        return cleaned.count > 80 ? String(cleaned.prefix(79)) + "…" : cleaned
    }

    fileprivate func leftPadded(to n: Int) -> String {
        count >= n ? self : String(repeating: "0", count: n - count) + self
    }
}
