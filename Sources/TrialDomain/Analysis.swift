/// The role of an outcome in its protocol, as a registry's posted results state it.
public enum OutcomeType: String, CaseIterable, Sendable, Hashable {
    case primary
    case secondary
    /// ClinicalTrials.gov's `OTHER_PRE_SPECIFIED`.
    case otherPreSpecified = "other-pre-specified"
    /// ClinicalTrials.gov's `POST_HOC`.
    case postHoc = "post-hoc"
}

/// What a comparison between arms estimates.
///
/// Decision: the kinds a registry names often get their own case; anything else (a log-scale
/// ratio, a slope, a sponsor's own "Difference") is `other`, and its effect then carries the
/// registry's `name` for it, never a guess at what it means.
public enum EffectKind: String, CaseIterable, Sendable, Hashable {
    case hazardRatio = "hazard-ratio"
    case oddsRatio = "odds-ratio"
    case riskRatio = "risk-ratio"
    case riskDifference = "risk-difference"
    case meanDifference = "mean-difference"
    case medianDifference = "median-difference"
    case other

    /// Ratios are positive and compare with 1; differences compare with 0.
    public var isRatio: Bool { self == .hazardRatio || self == .oddsRatio || self == .riskRatio }

    /// `HR`, `OR`: what a line of results calls it.
    public var abbreviation: String? {
        switch self {
        case .hazardRatio: "HR"
        case .oddsRatio: "OR"
        case .riskRatio: "RR"
        case .riskDifference: "RD"
        case .meanDifference: "mean difference"
        case .medianDifference: "median difference"
        case .other: nil
        }
    }
}

/// An estimated effect with its confidence interval: `{"kind": "odds-ratio", "value": 15.231,
/// "ciLevel": 95, "ciLow": 7.336, "ciHigh": 31.623, "ciSides": 2}`.
///
/// Decisions: either end of the interval may be absent on its own (a one-sided interval has
/// one end); the value is not required to lie within the interval (registries hold posted
/// results where it does not, and refusing would refuse the whole record), but a low end above
/// the high end is refused (`ciLow`), as are ratios of 0 or less (`value`), a confidence level
/// outside (0, 100) (`ciLevel`), sides other than 1 or 2 (`ciSides`), and `name` missing for
/// `other` or given for a named kind.
public struct Effect: Equatable, Sendable {
    public var kind: EffectKind
    /// The registry's name for an `other` effect (`Hazard Ratio, log`, `Difference`).
    public var name: String?
    public var value: Double
    /// Confidence level in percent (95).
    public var ciLevel: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    /// 1 or 2: a one- or two-sided interval.
    public var ciSides: Int?

    public init(
        kind: EffectKind, name: String? = nil, value: Double, ciLevel: Double? = nil, ciLow: Double? = nil,
        ciHigh: Double? = nil, ciSides: Int? = nil
    ) {
        self.kind = kind
        self.name = name
        self.value = value
        self.ciLevel = ciLevel
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.ciSides = ciSides
    }

    public init(json: JSONValue) throws {
        var f = try FieldReader(json)
        kind = try f.enumeration("kind", EffectKind.self)
        name = try f.optionalString("name", maxLength: 200)
        value = try f.double("value")
        ciLevel = try f.optionalDouble("ciLevel")
        ciLow = try f.optionalDouble("ciLow")
        ciHigh = try f.optionalDouble("ciHigh")
        ciSides = try f.optionalInt("ciSides", range: 1...2).map(Int.init)
        try f.finish()
        try validate()
    }

    /// Checks what `init(json:)` checks, for effects made in code (an import drops an
    /// analysis's effect that fails rather than refuse the record).
    public func validate() throws(ValidationError) {
        if kind == .other, name == nil {
            throw ValidationError(field: "name", reason: "an 'other' effect needs the source's name for it")
        }
        if kind != .other, name != nil {
            throw ValidationError(
                field: "name", reason: "only an 'other' effect has a name; '\(kind.rawValue)' names itself")
        }
        if kind.isRatio, !(value > 0) {
            throw ValidationError(field: "value", reason: "a \(kind.rawValue.replacingDash) must be greater than 0")
        }
        if let l = ciLevel, !(l > 0 && l < 100) {
            throw ValidationError(field: "ciLevel", reason: "a confidence level is a percentage between 0 and 100")
        }
        if let lo = ciLow, let hi = ciHigh, lo > hi {
            throw ValidationError(
                field: "ciLow",
                reason: "the interval's low end \(formatNumber(lo)) is above its high end \(formatNumber(hi))")
        }
        if kind.isRatio, let lo = ciLow, lo < 0 {
            throw ValidationError(field: "ciLow", reason: "a ratio's interval cannot go below 0")
        }
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("kind", kind)
        b.set("name", name)
        b.set("value", value)
        b.set("ciLevel", ciLevel)
        b.set("ciLow", ciLow)
        b.set("ciHigh", ciHigh)
        b.set("ciSides", ciSides.map(Int64.init))
        return b.value
    }

