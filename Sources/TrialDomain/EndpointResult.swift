/// A structured result for one endpoint: values per arm, hazard ratio with its confidence
/// interval, p-value with comparator and sidedness, population size.
public struct EndpointResult: Equatable, Sendable {
    /// One arm's value (median PFS 11.1 months; ORR 50 %, 95 % CI 43–57).
    public struct ArmValue: Equatable, Sendable {
        public var arm: String
        public var value: Double
        public var unit: String?
        public var ciLow: Double?
        public var ciHigh: Double?

        public init(arm: String, value: Double, unit: String? = nil, ciLow: Double? = nil, ciHigh: Double? = nil) {
            self.arm = arm
            self.value = value
            self.unit = unit
            self.ciLow = ciLow
            self.ciHigh = ciHigh
        }
    }

    public struct HazardRatio: Equatable, Sendable {
        public var value: Double
        public var ciLow: Double?
        public var ciHigh: Double?
        /// Confidence level in percent (95).
        public var ciLevel: Double?

        public init(value: Double, ciLow: Double? = nil, ciHigh: Double? = nil, ciLevel: Double? = nil) {
            self.value = value
            self.ciLow = ciLow
            self.ciHigh = ciHigh
            self.ciLevel = ciLevel
        }
    }

    public struct PValue: Equatable, Sendable {
        public enum Comparator: String, CaseIterable, Sendable {
            case less = "<"
            case equal = "="
            case lessOrEqual = "<="
        }
        public var value: Double
        public var comparator: Comparator
        /// 1 or 2; nil when the source does not say (ClinicalTrials.gov's `pValue` text never
        /// does), written `"sided": "unstated"`. Decision: an omitted `sided` still reads as 2
        /// and is written `"sided": 2`, as every event already in a log was; "unstated" is a
        /// new value that only a writer who chose it gets, so no stored text changes.
        public var sided: Int?

        public init(value: Double, comparator: Comparator, sided: Int?) {
            self.value = value
            self.comparator = comparator
            self.sided = sided
        }
    }

    public var endpoint: String
    public var arms: [String]
    public var values: [ArmValue]
    public var hazardRatio: HazardRatio?
    public var pValue: PValue?
    public var n: Int64?
    /// The outcome's role in the protocol (`outcomeType`), when the source says: a registry's
    /// posted results do, a hand-entered readout need not. Absent when nil.
    public var outcomeType: OutcomeType?
    /// Comparisons between arms, each with its own effect, p-value and method (a registry's
    /// `analyses[]`). Absent when empty. `hazardRatio` and `pValue` above stay as they were for
    /// the one headline comparison a person types; an import puts every comparison here,
    /// hazard ratios included, so that each keeps its own p-value and method.
    public var analyses: [Analysis]

    public init(
        endpoint: String, arms: [String] = [], values: [ArmValue] = [], hazardRatio: HazardRatio? = nil,
        pValue: PValue? = nil, n: Int64? = nil, outcomeType: OutcomeType? = nil, analyses: [Analysis] = []
    ) {
        self.endpoint = endpoint
        self.arms = arms
        self.values = values
        self.hazardRatio = hazardRatio
        self.pValue = pValue
        self.n = n
        self.outcomeType = outcomeType
        self.analyses = analyses
    }

    /// - Parameter detail: `.lifecycle` reads the endpoint's name only (`PayloadDetail`).
    public init(json: JSONValue, detail: PayloadDetail = .full) throws {
        var r = try FieldReader(json)
        endpoint = try r.string("endpoint")
        if detail == .lifecycle {
            (arms, values, hazardRatio, pValue, n, outcomeType, analyses) = ([], [], nil, nil, nil, nil, [])
            return
        }
        arms = try r.strings("arms")
        values = try r.array("values") { v in
            var f = try FieldReader(v)
            let a = ArmValue(
                arm: try f.string("arm"), value: try f.double("value"), unit: try f.optionalString("unit"),
                ciLow: try f.optionalDouble("ciLow"), ciHigh: try f.optionalDouble("ciHigh"))
            try f.finish()
            try checkInterval(a.ciLow, a.value, a.ciHigh)
            return a
        }
        hazardRatio = try r.object("hazardRatio") { v in
            var f = try FieldReader(v)
            let h = HazardRatio(
                value: try f.double("value"), ciLow: try f.optionalDouble("ciLow"),
                ciHigh: try f.optionalDouble("ciHigh"),
                ciLevel: try f.optionalDouble("ciLevel"))
            try f.finish()
            guard h.value > 0 else {
                throw ValidationError(field: "value", reason: "a hazard ratio must be greater than 0")
            }
            if (h.ciLow == nil) != (h.ciHigh == nil) {
                throw ValidationError(
                    field: h.ciLow == nil ? "ciLow" : "ciHigh", reason: "give both ends of the interval")
            }
            try checkInterval(h.ciLow, h.value, h.ciHigh)
            if let l = h.ciLevel, !(l > 0 && l < 100) {
                throw ValidationError(field: "ciLevel", reason: "a confidence level is a percentage between 0 and 100")
            }
            return h
        }
        pValue = try r.object("pValue") { try PValue(json: $0) }
        n = try r.optionalInt("n", range: 0...100_000_000)
        outcomeType = try r.optionalEnumeration("outcomeType", OutcomeType.self)
        analyses = try r.array("analyses") { try Analysis(json: $0) }
        try r.finish()
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("endpoint", endpoint)
        b.set("arms", strings: arms)
        b.set(
            "values",
            array: values.map { v in
                var o = ObjectBuilder()
                o.set("arm", v.arm)
                o.set("value", v.value)
                o.set("unit", v.unit)
                o.set("ciLow", v.ciLow)
                o.set("ciHigh", v.ciHigh)
                return o.value
            })
        if let h = hazardRatio {
            var o = ObjectBuilder()
            o.set("value", h.value)
            o.set("ciLow", h.ciLow)
            o.set("ciHigh", h.ciHigh)
            o.set("ciLevel", h.ciLevel)
            b.set("hazardRatio", o.value)
        }
        b.set("pValue", pValue?.json)
        b.set("n", n)
        b.set("outcomeType", outcomeType)
        b.set("analyses", array: analyses.map(\.json))
        return b.value
    }

