/// A JSON value with a canonical serialisation (sorted keys, no insignificant white space),
/// used for payloads, the hash chain and the wire. Integers and other numbers are kept apart so
/// that `780` stays `780` and `0.51` stays `0.51`.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Numbers compare by value (`1000` equals `1e3`), as the canonical text does.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }

    /// The value's kind as a person reads it in an error message.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var int64Value: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
}

/// One member of a JSON object. A struct, not a tuple: an array of tuples is destroyed
/// through the runtime's generic tuple code, element by element and field by field (callgrind:
/// benchmarks/README.md), an array of structs through their own compiled witness.
public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON object whose members are kept sorted by key (the canonical order).
public struct JSONObject: Equatable, Sendable, Sequence {
    public private(set) var members: [JSONMember]

    public init() { members = [] }

    /// Builds an object; later duplicates of a key replace earlier ones.
    public init(_ pairs: [(String, JSONValue)]) {
        members = []
        members.reserveCapacity(pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    /// From parsed members: sorted once (canonical input is sorted already); duplicates refused.
    /// `ascending`: the parser saw every key strictly after the one before it (nil: not known).
    init(parsed: [JSONMember], ascending: Bool?, offset: Int, fail: (String) -> JSONParseError) throws(JSONParseError) {
        var m = parsed
        var sorted = ascending ?? true
        if ascending == nil {
            for i in m.indices.dropFirst() where JSONObject.compare(m[i - 1].key, m[i].key) >= 0 {
                sorted = false
                break
            }
        }
        if !sorted {
            m.sort { JSONObject.compare($0.key, $1.key) < 0 }
            for i in m.indices.dropFirst() where m[i - 1].key == m[i].key {
                throw fail("duplicate key \"\(m[i].key)\"")
            }
        }
        members = m
    }

    public var count: Int { members.count }
    public var keys: [String] { members.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        get {
            if let i = index(of: key) { return members[i].value }
            return nil
        }
        set {
            let (found, i) = search(key)
            if let newValue {
                if found {
                    members[i].value = newValue
                } else {
                    members.insert(JSONMember(key: key, value: newValue), at: i)
                }
            } else if found {
                members.remove(at: i)
            }
        }
    }

    package func index(of key: String) -> Int? {
        // A payload's objects are small, and most keys asked for differ in length from most
        // members': a scan that compares bytes only where the lengths agree beats a binary
        // search's three-way comparisons (a field reader asks for every field it knows).
        if members.count <= 16 {
            let n = key.utf8.count
            return members.withUnsafeBufferPointer { m in
                for i in 0..<m.count where m[i].key.utf8.count == n {
                    if JSONObject.compare(m[i].key, key) == 0 { return i }
                }
                return nil
            }
        }
        let (found, i) = search(key)
        return found ? i : nil
    }

    /// Binary search on UTF-8 byte order (the canonical order).
    private func search(_ key: String) -> (Bool, Int) {
        var lo = 0, hi = members.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let c = JSONObject.compare(members[mid].key, key)
            if c == 0 { return (true, mid) }
            if c < 0 { lo = mid + 1 } else { hi = mid }
        }
        return (false, lo)
    }

    /// Three-way comparison of two keys' UTF-8 bytes: negative, zero or positive.
    package static func compare(_ a: String, _ b: String) -> Int {
        var a = a, b = b  // native strings: withUTF8 reads their storage in place
        return a.withUTF8 { x in b.withUTF8 { y in compare(x, y) } }
    }

    /// The same on bytes (the parser compares keys in its text before they are strings).
    static func compare(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Int {
        let n = Swift.min(x.count, y.count)
        var i = 0
        while i < n {
            if x[i] != y[i] { return Int(x[i]) - Int(y[i]) }
            i += 1
        }
        return x.count - y.count
    }

    /// Members in key order, as (key, value) pairs.
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[JSONMember]>
        public mutating func next() -> (key: String, value: JSONValue)? {
            base.next().map { ($0.key, $0.value) }
        }
    }

    public func makeIterator() -> Iterator { Iterator(base: members.makeIterator()) }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.members.count == b.members.count
            && zip(a.members, b.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

// MARK: - Serialisation

extension JSONValue {
    /// The canonical text: keys sorted, no white space, shortest round-trip numbers.
    public var canonicalText: String {
        var out = [UInt8]()
        out.reserveCapacity(128)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the canonical UTF-8 bytes to `out`.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [110, 117, 108, 108])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .int(let i): JSONWriter.appendDecimal(i, to: &out)
        case .double(let d):
            if d.isFinite {
                if d == d.rounded(), abs(d) < 1e15 {
                    JSONWriter.appendDecimal(Int64(d), to: &out)
                } else {
                    out.append(contentsOf: "\(d)".utf8)
                }
            } else {
                out.append(contentsOf: [110, 117, 108, 108])
            }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, m) in o.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(m.key, to: &out)
                out.append(UInt8(ascii: ":"))
                m.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    package static func writeString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { writeString(utf8: $0, to: &out) }
    }

    package static func writeString(utf8 u: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Fast path: nothing to escape, copy the bytes at once.
        var clean = true
        for b in u where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            clean = false
            break
        }
        if clean {
            out.append(contentsOf: u)
            out.append(UInt8(ascii: "\""))
            return
        }
        let hex: StaticString = "0123456789abcdef"
        for b in u {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, 110])
            case 0x0D: out.append(contentsOf: [92, 114])
            case 0x09: out.append(contentsOf: [92, 116])
            case 0..<0x20:
                let h = hex.utf8Start
                out.append(contentsOf: [92, 117, 48, 48, h[Int(b >> 4)], h[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
