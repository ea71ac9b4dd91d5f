// @_exported: TrialJSON (JSONValue, the strict parser, the canonical writer, FieldReader and
// ValidationError) was split out of TrialDomain, and every module that reads or writes the
// domain's JSON imported TrialDomain for it. Re-exported here, in one file, so that they need
// no new import and the move stays a move; a module that wants JSON only imports TrialJSON.
@_exported import TrialJSON

// What TrialDomain adds to TrialJSON's reader and writer: its own value types.

extension FieldReader {
    public mutating func partialDate(_ key: String) throws -> PartialDate {
        guard let d = try optionalPartialDate(key) else {
            throw ValidationError(field: key, reason: "missing (required)")
        }
        return d
    }

    public mutating func optionalPartialDate(_ key: String) throws -> PartialDate? {
        guard let s = try optionalString(key) else { return nil }
        do { return try PartialDate(parsing: s) } catch { throw error.under(key) }
    }
}

/// Builds a JSON object, leaving out nil and empty members.
struct ObjectBuilder {
    var object = JSONObject()
    mutating func set(_ key: String, _ value: JSONValue?) { if let value { object[key] = value } }
    mutating func set(_ key: String, _ value: String?) { if let value { object[key] = .string(value) } }
    mutating func set(_ key: String, _ value: Int64?) { if let value { object[key] = .int(value) } }
    mutating func set(_ key: String, _ value: Double?) { if let value { object[key] = .double(value) } }
    mutating func set(_ key: String, _ value: PartialDate?) {
        if let value { object[key] = .string(value.description) }
    }
    mutating func set<E: RawRepresentable>(_ key: String, _ value: E?) where E.RawValue == String {
        if let value { object[key] = .string(value.rawValue) }
    }
    mutating func set(_ key: String, strings: [String]) {
        if !strings.isEmpty { object[key] = .array(strings.map { .string($0) }) }
    }
    mutating func set(_ key: String, array: [JSONValue]) { if !array.isEmpty { object[key] = .array(array) } }
    var value: JSONValue { .object(object) }
}

extension ObjectBuilder: JSONMemberSink {
    private static func name(_ k: StaticString) -> String {
        k.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
    }
    mutating func member(_ k: StaticString, _ s: String?) { set(Self.name(k), s) }
    mutating func member(_ k: StaticString, _ i: Int64?) { set(Self.name(k), i) }
    mutating func member(_ k: StaticString, _ d: PartialDate?) { set(Self.name(k), d) }
    mutating func member(_ k: StaticString, _ t: Timestamp) { set(Self.name(k), t.description) }
    mutating func member(_ k: StaticString, _ v: JSONValue?) { set(Self.name(k), v) }
    mutating func member<E: RawRepresentable>(_ k: StaticString, _ e: E?) where E.RawValue == String {
        set(Self.name(k), e)
    }
    mutating func member<T: JSONWritable>(_ k: StaticString, _ v: T?) { set(Self.name(k), v?.json) }
    mutating func member(_ k: StaticString, strings: [String]) { set(Self.name(k), strings: strings) }
    mutating func member<T: JSONWritable>(_ k: StaticString, objects: [T]) {
        set(Self.name(k), array: objects.map(\.json))
    }
    mutating func member(_ k: StaticString, canonicalText _: String?, _ value: @autoclosure () -> JSONValue) {
        set(Self.name(k), value())
    }
}
