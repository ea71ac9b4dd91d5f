import TrialDomain

/// Real records replicated under fresh NCT ids, for the sync benchmark and large-scale tests:
/// each copy is its template's bytes with every occurrence of the template's NCT number
/// replaced, so parsing and planning cost what the real record costs.
public struct ReplicatedStudies: Sendable {
    public struct Template: Sendable {
        public let nctId: String
        public let bytes: [UInt8]
        /// The record's other names (the sponsor's protocol id, secondary ids, acronym): a copy
        /// gets its own, since two trials may not share one.
        let otherIds: [String]

        public init(nctId: String, bytes: [UInt8]) {
            self.nctId = nctId
            self.bytes = bytes
            let ident = (try? JSONValue.parse(bytes))?["protocolSection"]?["identificationModule"]
            var ids: [String] = []
            if let org = ident?["orgStudyIdInfo"]?["id"]?.stringValue { ids.append(org) }
            if let acronym = ident?["acronym"]?.stringValue { ids.append(acronym) }
            for s in ident?["secondaryIdInfos"]?.arrayValue ?? [] {
                if let id = s["id"]?.stringValue { ids.append(id) }
            }
            // Longest first, so that an id inside another is not replaced in it first.
            otherIds = ids.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        }
    }

    public let templates: [Template]

    public init(templates: [Template]) { self.templates = templates }

    /// The i-th fresh NCT number: NCT9 followed by seven digits (no real record has one yet).
    public static func nctId(_ i: Int) -> String {
        let digits = String(i)
        return "NCT9" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }

    /// Copy `i`: template `i % templates.count` under `nctId(i)`.
    public func study(_ i: Int) -> [UInt8] {
        let t = templates[i % templates.count]
        var out = Self.replacing(Array(t.nctId.utf8), with: Array(Self.nctId(i).utf8), in: t.bytes)
        for id in t.otherIds {
            out = Self.replacing(Array("\"\(id)\"".utf8), with: Array("\"\(id)-\(i)\"".utf8), in: out)
        }
        return out
    }

    /// A `/api/v2/studies` page of copies `range`, with a next token unless it is the last.
    public func page(_ range: Range<Int>, next: String?, total: Int?) -> [UInt8] {
        StudiesPageBody.make(range.lazy.map(study), next: next, total: total)
    }

    /// A record with results made at least `size` bytes the way the registry's largest records
    /// (1.5 MB and more) are large: every list of its results section (participant flow,
    /// baseline characteristics, outcome measures, adverse events) repeated alike.
    public static func enlarged(_ bytes: [UInt8], toAtLeast size: Int) throws -> [UInt8] {
        guard case .object(var top) = try JSONValue.parse(bytes), case .object(let results)? = top["resultsSection"]
        else {
            return bytes
        }
        var factor = 1
        while true {
            var grown = JSONObject()
            for module in results.members {
                guard case .object(let m) = module.value else { grown[module.key] = module.value; continue }
                var g = JSONObject()
                for member in m.members {
                    if case .array(let items) = member.value, !items.isEmpty {
                        g[member.key] = .array(Array([[JSONValue]](repeating: items, count: factor).joined()))
                    } else {
                        g[member.key] = member.value
                    }
                }
                grown[module.key] = .object(g)
            }
            top["resultsSection"] = .object(grown)
            let out = Array(JSONValue.object(top).canonicalText.utf8)
            if out.count >= size || factor > 1000 { return out }
            factor += 1
        }
    }

    static func replacing(_ needle: [UInt8], with replacement: [UInt8], in haystack: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(haystack.count)
        var i = 0
        while i < haystack.count {
            if haystack[i] == needle[0], i + needle.count <= haystack.count,
                haystack[i..<(i + needle.count)].elementsEqual(needle)
            {
                out += replacement
                i += needle.count
            } else {
                out.append(haystack[i])
                i += 1
            }
        }
        return out
    }
}
