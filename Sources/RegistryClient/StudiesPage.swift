import TrialDomain

/// One page of `/api/v2/studies`: `{"studies":[…], "nextPageToken":"…", "totalCount":N}`.
/// Each study is kept as the bytes the registry sent (`rawStudies`): the page is scanned for
/// them (JSONSlicer), not parsed into a tree, which for a page of 1000 records would take ten
/// times its 25 MB. A study's bytes are checked whole where they are parsed (`studies` here,
/// trialsd for a sync). A page may hold no studies.
public struct StudiesPage: Sendable {
    /// The URL the page came from, for messages.
    public let url: String
    /// The page's body, and each study's range in it.
    public let body: [UInt8]
    public let ranges: [Range<Int>]
    /// The next page's token; nil (absent, null or empty) on the last page.
    public let nextPageToken: String?
    /// How many studies match in all: given on the first page, when `countTotal=true` was asked.
    public let totalCount: Int?

    /// Each study's bytes, as sent.
    public var rawStudies: [ArraySlice<UInt8>] { ranges.map { body[$0] } }

    /// Each study as a JSONValue (a study that does not parse is null).
    public var studies: [JSONValue] { ranges.map { (try? JSONValue.parse(Array(body[$0]))) ?? .null } }

    public static func decode(_ bytes: [UInt8], url: String) throws(RegistryError) -> StudiesPage {
        let shape = AnswerShape(url: url)
        let members: [(key: ArraySlice<UInt8>, value: Range<Int>)]
        do {
            let first = bytes.firstIndex { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
            if let first, bytes[first] != UInt8(ascii: "{") {
                _ = try shape.top(try shape.parse(bytes), requiring: "studies")
            }
            members = try JSONSlicer.topMembers(bytes)
        } catch let e as JSONSlicer.Malformed {
            let what =
                bytes.isEmpty ? "an empty body, not JSON" : "the body is not whole JSON (\(bytes.count) bytes, \(e))"
            throw RegistryError(url: url, kind: .malformedJSON, reason: what)
        } catch let e as RegistryError {
            throw e
        } catch {
            throw RegistryError(url: url, kind: .malformedJSON, reason: "\(error)")
        }
        // The small members parsed as values, the studies only found: the top level as the
        // shape checks read it, with a placeholder for each study.
        var top = JSONObject()
        var studyRanges: [Range<Int>]?
        for m in members {
            let key = String(decoding: m.key, as: UTF8.self)
            if key == "studies", bytes[m.value.lowerBound] == UInt8(ascii: "[") {
                do { studyRanges = try JSONSlicer.elements(bytes, in: m.value) } catch {
                    throw RegistryError(
                        url: url, kind: .malformedJSON,
                        reason: "the body is not whole JSON (\(bytes.count) bytes, \(error))")
                }
                top[key] = .array([])
            } else {
                top[key] = try shape.parse(Array(bytes[m.value]))
            }
        }
        _ = try shape.top(.object(top), requiring: "studies")
        // "studies" is there (checked above); not an array, it was parsed into `top` whole.
        guard let studyRanges else {
            throw shape.unexpected("\"studies\" is \(top["studies"]?.kindName ?? "missing"), not an array")
        }
        for (i, r) in studyRanges.enumerated() where bytes[r.lowerBound] != UInt8(ascii: "{") {
            throw shape.unexpected("studies[\(i)] is \(try shape.parse(Array(bytes[r])).kindName), not an object")
        }
        let token = try shape.optionalString(top["nextPageToken"], "\"nextPageToken\"")
        let total = try shape.optionalInt(top["totalCount"], "\"totalCount\"")
        return StudiesPage(
            url: url, body: bytes, ranges: studyRanges, nextPageToken: token?.isEmpty == true ? nil : token,
            totalCount: total)
    }

    public init(url: String, body: [UInt8], ranges: [Range<Int>], nextPageToken: String?, totalCount: Int?) {
        self.url = url
        self.body = body
        self.ranges = ranges
        self.nextPageToken = nextPageToken
        self.totalCount = totalCount
    }
}
