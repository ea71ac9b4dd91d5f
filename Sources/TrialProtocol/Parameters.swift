import TrialDomain

/// Reads a call's parameters strictly, for the request types: a missing, mistyped or unknown
/// parameter is `org.varlink.service.InvalidParameter` naming it.
public struct Parameters {
    let object: JSONObject

    public init(_ object: JSONObject, allowed: [String]) throws(TrialsError) {
        for key in object.keys where !allowed.contains(key) { throw .invalidParameter(parameter: key) }
        self.object = object
    }

    private func value(_ key: String) -> JSONValue? {
        if let v = object[key], v != .null { return v }
        return nil
    }

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
