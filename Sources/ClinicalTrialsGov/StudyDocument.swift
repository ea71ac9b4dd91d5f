import TrialDomain

/// Reads a ClinicalTrials.gov API v2 document: one study object, an array of studies, or a
/// page `{"studies": [...], "nextPageToken": ...}`. All or nothing: any error refuses the file.
public enum StudyDocument {
    /// Parses the bytes of one file (`file` names it in errors).
    public static func parse(_ bytes: [UInt8], file: String) throws(ImportError) -> [Study] {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw ImportError(file: file, path: "$", reason: error.description)
        }
        return try parse(value, file: file)
    }

    /// Reads an already parsed document.
    public static func parse(_ value: JSONValue, file: String) throws(ImportError) -> [Study] {
        switch value {
        case .object(let o) where o["studies"] != nil:
            let page = Node(object: o, path: "", file: file)
            var out: [Study] = []
            for (v, path) in try page.array("studies") { out.append(try study(v, path: path, file: file)) }
            return out
        case .object:
            return [try study(value, path: "", file: file)]
        case .array(let items):
            var out: [Study] = []
            out.reserveCapacity(items.count)
            for (i, v) in items.enumerated() { out.append(try study(v, path: "[\(i)]", file: file)) }
            return out
        default:
            throw ImportError(
                file: file, path: "$",
                reason:
                    "expected a study object, an array of studies or a {\"studies\": [...]} page, got \(value.kindName)"
            )
        }
    }

    /// Reads one study object found at `path` ("" for the root).
    static func study(_ value: JSONValue, path: String, file: String) throws(ImportError) -> Study {
        guard case .object(let o) = value else {
            throw ImportError(
                file: file, path: Node.shown(path), reason: "expected a study object, got \(value.kindName)")
        }
        let root = Node(object: o, path: path, file: file)
        let notAStudy = ImportError(
            file: file, path: Node.shown(path),
            reason: "not a ClinicalTrials.gov API v2 study (no protocolSection.identificationModule.nctId)")
        guard let protocolSection = try root.object("protocolSection"),
            let ident = try protocolSection.object("identificationModule"),
            let nctText = try ident.string("nctId", maxLength: 100)
        else { throw notAStudy }

        let nctId = try ident.nct(nctText, at: ident.key("nctId"))
        var aliases: [String] = []
        for (v, p) in try ident.array("nctIdAliases") {
            aliases.append(try ident.nct(try ident.elementString(v, at: p), at: p))
        }
        let orgStudyId = try ident.object("orgStudyIdInfo")?.string("id", maxLength: 200)
        var secondary: [Study.SecondaryId] = []
        for (v, p) in try ident.array("secondaryIdInfos") {
            let s = try ident.elementObject(v, at: p)
            guard let id = try s.string("id", maxLength: 200) else { continue }
            secondary.append(Study.SecondaryId(id: id, type: try s.string("type"), domain: try s.string("domain")))
        }
        let acronym = try ident.string("acronym", maxLength: 100)
        let briefTitle = try ident.string("briefTitle")
        let officialTitle = try ident.string("officialTitle")
        if briefTitle == nil, officialTitle == nil {
            throw ImportError(
                file: file, path: ident.key("briefTitle"), reason: "missing (required: a brief or official title)")
        }

        guard let status = try protocolSection.object("statusModule") else {
            throw ImportError(file: file, path: protocolSection.key("statusModule"), reason: "missing (required)")
        }
        guard let overall = try status.enumeration("overallStatus", RegistryVocabulary.overallStatus) else {
            throw ImportError(file: file, path: status.key("overallStatus"), reason: "missing (required)")
        }
        var lastKnown = try status.enumeration("lastKnownStatus", RegistryVocabulary.overallStatus)
        if lastKnown == .unknown { lastKnown = nil }
        guard let updateStruct = try status.object("lastUpdatePostDateStruct") else {
            throw ImportError(
                file: file, path: status.key("lastUpdatePostDateStruct"),
                reason: "missing (required: the record's last update)")
        }
        guard let lastUpdate = try updateStruct.day("date") else {
            throw ImportError(file: file, path: updateStruct.key("date"), reason: "missing (required)")
        }
        _ = try updateStruct.enumeration("type", RegistryVocabulary.estimateType)

        let design = try protocolSection.object("designModule")
        var phases: [Phase] = []
        if let design {
            for (v, p) in try design.array("phases") {
                let phase = try design.elementEnumeration(v, at: p, RegistryVocabulary.phase)
                if !phases.contains(phase) { phases.append(phase) }
            }
        }
        var enrollment: Study.EnrollmentInfo?
        if let e = try design?.object("enrollmentInfo"), let count = try e.int("count", range: 0...100_000_000) {
            enrollment = Study.EnrollmentInfo(
                count: count, type: try e.enumeration("type", RegistryVocabulary.estimateType))
        }
        let designInfo = try design?.object("designInfo")
        let allocation = try designInfo?.enumeration("allocation", RegistryVocabulary.allocation)
        let masking = try designInfo?.object("maskingInfo")?.enumeration("masking", RegistryVocabulary.masking)

        var arms: [Study.ArmGroup] = []
        if let module = try protocolSection.object("armsInterventionsModule") {
            for (v, p) in try module.array("armGroups") {
                let a = try module.elementObject(v, at: p)
                guard let label = try a.string("label") else {
                    throw ImportError(file: file, path: a.key("label"), reason: "missing (required)")
                }
                arms.append(
                    Study.ArmGroup(
                        label: label, type: try a.enumeration("type", RegistryVocabulary.armType),
                        interventionNames: try a.strings("interventionNames")))
            }
        }

        var primaryOutcomes: [String] = []
        if let module = try protocolSection.object("outcomesModule") {
            for (v, p) in try module.array("primaryOutcomes") {
                let o = try module.elementObject(v, at: p)
                guard let measure = try o.string("measure") else {
                    throw ImportError(file: file, path: o.key("measure"), reason: "missing (required)")
                }
                primaryOutcomes.append(measure)
            }
        }

        let sponsors = try protocolSection.object("sponsorCollaboratorsModule")
        var collaborators: [String] = []
        if let sponsors {
            for (v, p) in try sponsors.array("collaborators") {
                if let name = try sponsors.elementObject(v, at: p).string("name") { collaborators.append(name) }
            }
        }

        var postedResults: [EndpointResult] = []
        if let module = try root.object("resultsSection")?.object("outcomeMeasuresModule") {
            for (v, p) in try module.array("outcomeMeasures") {
                postedResults.append(try outcomeMeasure(module.elementObject(v, at: p)))
            }
        }

        var study = Study(
            path: Node.shown(path),
            nctId: nctId, nctIdAliases: aliases, orgStudyId: orgStudyId, secondaryIds: secondary, acronym: acronym,
            briefTitle: briefTitle, officialTitle: officialTitle,
            overallStatus: overall, lastKnownStatus: lastKnown, whyStopped: try status.string("whyStopped"),
            startDate: try status.studyDate("startDateStruct"),
            primaryCompletionDate: try status.studyDate("primaryCompletionDateStruct"),
            completionDate: try status.studyDate("completionDateStruct"),
            statusVerifiedDate: try status.partialDate("statusVerifiedDate"),
            firstPosted: try status.object("studyFirstPostDateStruct")?.day("date"),
            lastUpdatePosted: lastUpdate,
            phases: phases, enrollment: enrollment, allocation: allocation, masking: masking,
            armGroups: arms, primaryOutcomes: primaryOutcomes,
            leadSponsor: try sponsors?.object("leadSponsor")?.string("name"),
            collaborators: collaborators,
            conditions: try protocolSection.object("conditionsModule")?.strings("conditions") ?? [],
            hasResults: try root.bool("hasResults") ?? false)
        study.resultsFirstPosted = try status.object("resultsFirstPostDateStruct")?.day("date")
        study.postedResults = postedResults
        return study
    }

    /// Values past this many per outcome are left out (an outcome can have a value per
    /// group, class and category: hundreds), saying so nowhere but here.
    static let maximumValuesPerOutcome = 60

    /// One `outcomeMeasures[]` item as a structured result.
    ///
    /// Decisions: the registry gives numbers as text; a value that is not a number (`NA`,
    /// often with a comment) is left out, as is an analysis with neither a usable effect nor a
    /// usable p-value, and an effect the vocabulary refuses (a ratio of 0); the outcome itself
    /// is always kept. Each value is named by its group's title, followed by the class's and
    /// category's titles when given. Limits become the value's interval only when the
    /// dispersion is a confidence interval, and only when they contain the value. The p-value
    /// text (`<0.001`, `0.65`, `=0.247`, `≤0.05`) has no sidedness: it is `unstated` (the
    /// analysis's `ciNumSides` is the interval's, kept on the effect).
    static func outcomeMeasure(_ o: Node) throws(ImportError) -> EndpointResult {
        guard let title = try o.string("title") else {
            throw o.fail(o.key("title"), "missing (required)")
        }
        let type = try o.enumeration("type", RegistryVocabulary.outcomeType)
        let unit = try o.string("unitOfMeasure", maxLength: 200)
        let isCI = (try o.string("dispersionType"))?.lowercased().contains("confidence interval") ?? false
        var groups: [String: String] = [:]
        for (v, p) in try o.array("groups") {
            let g = try o.elementObject(v, at: p)
            if let id = try g.string("id") { groups[id] = try g.string("title") ?? id }
        }
        var values: [EndpointResult.ArmValue] = []
        for (cv, cp) in try o.array("classes") {
            let c = try o.elementObject(cv, at: cp)
            let classTitle = try c.string("title")
            for (kv, kp) in try c.array("categories") {
                let k = try c.elementObject(kv, at: kp)
                let categoryTitle = try k.string("title")
                for (mv, mp) in try k.array("measurements") {
                    let m = try k.elementObject(mv, at: mp)
                    guard let id = try m.string("groupId"), let value = number(try m.string("value")) else { continue }
                    let arm = ([groups[id] ?? id] + [classTitle, categoryTitle].compactMap { $0 }).joined(
                        separator: ", ")
                    var a = EndpointResult.ArmValue(arm: arm, value: value, unit: unit)
                    if isCI, let lo = number(try m.string("lowerLimit")), let hi = number(try m.string("upperLimit")),
                        lo <= value, value <= hi
                    {
                        (a.ciLow, a.ciHigh) = (lo, hi)
                    }
                    if values.count < maximumValuesPerOutcome { values.append(a) }
                }
            }
        }
        var analyses: [Analysis] = []
        for (av, ap) in try o.array("analyses") {
            let a = try o.elementObject(av, at: ap)
            var effect: Effect?
            if let name = try a.string("paramType", maxLength: 200), let value = number(try a.string("paramValue")) {
                let kind = effectKind(name)
                let sides: Int? =
                    switch try a.string("ciNumSides") {
                    case "ONE_SIDED": 1
                    case "TWO_SIDED": 2
                    default: nil
                    }
                let e = Effect(
                    kind: kind, name: kind == .other ? name : nil, value: value,
                    ciLevel: number(try a.string("ciPctValue")),
                    ciLow: number(try a.string("ciLowerLimit")), ciHigh: number(try a.string("ciUpperLimit")),
                    ciSides: sides)
                if (try? e.validate()) != nil { effect = e }
            }
            let pValue = pValue(try a.string("pValue"))
            guard effect != nil || pValue != nil else { continue }
            var arms: [String] = []
            for (gv, gp) in try a.array("groupIds") {
                let id = try a.elementString(gv, at: gp)
                arms.append(groups[id] ?? id)
            }
            analyses.append(
                Analysis(
                    arms: arms, effect: effect, pValue: pValue,
                    method: try a.string("statisticalMethod", maxLength: 500)))
        }
        return EndpointResult(endpoint: title, values: values, outcomeType: type, analyses: analyses)
    }

    /// The registry's `paramType` as a kind; names it does not standardise are `other`.
    static func effectKind(_ name: String) -> EffectKind {
        switch name.lowercased() {
        case "hazard ratio (hr)", "cox proportional hazard": .hazardRatio
        case "odds ratio (or)": .oddsRatio
        case "risk ratio (rr)": .riskRatio
        case "risk difference (rd)": .riskDifference
        case "mean difference (final values)", "mean difference (net)": .meanDifference
        case "median difference (final values)", "median difference (net)": .medianDifference
        default: .other
        }
    }

    /// A registry number (`"15.231"`, `"-1.70"`); nil for `NA` and other text.
    static func number(_ s: String?) -> Double? {
        guard let s, let d = Double(s), d.isFinite else { return nil }
        return d
    }

    /// `<0.001`, `0.65`, `=0.247`, `<=0.05`, `≤ 0.05`, `p<0.001`; nil for what is not one
    /// (`>0.05`, `NS`, a value outside 0...1).
    static func pValue(_ text: String?) -> EndpointResult.PValue? {
        guard var s = text?.filter({ !$0.isWhitespace }) else { return nil }
        if s.first == "p" || s.first == "P" { s.removeFirst() }
        var comparator = EndpointResult.PValue.Comparator.equal
        for (prefix, c) in [
            ("<=", EndpointResult.PValue.Comparator.lessOrEqual), ("≤", .lessOrEqual), ("<", .less), ("=", .equal),
        ]
        where s.hasPrefix(prefix) {
            comparator = c
            s.removeFirst(prefix.count)
            break
        }
        guard let v = Double(s), v >= 0, v <= 1 else { return nil }
        return EndpointResult.PValue(value: v, comparator: comparator, sided: nil)
    }
}