    /// `OR 15.231 (95% CI 7.336–31.623)`; a one-sided interval `(95% CI > 0.8)`.
    public var summary: String {
        var s = "\(kind.abbreviation ?? name ?? kind.rawValue) \(formatNumber(value))"
        let level = "\(formatNumber(ciLevel ?? 95))% CI"
        switch (ciLow, ciHigh) {
        case let (lo?, hi?): s += " (\(level) \(formatNumber(lo))–\(formatNumber(hi)))"
        case let (lo?, nil): s += " (\(level) ≥ \(formatNumber(lo)))"
        case let (nil, hi?): s += " (\(level) ≤ \(formatNumber(hi)))"
        case (nil, nil): break
        }
        return s
    }
}

extension String {
    fileprivate var replacingDash: String { String(map { $0 == "-" ? " " : $0 }) }
}

/// One comparison of a result (a registry's `analyses[]` item): the arms compared, the effect,
/// the p-value and the method. At least one of effect and p-value is given.
public struct Analysis: Equatable, Sendable {
    /// The arms compared, by the names the result's values use; absent when empty.
    public var arms: [String]
    public var effect: Effect?
    public var pValue: EndpointResult.PValue?
    /// `Regression, Logistic`, `ANCOVA`, `Log Rank`.
    public var method: String?

    public init(arms: [String] = [], effect: Effect? = nil, pValue: EndpointResult.PValue? = nil, method: String? = nil)
    {
        self.arms = arms
        self.effect = effect
        self.pValue = pValue
        self.method = method
    }

    public init(json: JSONValue) throws {
        var f = try FieldReader(json)
        arms = try f.strings("arms")
        effect = try f.object("effect") { try Effect(json: $0) }
        pValue = try f.object("pValue") { try EndpointResult.PValue(json: $0) }
        method = try f.optionalString("method", maxLength: 500)
        try f.finish()
        if effect == nil, pValue == nil {
            throw ValidationError(field: "", reason: "an analysis gives an effect, a p-value or both")
        }
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("arms", strings: arms)
        b.set("effect", effect?.json)
        b.set("pValue", pValue?.json)
        b.set("method", method)
        return b.value
    }

    /// `OR 15.231 (95% CI 7.336–31.623), P < .001`; nil when there is nothing to say.
    public var summary: String? {
        let parts = [effect?.summary, pValue?.summary].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }
}

extension EndpointResult.PValue {
    /// Reads `{"value", "comparator"?, "sided"?}`: the comparator defaults to `=`, `sided` to 2
    /// (as always); `"sided": "unstated"` says the source did not give it.
    public init(json: JSONValue) throws {
        var f = try FieldReader(json)
        let value = try f.double("value")
        guard value >= 0, value <= 1 else {
            throw ValidationError(field: "value", reason: "a p-value lies between 0 and 1")
        }
        let comparator: Comparator
        if let c = try f.optionalString("comparator") {
            guard let cc = Comparator(rawValue: c == "≤" ? "<=" : c) else {
                throw ValidationError(field: "comparator", reason: "'\(c)' is not one of: <, =, <=")
            }
            comparator = cc
        } else {
            comparator = .equal
        }
        let sided: Int?
        if case .string(let s)? = f.peek("sided") {
            guard s == Self.unstated else {
                throw ValidationError(
                    field: "sided", reason: "'\(s)' is not a sidedness; use 1, 2 or \"\(Self.unstated)\"")
            }
            _ = f.value("sided")
            sided = nil
        } else {
            sided = Int(try f.optionalInt("sided", range: 1...2) ?? 2)
        }
        try f.finish()
        self.init(value: value, comparator: comparator, sided: sided)
    }

    /// The word `sided` takes when the source does not say.
    public static let unstated = "unstated"

    public var json: JSONValue {
        [
            "value": .double(value), "comparator": .string(comparator.rawValue),
            "sided": sided.map { .int(Int64($0)) } ?? .string(Self.unstated),
        ]
    }

    /// `2-sided P < .0001` when the sidedness is known (as always), `P < .001` when unstated.
    public var summary: String {
        let cmp = comparator == .lessOrEqual ? "≤" : comparator.rawValue
        return (sided.map { "\($0)-sided " } ?? "") + "P \(cmp) \(formatPValue(value))"
    }
}
