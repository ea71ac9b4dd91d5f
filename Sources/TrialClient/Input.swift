import TrialDomain

/// Reading what the user gives: KEY=VALUE payload fields, `--payload JSON|@FILE`, JSONL files.
public enum Input {
    /// A KEY=VALUE argument's value: JSON when it parses as a number, boolean, array, object or
    /// quoted string (`780`, `true`, `["OS"]`, `"780"`); anything else (`recruiting`, `null`,
    /// `007`) is the plain string as typed. (`assignment` keeps the fields in `textFields` text.)
    public static func value(_ raw: String) -> JSONValue {
        guard let v = try? JSONValue.parse(raw) else { return .string(raw) }
        switch v {
        case .null: return .string(raw)
        default: return v
        }
    }

    /// Payload fields of the event contract that are always text, whatever their value looks
    /// like: `window=2027` and `abstract=8508` stay strings.
    public static let textFields: Set<String> = [
        "title", "acronym", "sponsor", "status", "whyStopped", "lastKnownStatus", "analysis", "outcome", "venue",
        "kind",
        "abstract", "citation", "doi", "agency", "application", "indication", "state", "targetActionDate", "decision",
        "milestone", "window", "reason",
    ]

    /// Splits `KEY=VALUE` at the first `=`.
    public static func assignment(_ arg: String) throws(TrialctlError) -> (key: String, value: JSONValue) {
        guard let eq = arg.firstIndex(of: "=") else {
            throw .usage("'\(arg)' is not KEY=VALUE (a payload field, e.g. status=recruiting)")
        }
        let key = String(arg[..<eq])
        guard !key.isEmpty, !key.contains(where: { $0.isWhitespace }) else {
            throw .usage("'\(arg)' has no field name before '='")
        }
        let raw = String(arg[arg.index(after: eq)...])
        var v = value(raw)
        switch v {
        case .int, .double, .bool: if textFields.contains(key) { v = .string(raw) }
        default: break
        }
        return (key, v)
    }

    /// The payload: `--payload` (inline JSON, `@FILE`, or `@-` for standard input) as the base,
    /// then each KEY=VALUE setting a top-level field.
    public static func payload(
        option: String?, assignments: [String], base: JSONObject = JSONObject(),
        read: (String) throws(TrialctlError) -> [UInt8]
    ) throws(TrialctlError) -> JSONObject {
        var object = base
        if let option {
            if option.hasPrefix("@") {
                let path = String(option.dropFirst())
                guard !path.isEmpty else { throw .usage("--payload @ needs a file name (or @- for standard input)") }
                object = try jsonObject(read(path), name: displayName(path), status: .failure)
            } else {
                object = try jsonObject(Array(option.utf8), name: "--payload", status: .usage)
            }
        }
        for a in assignments {
            let (k, v) = try assignment(a)
            object[k] = v
        }
        return object
    }

    /// How a file given on the command line is named in messages: `-` is `<stdin>`.
    static func displayName(_ path: String) -> String { path == "-" ? "<stdin>" : path }

    /// The JSON value of a whole document; `X is not JSON: reason (line 3, column 17)` if it is not.
    static func json(_ bytes: [UInt8], name: String, status: ExitStatus = .failure) throws(TrialctlError) -> JSONValue {
        do { return try JSONValue.parse(bytes) } catch {
            throw TrialctlError(
                "\(name) is not JSON: \(error.reason) (\(position(bytes, error.offset)))", status: status)
        }
    }

    static func jsonObject(_ bytes: [UInt8], name: String, status: ExitStatus) throws(TrialctlError) -> JSONObject {
        let v = try json(bytes, name: name, status: status)
        guard case .object(let o) = v else {
            throw TrialctlError("\(name) must be a JSON object, not \(v.kindName)", status: status)
        }
        return o
    }

    /// `line 3, column 17` of a byte offset (`column 17` when `bytes` holds no newline).
    static func position(_ bytes: [UInt8], _ offset: Int) -> String {
        var line = 1
        var col = 1
        for b in bytes.prefix(offset) {
            if b == UInt8(ascii: "\n") { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 }
        }
        return bytes.contains(UInt8(ascii: "\n")) ? "line \(line), column \(col)" : "column \(col)"
    }

    /// One event object a line; blank lines skipped. A line that is not a JSON object is an
    /// error naming `file:line`, before anything is sent.
    public static func jsonLines(_ bytes: [UInt8], name: String) throws(TrialctlError) -> [(
        line: Int, event: JSONObject
    )] {
        var out: [(Int, JSONObject)] = []
        var lineNumber = 0
        var start = 0
        var content = bytes
        if content.starts(with: [0xEF, 0xBB, 0xBF]) { content.removeFirst(3) }  // a BOM
        while start <= content.count {
            let end = content[start...].firstIndex(of: UInt8(ascii: "\n")) ?? content.count
            lineNumber += 1
            var line = Array(content[start..<end])
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                if end == content.count { break }
                continue
            }
            let v: JSONValue
            do { v = try JSONValue.parse(line) } catch {
                throw .failure("\(name):\(lineNumber): not JSON: \(error.reason) (\(position(line, error.offset)))")
            }
            guard case .object(let o) = v else {
                throw .failure("\(name):\(lineNumber): expected an event object, got \(v.kindName)")
            }
            out.append((lineNumber, o))
            if end == content.count { break }
        }
        return out
    }
}
