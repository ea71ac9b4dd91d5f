// Payloads of results: interim analyses, readouts, presentations and publications.

/// `interim-analysis`: which analysis, the endpoints assessed, the outcome and results.
public struct InterimAnalysis: Equatable, Sendable {
    public var analysis: String?
    public var endpoints: [String]
    public var outcome: InterimOutcome
    public var results: [EndpointResult]
    /// Where it was made public (`ASCO 2026`), if said.
    public var venue: String?

    public init(
        analysis: String? = nil, endpoints: [String] = [], outcome: InterimOutcome, results: [EndpointResult] = [],
        venue: String? = nil
    ) {
        self.analysis = analysis
        self.endpoints = endpoints
        self.outcome = outcome
        self.results = results
        self.venue = venue
    }

    public init(json: JSONValue, detail: PayloadDetail = .full) throws {
        var r = try FieldReader(json)
        analysis = try r.optionalString("analysis")
        endpoints = try r.strings("endpoints")
        outcome = try r.enumeration("outcome", InterimOutcome.self)
        results = try r.array("results") { try EndpointResult(json: $0, detail: detail) }
        venue = try r.optionalString("venue")
        try r.finish()
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("analysis", analysis)
        b.set("endpoints", strings: endpoints)
        b.set("outcome", outcome)
        b.set("results", array: results.map(\.json))
        b.set("venue", venue)
        return b.value
    }
}

/// `readout`: top-line, primary, final or updated results.
public struct Readout: Equatable, Sendable {
    public var kind: ReadoutKind
    public var outcome: ReadoutOutcome
    public var endpoints: [String]
    public var results: [EndpointResult]
    public var venue: String?

    public init(
        kind: ReadoutKind, outcome: ReadoutOutcome, endpoints: [String] = [], results: [EndpointResult] = [],
        venue: String? = nil
    ) {
        self.kind = kind
        self.outcome = outcome
        self.endpoints = endpoints
        self.results = results
        self.venue = venue
    }

    public init(json: JSONValue, detail: PayloadDetail = .full) throws {
        var r = try FieldReader(json)
        kind = try r.enumeration("kind", ReadoutKind.self)
        outcome = try r.enumeration("outcome", ReadoutOutcome.self)
        endpoints = try r.strings("endpoints")
        results = try r.array("results") { try EndpointResult(json: $0, detail: detail) }
        venue = try r.optionalString("venue")
        try r.finish()
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("kind", kind)
        b.set("outcome", outcome)
        b.set("endpoints", strings: endpoints)
        b.set("results", array: results.map(\.json))
        b.set("venue", venue)
        return b.value
    }
}

/// `presented`: a conference presentation.
public struct Presented: Equatable, Sendable {
    public var venue: String
    public var abstract: String?

    public init(venue: String, abstract: String? = nil) {
        self.venue = venue
        self.abstract = abstract
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        venue = try r.string("venue")
        abstract = try r.optionalString("abstract")
        try r.finish()
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("venue", venue)
        b.set("abstract", abstract)
        return b.value
    }
}

/// `published`: a journal citation and DOI.
public struct Published: Equatable, Sendable {
    public var citation: String
    public var doi: String?

    public init(citation: String, doi: String? = nil) {
        self.citation = citation
        self.doi = doi
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        citation = try r.string("citation")
        var d = try r.optionalString("doi")
        try r.finish()
        if let raw = d {
            let lower = raw.lowercased()
            for prefix in ["https://doi.org/", "http://doi.org/", "doi:"] where lower.hasPrefix(prefix) {
                d = String(raw.dropFirst(prefix.count))
            }
            let s = d!
            let parts = s.split(separator: "/", maxSplits: 1)
            guard parts.count == 2, parts[0].hasPrefix("10."), parts[0].count >= 7,
                parts[0].dropFirst(3).allSatisfy({ $0.isNumber || $0 == "." }), !parts[1].isEmpty,
                !s.contains(where: { $0.isWhitespace })
            else {
                throw ValidationError(
                    field: "doi",
                    reason: "'\(raw)' is not a DOI; the form is 10.NNNN/suffix, e.g. 10.1016/S0140-6736(24)02722-3")
            }
        }
        doi = d
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("citation", citation)
        b.set("doi", doi)
        return b.value
    }
}
