import TrialDomain

/// One page of `/api/v2/studies`: `{"studies":[…], "nextPageToken":"…", "totalCount":N}`.
/// Each study is the v2 record as a `JSONValue`, which ClinicalTrialsGov's
/// `StudyDocument.parse(_:file:)` takes as it is. A page may hold no studies.
public struct StudiesPage: Sendable {
    /// The URL the page came from, for messages.
    public let url: String
    public let studies: [JSONValue]
    /// The next page's token; nil (absent, null or empty) on the last page.
    public let nextPageToken: String?
    /// How many studies match in all: given on the first page, when `countTotal=true` was asked.
    public let totalCount: Int?

    public init(url: String, studies: [JSONValue], nextPageToken: String?, totalCount: Int?) {
        self.url = url
        self.studies = studies
        self.nextPageToken = nextPageToken
        self.totalCount = totalCount
    }

    public static func decode(_ bytes: [UInt8], url: String) throws(RegistryError) -> StudiesPage {
        let shape = AnswerShape(url: url)
        let top = try shape.top(try shape.parse(bytes), requiring: "studies")
        let studies = try shape.array(top["studies"], "\"studies\"")
        for (i, study) in studies.enumerated() where study.objectValue == nil {
            throw shape.unexpected("studies[\(i)] is \(study.kindName), not an object")
        }
        let token = try shape.optionalString(top["nextPageToken"], "\"nextPageToken\"")
        let total = try shape.optionalInt(top["totalCount"], "\"totalCount\"")
        return StudiesPage(url: url, studies: studies, nextPageToken: token?.isEmpty == true ? nil : token, totalCount: total)
    }
}
