/// Reads the members of a JSON object into typed values, naming the field of every error. The
/// one way the project reads JSON into its types (docs/ARCHITECTURE.md, "One way to read JSON").
///
/// `.strict` (payloads, events, a call's parameters): `finish()` refuses members it was never
/// asked for, so a misspelt field is an error, never ignored. `.lenient` (a registry record, a
/// reply from a newer trialsd): members nobody asked for are ignored.
public struct FieldReader {
    public enum Mode: Sendable { case strict, lenient }

    public let object: JSONObject
    public let mode: Mode
    /// Which members were read: a bit per member index (objects past 64 members use `more`).
    private var used: UInt64 = 0
    private var more: Set<Int> = []

    public init(_ value: JSONValue, _ mode: Mode = .strict) throws {
        guard case .object(let o) = value else {
            throw ValidationError(field: "", reason: "expected an object, got \(value.kindName)")
        }
        self.init(object: o, mode)
    }

    public init(object: JSONObject, _ mode: Mode = .strict) {
        self.object = object
        self.mode = mode
    }

    private mutating func take(_ key: String) -> JSONValue? {
        guard let i = object.index(of: key) else { return nil }
        if i < 64 { used |= 1 << UInt64(i) } else { more.insert(i) }
        let v = object.members[i].value
        if case .null = v { return nil }
        return v
    }

    /// Strict: throws for any member that was not read. Lenient: does nothing.
    public func finish() throws {
        if mode == .lenient { return }
        if let key = unread { throw ValidationError(field: key, reason: "unknown field") }
    }

    /// The first member (in key order) that was not read, whatever the mode.
    public var unread: String? {
        for (i, m) in object.members.enumerated() where !(i < 64 ? used & (1 << UInt64(i)) != 0 : more.contains(i)) {
            return m.key
        }
        return nil
    }

    public mutating func value(_ key: String) -> JSONValue? { take(key) }

    /// The member's value without marking it read (nil when absent or null).
    public func peek(_ key: String) -> JSONValue? {
        guard let i = object.index(of: key) else { return nil }
        if case .null = object.members[i].value { return nil }
        return object.members[i].value
    }

    public mutating func string(_ key: String) throws -> String {
        guard let s = try optionalString(key) else { throw ValidationError(field: key, reason: "missing (required)") }
        return s
    }

    public mutating func optionalString(_ key: String, maxLength: Int = 10_000) throws -> String? {
        guard let v = take(key) else { return nil }
        guard case .string(let s) = v else {
            throw ValidationError(field: key, reason: "expected a string, got \(v.kindName)")
        }
        let t = s.trimmingSpaces
        guard !t.isEmpty else { throw ValidationError(field: key, reason: "must not be empty") }
        guard t.hasAtMost(characters: maxLength) else {
            throw ValidationError(field: key, reason: "longer than \(maxLength) characters")
        }
        return t
    }

    public mutating func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws -> E
    where E.RawValue == String {
        guard let e = try optionalEnumeration(key, type) else {
            throw ValidationError(field: key, reason: "missing (required)")
        }
        return e
    }

    public mutating func optionalEnumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws
        -> E?
    where E.RawValue == String {
        guard let s = try optionalString(key) else { return nil }
        do { return try parseEnumeration(s, type) } catch let e as ValidationError { throw e.under(key) }
    }

    public mutating func int(_ key: String, range: ClosedRange<Int64> = 0...Int64.max) throws -> Int64 {
        guard let i = try optionalInt(key, range: range) else {
            throw ValidationError(field: key, reason: "missing (required)")
        }
        return i
    }

    public mutating func optionalInt(_ key: String, range: ClosedRange<Int64> = 0...Int64.max) throws -> Int64? {
        guard let v = take(key) else { return nil }
        guard let i = v.int64Value else {
            throw ValidationError(
                field: key,
                reason: v.doubleValue != nil ? "expected a whole number" : "expected a number, got \(v.kindName)")
        }
        guard range.contains(i) else {
            throw ValidationError(field: key, reason: "\(i) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return i
    }

    public mutating func double(_ key: String) throws -> Double {
        guard let d = try optionalDouble(key) else { throw ValidationError(field: key, reason: "missing (required)") }
        return d
    }

    public mutating func optionalDouble(_ key: String) throws -> Double? {
        guard let v = take(key) else { return nil }
        guard let d = v.doubleValue, d.isFinite else {
            throw ValidationError(field: key, reason: "expected a number, got \(v.kindName)")
        }
        return d
    }

    public mutating func bool(_ key: String) throws -> Bool {
        guard let b = try optionalBool(key) else { throw ValidationError(field: key, reason: "missing (required)") }
        return b
    }

    public mutating func optionalBool(_ key: String) throws -> Bool? {
        guard let v = take(key) else { return nil }
        guard case .bool(let b) = v else {
            throw ValidationError(field: key, reason: "expected a boolean, got \(v.kindName)")
        }
        return b
    }

    public mutating func array<T>(_ key: String, required: Bool = false, _ element: (JSONValue) throws -> T) throws
        -> [T]
    {
        guard let v = take(key) else {
            if required { throw ValidationError(field: key, reason: "missing (required)") }
            return []
        }
        guard case .array(let items) = v else {
            throw ValidationError(field: key, reason: "expected an array, got \(v.kindName)")
        }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            do { out.append(try element(item)) } catch let e as ValidationError { throw e.under("\(key)[\(i)]") }
        }
        return out
    }

    public mutating func strings(_ key: String, required: Bool = false) throws -> [String] {
        try array(key, required: required) { v in
            guard case .string(let s) = v, !s.trimmingSpaces.isEmpty else {
                throw ValidationError(field: "", reason: "expected a non-empty string, got \(v.kindName)")
            }
            return s.trimmingSpaces
        }
    }

    public mutating func object<T>(_ key: String, _ decode: (JSONValue) throws -> T) throws -> T? {
        guard let v = take(key) else { return nil }
        do { return try decode(v) } catch let e as ValidationError { throw e.under(key) }
    }
}

public func parseEnumeration<E: RawRepresentable & CaseIterable>(_ s: String, _ type: E.Type) throws -> E
where E.RawValue == String {
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
