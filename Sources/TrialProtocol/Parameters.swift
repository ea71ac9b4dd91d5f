import TrialDomain

/// Reads a call's parameters strictly, for the request types: a missing, mistyped or unknown
/// parameter is `org.varlink.service.InvalidParameter` naming it. A strict `FieldReader`
/// underneath (the one way of reading JSON, docs/ARCHITECTURE.md): it judges which members are
/// unknown; the getters keep the wire's own rules (strings as sent, not trimmed) and errors.
public struct Parameters {
    let reader: FieldReader

    public init(_ object: JSONObject, allowed: [String]) throws(TrialsError) {
        var r = FieldReader(object: object, .strict)
        for key in allowed { _ = r.value(key) }
        // The first unknown member in key order, as before.
        if let unknown = r.unread { throw .invalidParameter(parameter: unknown) }
        reader = r
    }

    /// The member's value; nil when absent or null.
    private func value(_ key: String) -> JSONValue? { reader.peek(key) }

    public func string(_ key: String) throws(TrialsError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw .invalidParameter(parameter: key) }
        return s
    }

    public func requiredString(_ key: String) throws(TrialsError) -> String {
        guard let s = try string(key), !s.isEmpty else { throw .invalidParameter(parameter: key) }
        return s
    }

    /// A whole number within `range`: every integer a client sends is checked where it is read,
    /// so that no arithmetic on it can overflow (a day count added to today, a seq, a limit).
    public func int(_ key: String, in range: ClosedRange<Int64>) throws(TrialsError) -> Int64? {
        guard let v = value(key) else { return nil }
        guard let i = v.int64Value, range.contains(i) else { throw .invalidParameter(parameter: key) }
        return i
    }

    public func requiredInt(_ key: String, in range: ClosedRange<Int64>) throws(TrialsError) -> Int64 {
        guard let i = try int(key, in: range) else { throw .invalidParameter(parameter: key) }
        return i
    }

    public func bool(_ key: String) throws(TrialsError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw .invalidParameter(parameter: key) }
        return b
    }

    public func strings(_ key: String) throws(TrialsError) -> [String] {
        guard let v = value(key) else { return [] }
        guard case .array(let items) = v else { throw .invalidParameter(parameter: key) }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw .invalidParameter(parameter: key) }
            out.append(s)
        }
        return out
    }

    public func requiredObject(_ key: String) throws(TrialsError) -> JSONValue {
        guard let v = value(key), case .object = v else { throw .invalidParameter(parameter: key) }
        return v
    }

    public func requiredArray(_ key: String) throws(TrialsError) -> [JSONValue] {
        guard let v = value(key), case .array(let a) = v else { throw .invalidParameter(parameter: key) }
        return a
    }
}
