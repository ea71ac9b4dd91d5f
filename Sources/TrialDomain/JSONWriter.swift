/// Writes canonical JSON (the bytes `JSONValue.canonicalText` gives) straight into a buffer,
/// without building a `JSONValue` tree first: the projections write one or more objects per
/// event, and the tree's allocations were most of their cost.
///
/// The caller writes an object's members in canonical order (keys sorted by their UTF-8
/// bytes) and leaves out absent optionals, as `ObjectBuilder` does; tests check each writer
/// against the tree's text.
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

    public mutating func date(_ d: PartialDate) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        d.write(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    public mutating func timestamp(_ t: Timestamp) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        t.write(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    public mutating func bool(_ b: Bool) {
        separator()
        bytes.append(contentsOf: b ? [116, 114, 117, 101] : [102, 97, 108, 115, 101])
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
    public mutating func member(_ k: StaticString, _ d: PartialDate?) { if let d { key(k); date(d) } }
    public mutating func member(_ k: StaticString, _ v: JSONValue?) { if let v { key(k); value(v) } }
    public mutating func member<E: RawRepresentable>(_ k: StaticString, _ e: E?) where E.RawValue == String {
        if let e { key(k); string(e.rawValue) }
    }
    public mutating func member<T: JSONWritable>(_ k: StaticString, _ v: T?) {
        if let v { key(k); v.write(to: &self) }
    }

    private mutating func separator() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// Appends an integer's decimal digits.
    public static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var v = value.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") &+ UInt8(v % 10))
            v /= 10
        } while v > 0
        out[start...].reverse()
    }

    /// Appends `value` in `width` characters at least, zero-padded on the left.
    public static func appendPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
        let start = out.count
        appendDecimal(Int64(value), to: &out)
        let written = out.count - start
        if written < width { out.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - written), at: start) }
    }
}

/// A value that writes its own canonical JSON into a `JSONWriter`.
public protocol JSONWritable {
    func write(to w: inout JSONWriter)
}

// The projections' objects, written member by member in canonical (sorted) key order. Each
// gives exactly the bytes of its `json.canonicalText` (TrialDomainTests check both ways).

extension TimelineEntry {
    public func write(withPayload: Bool, to w: inout JSONWriter) {
        w.beginObject()
        w.member("correctedBy", correctedBy)
        w.member("occurred", occurred)
        if withPayload { w.member("payload", payload.json) }
        w.member("seq", seq)
        w.member("source", source)
        w.member("text", text)
        w.member("type", type)
        w.endObject()
    }
}

extension MilestoneRef: JSONWritable {
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.member("occurred", occurred)
        w.member("seq", seq)
        w.member("text", text)
        w.member("type", type)
        w.endObject()
    }
}

extension Expectation: JSONWritable {
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.member("madeOn", madeOn)
        w.member("milestone", milestone.description)
        w.member("overdueSeq", overdueSeq)
        w.member("resolvedBy", resolvedBy)
        w.member("seq", seq)
        w.member("source", source)
        w.member("state", state)
        w.member("window", window)
        w.endObject()
    }
}

extension Enrollment: JSONWritable {
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.member("count", count)
        w.member("type", type)
        w.endObject()
    }
}

extension StudyDate: JSONWritable {
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.member("date", date)
        w.member("type", type)
        w.endObject()
    }
}

extension DatesUpdated: JSONWritable {
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.member("completion", completion)
        w.member("primaryCompletion", primaryCompletion)
        w.member("start", start)
        w.endObject()
    }
}

extension TrialSummary: JSONWritable {
    public func write(to w: inout JSONWriter) { write(withRegistration: true, to: &w) }

    /// - Parameter withRegistration: false for the `trials` row, which keeps it apart.
    public func write(withRegistration: Bool, to w: inout JSONWriter) {
        w.beginObject()
        w.member("dates", dates == DatesUpdated() ? nil : dates)
        w.member("enrollment", enrollment)
        w.member("key", key)
        w.member("lastKnownStatus", lastKnownStatus)
        w.member("lastMilestone", lastMilestone)
        w.member("lastSeq", lastSeq)
        w.member("nextExpected", nextExpected)
        if withRegistration { w.member("registration", registration?.json) }
        w.member("status", status)
        w.member("statusSince", statusSince)
        w.member("version", version)
        w.member("whyStopped", whyStopped)
        w.endObject()
    }
}

extension RecordedEvent: JSONWritable {
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.member("hash", hexString(hash))
        w.member("id", id)
        w.member("occurred", occurred)
        w.member("payload", payload.json)
        w.key("recorded")
        w.timestamp(recorded)
        w.member("recordedBy", recordedBy)
        w.member("seq", seq)
        w.member("source", source)
        w.member("trial", trial)
        w.member("type", type)
        w.member("version", version)
        w.endObject()
    }
}
