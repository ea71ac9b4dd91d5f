/// Writes canonical JSON (the bytes `JSONValue.canonicalText` gives) straight into a buffer,
/// without building a `JSONValue` tree first: the projections write one or more objects per
/// event, and the tree's allocations were most of their cost. Its bytes are the hash chain's:
/// frozen (CanonicalBytesTests). TrialDomain adds its value types (dates, timestamps,
/// `JSONWritable` objects) in an extension.
///
/// An object's members come in canonical order (keys sorted by their UTF-8 bytes), absent
/// optionals left out: `JSONWritable` types list them once for this writer and for the tree.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Empties the buffer, keeping its storage.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func beginObject() {
        separator()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separator()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A member whose value is an array of strings; left out when empty, as `ObjectBuilder` does.
    public mutating func member(_ k: StaticString, strings: [String]) {
        guard !strings.isEmpty else { return }
        key(k)
        beginArray()
        for s in strings { string(s) }
        endArray()
    }

    /// A member's key; the value written next is its value.
    public mutating func key(_ k: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        k.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ s: String) {
        separator()
        JSONValue.writeString(s, to: &bytes)
        needsComma = true
    }

    public mutating func int(_ i: Int64) {
        separator()
        JSONWriter.appendDecimal(i, to: &bytes)
        needsComma = true
    }

    public mutating func bool(_ b: Bool) {
        separator()
        let literal: StaticString = b ? "true" : "false"
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
        needsComma = true
    }

    /// Any value, through its canonical text.
    public mutating func value(_ v: JSONValue) {
        separator()
        v.write(to: &bytes)
        needsComma = true
    }

    public mutating func member(_ k: StaticString, _ s: String?) { if let s { key(k); string(s) } }
    public mutating func member(_ k: StaticString, _ i: Int64?) { if let i { key(k); int(i) } }
    public mutating func member(_ k: StaticString, _ v: JSONValue?) { if let v { key(k); value(v) } }
    public mutating func member<E: RawRepresentable>(_ k: StaticString, _ e: E?) where E.RawValue == String {
        if let e { key(k); string(e.rawValue) }
    }

    public mutating func member(_ k: StaticString, canonicalText text: String?, _ value: @autoclosure () -> JSONValue) {
        guard let text else { return member(k, value()) }
        key(k)
        canonical(text)
    }

    /// A value given as its canonical text, copied as it is.
    public mutating func canonical(_ text: String) {
        separator()
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
        needsComma = true
    }

    /// A string value whose characters need no escaping (a date, a timestamp), its bytes put
    /// between the quotes by `write`: how TrialDomain writes its own value types.
    package mutating func quoted(_ write: (inout [UInt8]) -> Void) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        write(&bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    private mutating func separator() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// Appends an integer's decimal digits.
    public static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        StackText.append(to: &out) { StackText.put(value, width: 0, at: $0) }
    }

    /// Appends `value` in `width` characters at least (at most 40), zero-padded on the left.
    public static func appendPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
        StackText.append(to: &out) { StackText.put(Int64(value), width: width, at: $0) }
    }
}
