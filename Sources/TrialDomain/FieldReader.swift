/// Reads the members of a JSON object into typed values, naming the field of every error and
/// refusing members it was never asked for (a misspelt field is an error, never ignored).
struct FieldReader {
    let object: JSONObject
    /// Which members were read: a bit per member index (objects past 64 members use `more`).
    private var used: UInt64 = 0
    private var more: Set<Int> = []

    init(_ value: JSONValue) throws {
        guard case .object(let o) = value else {
            throw ValidationError(field: "", reason: "expected an object, got \(value.kindName)")
        }
        object = o
    }

    private mutating func take(_ key: String) -> JSONValue? {
        guard let i = object.index(of: key) else { return nil }
        if i < 64 { used |= 1 << UInt64(i) } else { more.insert(i) }
        let v = object.members[i].value
        if case .null = v { return nil }
        return v
    }

    /// Throws for any member that was not read.
    func finish() throws {
        for (i, m) in object.members.enumerated() where !(i < 64 ? used & (1 << UInt64(i)) != 0 : more.contains(i)) {
            throw ValidationError(field: m.key, reason: "unknown field")
        }
    }

    mutating func value(_ key: String) -> JSONValue? { take(key) }

    /// The member's value without marking it read (nil when absent or null).
    func peek(_ key: String) -> JSONValue? {
        guard let i = object.index(of: key) else { return nil }
        if case .null = object.members[i].value { return nil }
        return object.members[i].value
    }

    mutating func string(_ key: String) throws -> String {
        guard let s = try optionalString(key) else { throw ValidationError(field: key, reason: "missing (required)") }
        return s
    }

    mutating func optionalString(_ key: String, maxLength: Int = 10_000) throws -> String? {
        guard let v = take(key) else { return nil }
        guard case .string(let s) = v else { throw ValidationError(field: key, reason: "expected a string, got \(v.kindName)") }
        let t = s.trimmingSpaces
        guard !t.isEmpty else { throw ValidationError(field: key, reason: "must not be empty") }
        guard t.hasAtMost(characters: maxLength) else { throw ValidationError(field: key, reason: "longer than \(maxLength) characters") }
        return t
    }

    mutating func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws -> E
    where E.RawValue == String {
        guard let e = try optionalEnumeration(key, type) else { throw ValidationError(field: key, reason: "missing (required)") }
        return e
    }

    mutating func optionalEnumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws -> E?
    where E.RawValue == String {
        guard let s = try optionalString(key) else { return nil }
        do { return try parseEnumeration(s, type) } catch let e as ValidationError { throw e.under(key) }
    }

    mutating func int(_ key: String, range: ClosedRange<Int64> = 0...Int64.max) throws -> Int64 {
        guard let i = try optionalInt(key, range: range) else { throw ValidationError(field: key, reason: "missing (required)") }
        return i
    }

    mutating func optionalInt(_ key: String, range: ClosedRange<Int64> = 0...Int64.max) throws -> Int64? {
        guard let v = take(key) else { return nil }
        guard let i = v.int64Value else {
            throw ValidationError(field: key, reason: v.doubleValue != nil ? "expected a whole number" : "expected a number, got \(v.kindName)")
        }
        guard range.contains(i) else { throw ValidationError(field: key, reason: "\(i) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return i
    }

    mutating func double(_ key: String) throws -> Double {
        guard let d = try optionalDouble(key) else { throw ValidationError(field: key, reason: "missing (required)") }
        return d
    }

    mutating func optionalDouble(_ key: String) throws -> Double? {
        guard let v = take(key) else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw ValidationError(field: key, reason: "expected a number, got \(v.kindName)") }
        return d
    }

    mutating func partialDate(_ key: String) throws -> PartialDate {
        guard let d = try optionalPartialDate(key) else { throw ValidationError(field: key, reason: "missing (required)") }
        return d
    }

    mutating func optionalPartialDate(_ key: String) throws -> PartialDate? {
        guard let s = try optionalString(key) else { return nil }
        do { return try PartialDate(parsing: s) } catch { throw error.under(key) }
    }

    mutating func array<T>(_ key: String, required: Bool = false, _ element: (JSONValue) throws -> T) throws -> [T] {
        guard let v = take(key) else {
            if required { throw ValidationError(field: key, reason: "missing (required)") }
            return []
        }
        guard case .array(let items) = v else { throw ValidationError(field: key, reason: "expected an array, got \(v.kindName)") }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            do { out.append(try element(item)) } catch let e as ValidationError { throw e.under("\(key)[\(i)]") }
        }
        return out
    }

    mutating func strings(_ key: String, required: Bool = false) throws -> [String] {
        try array(key, required: required) { v in
            guard case .string(let s) = v, !s.trimmingSpaces.isEmpty else {
                throw ValidationError(field: "", reason: "expected a non-empty string, got \(v.kindName)")
            }
            return s.trimmingSpaces
        }
    }

    mutating func object<T>(_ key: String, _ decode: (JSONValue) throws -> T) throws -> T? {
        guard let v = take(key) else { return nil }
        do { return try decode(v) } catch let e as ValidationError { throw e.under(key) }
    }
}

func parseEnumeration<E: RawRepresentable & CaseIterable>(_ s: String, _ type: E.Type) throws -> E where E.RawValue == String {
    if let e = E(rawValue: s) { return e }
    // Accept the registry's UPPER_SNAKE spelling too (ACTIVE_NOT_RECRUITING → active-not-recruiting).
    if let e = E(rawValue: s.lowercased().replacingOccurrences(of: "_", with: "-")) { return e }
    let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
    throw ValidationError(field: "", reason: "'\(s)' is not one of: \(allowed)")
}

extension String {
    fileprivate func replacingOccurrences(of a: Character, with b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}

/// Builds a JSON object, leaving out nil and empty members.
struct ObjectBuilder {
    var object = JSONObject()
    mutating func set(_ key: String, _ value: JSONValue?) { if let value { object[key] = value } }
    mutating func set(_ key: String, _ value: String?) { if let value { object[key] = .string(value) } }
    mutating func set(_ key: String, _ value: Int64?) { if let value { object[key] = .int(value) } }
    mutating func set(_ key: String, _ value: Double?) { if let value { object[key] = .double(value) } }
    mutating func set(_ key: String, _ value: PartialDate?) { if let value { object[key] = .string(value.description) } }
    mutating func set<E: RawRepresentable>(_ key: String, _ value: E?) where E.RawValue == String {
        if let value { object[key] = .string(value.rawValue) }
    }
    mutating func set(_ key: String, strings: [String]) { if !strings.isEmpty { object[key] = .array(strings.map { .string($0) }) } }
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
    mutating func member<E: RawRepresentable>(_ k: StaticString, _ e: E?) where E.RawValue == String { set(Self.name(k), e) }
    mutating func member<T: JSONWritable>(_ k: StaticString, _ v: T?) { set(Self.name(k), v?.json) }
    mutating func member(_ k: StaticString, strings: [String]) { set(Self.name(k), strings: strings) }
    mutating func member<T: JSONWritable>(_ k: StaticString, objects: [T]) { set(Self.name(k), array: objects.map(\.json)) }
    mutating func member(_ k: StaticString, canonicalText _: String?, _ value: @autoclosure () -> JSONValue) {
        set(Self.name(k), value())
    }
}
