import TrialDomain

/// `/api/int/studies/{nctId}/history`: the versions the registry lists for a study,
/// `{"changes":[{"version":0,"date":"2020-02-21","status":"NOT_YET_RECRUITING","moduleLabels":[],…}],…}`.
/// The other top-level members (`lastUpdateVersions`, `originalData`, …) vary by trial and are
/// not read. See Tests/Fixtures/ctgov-history/SOURCES.md for what is known of the shape.
public struct StudyHistory: Equatable, Sendable {
    public let changes: [HistoryChange]

    public init(changes: [HistoryChange]) { self.changes = changes }

    public static func decode(_ bytes: [UInt8], url: String) throws(RegistryError) -> StudyHistory {
        let shape = AnswerShape(url: url)
        let top = try shape.top(try shape.parse(bytes), requiring: "changes")
        var changes: [HistoryChange] = []
        for (i, entry) in try shape.array(top["changes"], "\"changes\"").enumerated() {
            changes.append(try HistoryChange(entry, path: "changes[\(i)]", shape: shape))
        }
        return StudyHistory(changes: changes)
    }
}

/// One version in the list.
public struct HistoryChange: Equatable, Sendable {
    /// 0-based, as `/history/{version}` takes it.
    public let version: Int
    /// The day the version was posted.
    public let date: Day
    /// The overall status in that version (an `overallStatus` value), when given.
    public let status: String?
    public let studyType: String?
    /// The display labels of the modules that version changed ("Study Status", "Outcome
    /// Measures", …); empty for version 0.
    public let moduleLabels: [String]
    /// The version failed QC review.
    public let reviewNotPassed: Bool
    /// The whole entry, for what is not read above.
    public let raw: JSONValue

    public init(
        version: Int, date: Day, status: String? = nil, studyType: String? = nil, moduleLabels: [String] = [],
        reviewNotPassed: Bool = false, raw: JSONValue = .null
    ) {
        self.version = version
        self.date = date
        self.status = status
        self.studyType = studyType
        self.moduleLabels = moduleLabels
        self.reviewNotPassed = reviewNotPassed
        self.raw = raw
    }

    init(_ entry: JSONValue, path: String, shape: AnswerShape) throws(RegistryError) {
        guard let o = entry.objectValue else { throw shape.unexpected("\(path) is \(entry.kindName), not an object") }
        var labels: [String] = []
        if let list = o["moduleLabels"], list != .null {
            for (j, label) in try shape.array(list, "\(path).moduleLabels").enumerated() {
                labels.append(try shape.string(label, "\(path).moduleLabels[\(j)]"))
            }
        }
        var notPassed = false
        if let flag = o["reviewNotPassed"], flag != .null {
            guard case .bool(let b) = flag else {
                throw shape.unexpected("\(path).reviewNotPassed is \(flag.kindName), not a boolean")
            }
            notPassed = b
        }
        self.init(
            version: try shape.int(o["version"], "\(path).version"),
            date: try shape.day(o["date"], "\(path).date"),
            status: try shape.optionalString(o["status"], "\(path).status"),
            studyType: try shape.optionalString(o["studyType"], "\(path).studyType"),
            moduleLabels: labels, reviewNotPassed: notPassed, raw: entry)
    }
}