    /// `PFS 11.1 vs 5.8 months, HR 0.51 (95% CI 0.38–0.69), 1-sided P < .0001`.
    public var summary: String {
        if outcomeType != nil || !analyses.isEmpty { return labelledSummary }
        var parts: [String] = []
        var head = endpoint
        if !values.isEmpty {
            let units = Set(values.map { $0.unit ?? "" })
            let shared = units.count == 1 ? (units.first ?? "") : ""
            let vs = values.map { v -> String in
                var s = formatNumber(v.value)
                if shared.isEmpty, let u = v.unit { s += u == "%" ? "%" : " \(u)" }
                return s
            }.joined(separator: " vs ")
            head += " " + vs + (shared.isEmpty ? "" : (shared == "%" ? "%" : " \(shared)"))
        }
        parts.append(head)
        if let h = hazardRatio {
            var s = "HR \(formatNumber(h.value))"
            if let lo = h.ciLow, let hi = h.ciHigh {
                s += " (\(formatNumber(h.ciLevel ?? 95))% CI \(formatNumber(lo))–\(formatNumber(hi)))"
            }
            parts.append(s)
        }
        if let p = pValue { parts.append(p.summary) }
        if let n { parts.append("n = \(n)") }
        return parts.joined(separator: ", ")
    }
}

extension EndpointResult {
    /// A registry's result, each value with its arm and each comparison with its effect:
    /// `ASDAS-MI at Week 52: Placebo 7% vs CZP 47.2% (percentage of subjects), OR 15.231 (95% CI
    /// 7.336–31.623), P < .001`. Used when the result says its outcome type or carries analyses
    /// (what an import writes); a hand-entered result keeps `summary`'s older, shorter form.
    var labelledSummary: String {
        var parts: [String] = []
        var head = endpoint
        if !values.isEmpty {
            let units = Set(values.map { $0.unit ?? "" })
            let shared = units.count == 1 ? (units.first ?? "") : ""
            let percent = isPercentage(shared)
            let vs = values.map { v -> String in
                var s = "\(v.arm) \(formatNumber(v.value))"
                if percent { s += "%" } else if shared.isEmpty, let u = v.unit { s += " \(u)" }
                if let lo = v.ciLow, let hi = v.ciHigh { s += " (\(formatNumber(lo))–\(formatNumber(hi)))" }
                return s
            }.joined(separator: " vs ")
            head += ": " + vs + (shared.isEmpty || percent ? "" : " \(shared)")
        }
        parts.append(head)
        if let h = hazardRatio {
            parts.append(
                Effect(kind: .hazardRatio, value: h.value, ciLevel: h.ciLevel, ciLow: h.ciLow, ciHigh: h.ciHigh).summary
            )
        }
        if let p = pValue { parts.append(p.summary) }
        for a in analyses {
            if let s = a.summary { parts.append(s) }
        }
        if let n { parts.append("n = \(n)") }
        // Without values the first comparison reads straight after the name: `iDFS HR 0.96 …`.
        if values.isEmpty, parts.count > 1 { parts[0...1] = [parts[0] + " " + parts[1]] }
        return parts.joined(separator: ", ")
    }
}

/// `%`, `percentage of subjects`, `Percentage of participants`.
func isPercentage(_ unit: String) -> Bool {
    unit == "%" || unit.lowercased().hasPrefix("percentage") || unit.lowercased().hasPrefix("percent of")
}

func checkInterval(_ lo: Double?, _ v: Double, _ hi: Double?) throws {
    if let lo, let hi, lo > hi {
        throw ValidationError(
            field: "ciLow",
            reason: "the interval's low end \(formatNumber(lo)) is above its high end \(formatNumber(hi))")
    }
    if let lo, lo > v {
        throw ValidationError(
            field: "ciLow", reason: "the interval's low end \(formatNumber(lo)) is above the value \(formatNumber(v))")
    }
    if let hi, hi < v {
        throw ValidationError(
            field: "ciHigh", reason: "the interval's high end \(formatNumber(hi)) is below the value \(formatNumber(v))"
        )
    }
}

/// Shortest form: `11.1`, `0.51`, `780`.
public func formatNumber(_ d: Double) -> String {
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return "\(d)"
}

/// Journal style: `.0001`, `.46`, `1`.
public func formatPValue(_ d: Double) -> String {
    if d >= 1 { return "1" }
    var s = formatNumber(d)
    if s.hasPrefix("0.") { s.removeFirst() }
    return s
}
