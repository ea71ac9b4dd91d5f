import TrialDomain

// Backup and Export: their requests and replies (kept apart from TrialsRequests.swift and
// TrialsResponses.swift only to ease merging; they follow the same rules).

public struct BackupRequest: TrialsRequest, Equatable {
    public static let method = TrialsMethod.backup
    /// Where trialsd writes the copy: an absolute path (trialsd's working directory means
    /// nothing to the caller), in a directory trialsd may write to.
    public var path: String
    /// Replace an existing file at `path`.
    public var overwrite: Bool

    public init(path: String, overwrite: Bool = false) {
        self.path = path
        self.overwrite = overwrite
    }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(parameters, allowed: ["path", "overwrite"])
        overwrite = try p.bool("overwrite") ?? false
        path = try p.requiredString("path")
    }

    public var parameters: JSONObject {
        var o = JSONObject([("path", .string(path))])
        if overwrite { o["overwrite"] = .bool(true) }
        return o
    }
}

public struct BackupResponse: TrialsResponse, Equatable {
    /// The copy's last seq and its hash, recomputed from the copy.
    public var lastSeq: Int64
    public var headHash: String
    /// The copy's size.
    public var bytes: Int64
    /// From the first page copied to the copy in place, verification included.
    public var seconds: Double

    public init(lastSeq: Int64, headHash: String, bytes: Int64, seconds: Double) {
        self.lastSeq = lastSeq
        self.headHash = headHash
        self.bytes = bytes
        self.seconds = seconds
    }

    public init(parameters r: JSONObject) throws(ValidationError) {
        guard let seq = r["lastSeq"]?.int64Value else {
            throw ValidationError(field: "lastSeq", reason: "expected an integer")
        }
        guard let hash = r["headHash"]?.stringValue else {
            throw ValidationError(field: "headHash", reason: "expected a string")
        }
        lastSeq = seq
        headHash = hash
        bytes = r["bytes"]?.int64Value ?? 0
        seconds = r["seconds"]?.doubleValue ?? 0
    }

    public var parameters: JSONObject {
        JSONObject([
            ("lastSeq", .int(lastSeq)), ("headHash", .string(headHash)), ("bytes", .int(bytes)),
            ("seconds", .double(seconds)),
        ])
    }
}

public struct ExportRequest: TrialsRequest, Equatable {
    public static let method = TrialsMethod.export
    /// Only the events after this seq; nil: the whole log.
    public var since: Int64?

    public init(since: Int64? = nil) { self.since = since }

    public init(parameters: JSONObject) throws(TrialsError) {
        let p = try Parameters(parameters, allowed: ["since"])
        since = try p.int("since", in: 0...Int64.max)
    }

    public var parameters: JSONObject {
        var o = JSONObject()
        if let since { o["since"] = .int(since) }
        return o
    }
}

/// One reply of an Export: up to `ExportResponse.pageSize` lines of the JSONL export, each
/// without its newline.
public struct ExportResponse: TrialsResponse, Equatable {
    /// Lines in one reply: a page is a few hundred KiB.
    public static let pageSize = 1_000

    public var lines: [String]

    public init(lines: [String]) { self.lines = lines }

    public init(parameters: JSONObject) throws(ValidationError) {
        var out: [String] = []
        for (i, v) in try FieldReader.reply(parameters).replyArray("lines").enumerated() {
            guard case .string(let s) = v else {
                throw ValidationError(field: "lines[\(i)]", reason: "expected a string")
            }
            out.append(s)
        }
        lines = out
    }

    public var parameters: JSONObject { JSONObject([("lines", .array(lines.map { .string($0) }))]) }
}
