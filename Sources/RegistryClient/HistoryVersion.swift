import TrialDomain

/// `/api/int/studies/{nctId}/history/{version}`: `{"studyVersion":N,"study":{…a v2 study…}}`.
/// The study has the v2 record's shape, but its text is HTML-escaped (`&#x2F;`, `&lt;`) and
/// its eligibility criteria are HTML (Tests/Fixtures/ctgov-history/SOURCES.md); the body
/// carries no date of its own: the version's date is its `HistoryChange.date`.
public struct HistoryVersion: Sendable {
    public let studyVersion: Int
    public let study: JSONValue

    public init(studyVersion: Int, study: JSONValue) {
        self.studyVersion = studyVersion
        self.study = study
    }

    public static func decode(_ bytes: [UInt8], url: String) throws(RegistryError) -> HistoryVersion {
        let shape = AnswerShape(url: url)
        let top = try shape.top(try shape.parse(bytes), requiring: "study")
        let version = try shape.int(top["studyVersion"], "\"studyVersion\"")
        guard let study = top["study"], study.objectValue != nil else {
            throw shape.unexpected("\"study\" is \(top["study"]?.kindName ?? "missing"), not an object")
        }
        return HistoryVersion(studyVersion: version, study: study)
    }
}
