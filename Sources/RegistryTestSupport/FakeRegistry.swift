import Synchronization
import TrialDomain

/// A stand-in for ClinicalTrials.gov's API that answers as the registry does, over a set of
/// records that a test changes as it goes: `/api/v2/version`; `/api/v2/studies` with
/// `filter.ids`, `query.term` (every word must occur in the record, case-insensitively; an
/// `AREA[Field]` prefix is read as its value), `filter.advanced=AREA[LastUpdatePostDate]RANGE[d,MAX]`,
/// `pageSize`, `pageToken` and `countTotal`; and the history calls `/api/int/studies/{id}/history`
/// and `/history/{version}`. Faults (a 429, a 503, a body cut short) are queued for the next
/// matching request. Serve it with `StubRegistryServer(handler: registry.answer)`.
public final class FakeRegistry: Sendable {
    public struct Fault: Sendable {
        /// Which requests it applies to: a path prefix and, if given, a `pageToken`.
        public var pathPrefix: String
        public var pageToken: String?
        public var response: @Sendable ([UInt8]) -> StubResponse
        public init(
            pathPrefix: String, pageToken: String? = nil, response: @escaping @Sendable ([UInt8]) -> StubResponse
        ) {
            self.pathPrefix = pathPrefix
            self.pageToken = pageToken
            self.response = response
        }
    }

    struct Record {
        var bytes: [UInt8]
        var lastUpdate: Day
        var text: String
    }

    struct State {
        var records: [String: Record] = [:]
        var histories: [String: (list: [UInt8], versions: [Int: [UInt8]])] = [:]
        var dataTimestamp = "2026-12-04T09:00:05"
        var faults: [Fault] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds or replaces a record (its NCT number and last update read from it).
    public func put(_ bytes: [UInt8]) throws {
        let value = try JSONValue.parse(bytes)
        guard let nct = value["protocolSection"]?["identificationModule"]?["nctId"]?.stringValue,
            let dateText = value["protocolSection"]?["statusModule"]?["lastUpdatePostDateStruct"]?["date"]?.stringValue,
            let day = Day(dateText)
        else { throw StubServerError("a record without nctId or lastUpdatePostDateStruct.date") }
        let text = String(decoding: bytes, as: UTF8.self).lowercased()
        state.withLock { $0.records[nct] = Record(bytes: bytes, lastUpdate: day, text: text) }
    }

    public func remove(_ nctId: String) { _ = state.withLock { $0.records.removeValue(forKey: nctId) } }

    /// The history list of a study and the bodies of its versions.
    public func putHistory(_ nctId: String, list: [UInt8], versions: [Int: [UInt8]]) {
        state.withLock { $0.histories[nctId] = (list, versions) }
    }

    /// `/api/v2/version`'s dataTimestamp (the registry's last refresh).
    public func setDataTimestamp(_ text: String) { state.withLock { $0.dataTimestamp = text } }

    /// Answers the next request matching the fault with its response instead (given the body
    /// that would have been sent).
    public func inject(_ fault: Fault) { state.withLock { $0.faults.append(fault) } }

    @Sendable public func answer(_ request: RecordedRequest) -> StubResponse {
        let normal = normalAnswer(request)
        return state.withLock { s in
            guard
                let i = s.faults.firstIndex(where: { f in
                    request.path.hasPrefix(f.pathPrefix)
                        && (f.pageToken == nil || f.pageToken == request.query("pageToken"))
                })
            else { return normal }
            return s.faults.remove(at: i).response(normal.body)
        }
    }

    private func normalAnswer(_ request: RecordedRequest) -> StubResponse {
        let s = state.withLock { $0 }
        switch request.path {
        case "/api/v2/version":
            return .json(#"{"apiVersion":"2.0.5","dataTimestamp":"\#(s.dataTimestamp)"}"#)
        case "/api/v2/studies":
            return studies(request, s)
        default:
            let parts = request.path.split(separator: "/").map(String.init)
            // api int studies NCT history [version]
            guard parts.count >= 5, parts[0] == "api", parts[1] == "int", parts[2] == "studies", parts[4] == "history",
                let history = s.histories[parts[3]]
            else { return .status(404, "not found") }
            if parts.count == 5 { return .json(history.list) }
            guard parts.count == 6, let v = Int(parts[5]), let body = history.versions[v] else {
                return .status(404, "no such version")
            }
            return .json(body)
        }
    }

    private func studies(_ request: RecordedRequest, _ s: State) -> StubResponse {
        var sorted = s.records.sorted { $0.key < $1.key }
        if let ids = request.query("filter.ids") {
            let wanted = Set(ids.split(separator: ",").map(String.init))
            sorted = sorted.filter { wanted.contains($0.key) }
        }
        var matching = sorted.map(\.value)
        if let advanced = request.query("filter.advanced") {
            let prefix = "AREA[LastUpdatePostDate]RANGE["
            guard advanced.hasPrefix(prefix), advanced.hasSuffix(",MAX]"),
                let from = Day(String(advanced.dropFirst(prefix.count).dropLast(5)))
            else { return .status(400, "filter.advanced not understood by the stand-in: \(advanced)") }
            matching = matching.filter { $0.lastUpdate >= from }
        }
        if let term = request.query("query.term") {
            let words = term.lowercased().split(separator: " ").map { word -> String in
                var w = Substring(word)
                if w.hasPrefix("area["), let close = w.firstIndex(of: "]") { w = w[w.index(after: close)...] }
                return String(w)
            }.filter { !$0.isEmpty && $0 != "and" }
            matching = matching.filter { r in words.allSatisfy { r.text.contains($0) } }
        }
        let size = Int(request.query("pageSize") ?? "10") ?? 10
        let offset = request.query("pageToken").flatMap { Int($0.dropFirst(1)) } ?? 0
        let page = matching.dropFirst(offset).prefix(size)
        return .json(
            StudiesPageBody.make(
                page.map(\.bytes), next: offset + size < matching.count ? "o\(offset + size)" : nil,
                total: request.query("countTotal") == "true" ? matching.count : nil))
    }
}

/// Changed copies of real records, as the registry would post them.
public enum StudyEdit {
    /// The record with its overall status, last update and optionally enrollment changed.
    public static func changing(
        _ bytes: [UInt8], status: String? = nil, lastUpdate: String, enrollment: Int64? = nil, whyStopped: String? = nil
    ) throws -> [UInt8] {
        guard case .object(var top) = try JSONValue.parse(bytes), case .object(var ps)? = top["protocolSection"],
            case .object(var sm)? = ps["statusModule"]
        else { throw StubServerError("not a v2 study record") }
        if let status { sm["overallStatus"] = .string(status) }
        if let whyStopped { sm["whyStopped"] = .string(whyStopped) }
        sm["lastUpdatePostDateStruct"] = .object(
            JSONObject([("date", .string(lastUpdate)), ("type", .string("ACTUAL"))]))
        ps["statusModule"] = .object(sm)
        if let enrollment, case .object(var dm)? = ps["designModule"] {
            dm["enrollmentInfo"] = .object(JSONObject([("count", .int(enrollment)), ("type", .string("ESTIMATED"))]))
            ps["designModule"] = .object(dm)
        }
        top["protocolSection"] = .object(ps)
        return Array(JSONValue.object(top).canonicalText.utf8)
    }
}
