import TrialDomain

/// Reading an answer's JSON with errors that name the URL and what was unexpected.
struct AnswerShape {
    let url: String

    /// The body as JSON; a body that does not parse is an error (most often a body cut short).
    func parse(_ bytes: [UInt8]) throws(RegistryError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            let what =
                bytes.isEmpty
                ? "an empty body, not JSON" : "the body is not whole JSON (\(bytes.count) bytes, \(error))"
            throw RegistryError(url: url, kind: .malformedJSON, reason: what)
        }
    }

    func unexpected(_ what: String) -> RegistryError {
        RegistryError(url: url, kind: .unexpectedShape, reason: "unexpected answer: \(what)")
    }

    /// The top level as an object holding `key`, with the keys it does have when it does not.
    func top(_ value: JSONValue, requiring key: String) throws(RegistryError) -> JSONObject {
        guard let object = value.objectValue else { throw unexpected("\(value.kindName), not an object") }
        guard object[key] != nil else {
            let keys = object.members.map(\.key)
            let has = keys.isEmpty ? "an empty object" : "only " + keys.prefix(8).joined(separator: ", ")
            throw unexpected("no \"\(key)\" (the object has \(has))")
        }
        return object
    }

    func array(_ value: JSONValue?, _ path: String) throws(RegistryError) -> [JSONValue] {
        guard let value, let array = value.arrayValue else {
            throw unexpected("\(path) is \(value?.kindName ?? "missing"), not an array")
        }
        return array
    }

    func int(_ value: JSONValue?, _ path: String) throws(RegistryError) -> Int {
        guard let value, let n = value.int64Value else {
            throw unexpected("\(path) is \(value?.kindName ?? "missing"), not an integer")
        }
        return Int(n)
    }

    func string(_ value: JSONValue?, _ path: String) throws(RegistryError) -> String {
        guard let value, let s = value.stringValue else {
            throw unexpected("\(path) is \(value?.kindName ?? "missing"), not a string")
        }
        return s
    }

    /// Absent or null is nil; anything but a string is an error.
    func optionalString(_ value: JSONValue?, _ path: String) throws(RegistryError) -> String? {
        guard let value, value != .null else { return nil }
        return try string(value, path)
    }

    func optionalInt(_ value: JSONValue?, _ path: String) throws(RegistryError) -> Int? {
        guard let value, value != .null else { return nil }
        return try int(value, path)
    }

    /// A `YYYY-MM-DD` date.
    func day(_ value: JSONValue?, _ path: String) throws(RegistryError) -> Day {
        let text = try string(value, path)
        guard let day = Self.day(text) else { throw unexpected("\(path) is \"\(text)\", not a YYYY-MM-DD date") }
        return day
    }

    static func day(_ text: String) -> Day? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]),
            let d = Int(parts[2])
        else { return nil }
        return Day(year: y, month: m, day: d)
    }
}