/// A JSON object being read, with its path for messages. Absent and `null` members read as nil;
/// members of the wrong type, unknown enumeration values and malformed dates are errors.
/// Members are found by a lenient `FieldReader` (a record has many modules the import never
/// reads); the typed getters keep the import's rules and its `ImportError`s (file and path).
struct Node {
    let reader: FieldReader
    /// "" for the document's root.
    let path: String
    let file: String

    init(object: JSONObject, path: String, file: String) {
        reader = FieldReader(object: object, .lenient)
        self.path = path
        self.file = file
    }

    static func shown(_ path: String) -> String { path.isEmpty ? "$" : path }

    func key(_ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }

    func fail(_ path: String, _ reason: String) -> ImportError {
        ImportError(file: file, path: Node.shown(path), reason: reason)
    }

    private func member(_ k: String) -> JSONValue? { reader.peek(k) }

    func object(_ k: String) throws(ImportError) -> Node? {
        guard let v = member(k) else { return nil }
        return try elementObject(v, at: key(k))
    }

    /// The elements of an array member with their paths; empty when absent.
    func array(_ k: String) throws(ImportError) -> [(JSONValue, String)] {
        guard let v = member(k) else { return [] }
        guard case .array(let items) = v else { throw fail(key(k), "expected an array, got \(v.kindName)") }
        let p = key(k)
        return items.enumerated().map { i, item in (item, "\(p)[\(i)]") }
    }

