import TrialDomain
import TrialProtocol

/// Reads a call's parameters; a missing, mistyped or unknown parameter is
/// `org.varlink.service.InvalidParameter` naming it.
struct Parameters {
    let object: JSONObject

    init(_ object: JSONObject, allowed: [String]) throws(VarlinkError) {
        for key in object.keys where !allowed.contains(key) { throw .invalidParameter(key) }
        self.object = object
    }

    private func value(_ key: String) -> JSONValue? {
        if let v = object[key], v != .null { return v }
        return nil
    }

    func string(_ key: String) throws(VarlinkError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw .invalidParameter(key) }
        return s
    }

    func requiredString(_ key: String) throws(VarlinkError) -> String {
        guard let s = try string(key), !s.isEmpty else { throw .invalidParameter(key) }
        return s
    }

    /// A whole number within `range`: every integer a client sends is checked where it is read,
    /// so that no arithmetic on it can overflow (a day count added to today, a seq, a limit).
    func int(_ key: String, in range: ClosedRange<Int64>) throws(VarlinkError) -> Int64? {
        guard let v = value(key) else { return nil }
        guard let i = v.int64Value, range.contains(i) else { throw .invalidParameter(key) }
        return i
    }

    func requiredInt(_ key: String, in range: ClosedRange<Int64>) throws(VarlinkError) -> Int64 {
        guard let i = try int(key, in: range) else { throw .invalidParameter(key) }
        return i
    }

    func bool(_ key: String) throws(VarlinkError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw .invalidParameter(key) }
        return b
    }

    func strings(_ key: String) throws(VarlinkError) -> [String] {
        guard let v = value(key) else { return [] }
        guard case .array(let items) = v else { throw .invalidParameter(key) }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw .invalidParameter(key) }
            out.append(s)
        }
        return out
    }

    func requiredObject(_ key: String) throws(VarlinkError) -> JSONValue {
        guard let v = value(key), case .object = v else { throw .invalidParameter(key) }
        return v
    }

    func requiredArray(_ key: String) throws(VarlinkError) -> [JSONValue] {
        guard let v = value(key), case .array(let a) = v else { throw .invalidParameter(key) }
        return a
    }
}