    func string(_ k: String, maxLength: Int = 10_000) throws(ImportError) -> String? {
        guard let v = member(k) else { return nil }
        guard case .string(let s) = v else { throw fail(key(k), "expected a string, got \(v.kindName)") }
        let t = s.trimmed
        if t.isEmpty { return nil }
        guard t.count <= maxLength else { throw fail(key(k), "longer than \(maxLength) characters") }
        return t
    }

    /// Non-empty strings of an array member (empty ones are left out).
    func strings(_ k: String) throws(ImportError) -> [String] {
        var out: [String] = []
        for (v, p) in try array(k) {
            let s = try elementString(v, at: p)
            if !s.isEmpty { out.append(s) }
        }
        return out
    }

    func int(_ k: String, range: ClosedRange<Int64>) throws(ImportError) -> Int64? {
        guard let v = member(k) else { return nil }
        guard let i = v.int64Value else {
            throw fail(
                key(k),
                v.doubleValue != nil
                    ? "expected a whole number, got \(v.canonicalText)" : "expected a number, got \(v.kindName)")
        }
        guard range.contains(i) else {
            throw fail(key(k), "\(i) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return i
    }

    func bool(_ k: String) throws(ImportError) -> Bool? {
        guard let v = member(k) else { return nil }
        guard case .bool(let b) = v else { throw fail(key(k), "expected a boolean, got \(v.kindName)") }
        return b
    }

    func enumeration<T>(_ k: String, _ table: [(String, T)]) throws(ImportError) -> T? {
        guard let v = member(k) else { return nil }
        return try elementEnumeration(v, at: key(k), table)
    }

    /// A partial date `yyyy`, `yyyy-MM` or `yyyy-MM-dd`.
    func partialDate(_ k: String) throws(ImportError) -> PartialDate? {
        guard let s = try string(k) else { return nil }
        guard let d = Node.registryDate(s) else {
            throw fail(key(k), "\(quoted(s)) is not a date; expected yyyy, yyyy-MM or yyyy-MM-dd")
        }
        return d
    }

    /// A full date `yyyy-MM-dd`.
    func day(_ k: String) throws(ImportError) -> Day? {
        guard let s = try string(k) else { return nil }
        guard s.utf8.count == 10, let d = Node.registryDate(s) else {
            throw fail(key(k), "\(quoted(s)) is not a date; expected yyyy-MM-dd")
        }
        return d.start
    }

    /// A PartialDateStruct `{date, type?}`.
    func studyDate(_ k: String) throws(ImportError) -> StudyDate? {
        guard let o = try object(k) else { return nil }
        guard let date = try o.partialDate("date") else { throw fail(o.key("date"), "missing (required)") }
        return StudyDate(date: date, type: try o.enumeration("type", RegistryVocabulary.estimateType))
    }

    func elementObject(_ v: JSONValue, at path: String) throws(ImportError) -> Node {
        guard case .object(let o) = v else { throw fail(path, "expected an object, got \(v.kindName)") }
        return Node(object: o, path: path, file: file)
    }

    func elementString(_ v: JSONValue, at path: String) throws(ImportError) -> String {
        guard case .string(let s) = v else { throw fail(path, "expected a string, got \(v.kindName)") }
        let t = s.trimmed
        guard t.count <= 10_000 else { throw fail(path, "longer than 10000 characters") }
        return t
    }

    func elementEnumeration<T>(_ v: JSONValue, at path: String, _ table: [(String, T)]) throws(ImportError) -> T {
        guard case .string(let s) = v else { throw fail(path, "expected a string, got \(v.kindName)") }
        if let hit = table.first(where: { $0.0 == s }) { return hit.1 }
        throw fail(path, "\(quoted(s)) is not a known value; expected one of \(table.map(\.0).joined(separator: ", "))")
    }

    /// An NCT number, validated by the domain.
    func nct(_ s: String, at path: String) throws(ImportError) -> String {
        do { return try TrialIdentifier(registry: .nct, id: s).id } catch { throw fail(path, oneLine(error.reason)) }
    }

    /// `yyyy`, `yyyy-MM` or `yyyy-MM-dd`, and nothing else (no quarters or halves).
    static func registryDate(_ s: String) -> PartialDate? {
        let u = Array(s.utf8)
        guard u.count == 4 || u.count == 7 || u.count == 10 else { return nil }
        for (i, c) in u.enumerated() {
            if i == 4 || i == 7 {
                guard c == UInt8(ascii: "-") else { return nil }
            } else {
                guard c >= 48, c <= 57 else { return nil }
            }
        }
        return try? PartialDate(parsing: s)
    }
}
