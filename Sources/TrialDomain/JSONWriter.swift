// The canonical writer and the strict parser live in TrialJSON; what they write and read of
// the domain (dates, timestamps, objects that list their members) is here.

extension JSONWriter {
    public mutating func date(_ d: PartialDate) { quoted { d.write(to: &$0) } }
    public mutating func timestamp(_ t: Timestamp) { quoted { t.write(to: &$0) } }

    public mutating func member(_ k: StaticString, _ d: PartialDate?) { if let d { key(k); date(d) } }
    public mutating func member(_ k: StaticString, _ t: Timestamp) { key(k); timestamp(t) }
    public mutating func member<T: JSONWritable>(_ k: StaticString, _ v: T?) {
        if let v { key(k); v.write(to: &self) }
    }

    /// A member whose value is an array of objects; left out when empty, as `ObjectBuilder` does.
    public mutating func member<T: JSONWritable>(_ k: StaticString, objects: [T]) {
        guard !objects.isEmpty else { return }
        key(k)
        beginArray()
        for o in objects { o.write(to: &self) }
        endArray()
    }
}

/// Where an object's members go: canonical bytes (`JSONWriter`) or a `JSONValue` tree
/// (`ObjectBuilder`). Absent optionals are left out.
public protocol JSONMemberSink {
    mutating func member(_ k: StaticString, _ s: String?)
    mutating func member(_ k: StaticString, _ i: Int64?)
    mutating func member(_ k: StaticString, _ d: PartialDate?)
    mutating func member(_ k: StaticString, _ t: Timestamp)
    mutating func member(_ k: StaticString, _ v: JSONValue?)
    mutating func member<E: RawRepresentable>(_ k: StaticString, _ e: E?) where E.RawValue == String
    mutating func member<T: JSONWritable>(_ k: StaticString, _ v: T?)
    /// Arrays: left out when empty.
    mutating func member(_ k: StaticString, strings: [String])
    mutating func member<T: JSONWritable>(_ k: StaticString, objects: [T])
    /// A member whose value's canonical text may be known already (`text`, copied as it is);
    /// otherwise `value`'s.
    mutating func member(_ k: StaticString, canonicalText text: String?, _ value: @autoclosure () -> JSONValue)
}

extension JSONWriter: JSONMemberSink {}

/// An object that lists its members once, in canonical (sorted) key order, and so has both
/// serialisations: `write(to:)` straight to bytes (the projections, the Append reply) and
/// `json` as a tree. The writer does not sort, so a list out of order would make the two
/// differ: TrialDomainTests check they give the same text.
public protocol JSONWritable {
    func members<S: JSONMemberSink>(into s: inout S)
    /// The object's canonical bytes. A requirement, so that a type written from another
    /// module on a hot path (a reply, a projection row) can be its own witness with
    /// `{ writeObject(to: &w) }`, which lists its members by code specialised for the writer;
    /// the extension's generic default reaches them through generic dispatch, markedly dearer
    /// for a registration in a rebuild (benchmarks/README.md).
    func write(to w: inout JSONWriter)
}

extension JSONWritable {
    public func write(to w: inout JSONWriter) { writeObject(to: &w) }

    /// `write(to:)`'s body; called from a conformance's own witness, `Self` is known there.
    @inline(__always)
    public func writeObject(to w: inout JSONWriter) {
        w.beginObject()
        members(into: &w)
        w.endObject()
    }

    public var json: JSONValue {
        var b = ObjectBuilder()
        members(into: &b)
        return b.value
    }
}

// The objects of the projections and the interface, member by member in canonical order.

extension TimelineEntry: JSONWritable {
    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("correctedBy", correctedBy)
        s.member("occurred", occurred)
        s.member("payload", payload.json)
        s.member("seq", seq)
        s.member("source", source)
        s.member("text", text)
        s.member("type", type)
    }
}

extension MilestoneRef: JSONWritable {
    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("occurred", occurred)
        s.member("seq", seq)
        s.member("text", text)
        s.member("type", type)
    }
}

extension Expectation: JSONWritable {
    public func write(to w: inout JSONWriter) { writeObject(to: &w) }

    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("madeOn", madeOn)
        s.member("milestone", milestone.description)
        s.member("overdueSeq", overdueSeq)
        s.member("resolvedBy", resolvedBy)
        s.member("seq", seq)
        s.member("source", source)
        s.member("state", state)
        s.member("window", window)
    }
}

extension Enrollment: JSONWritable {
    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("count", count)
        s.member("type", type)
    }
}

extension StudyDate: JSONWritable {
    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("date", date)
        s.member("type", type)
    }
}

extension DatesUpdated: JSONWritable {
    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("completion", completion)
        s.member("primaryCompletion", primaryCompletion)
        s.member("start", start)
    }
}

extension TrialSummary: JSONWritable {
    public func write(to w: inout JSONWriter) { writeObject(to: &w) }

    public func members<S: JSONMemberSink>(into s: inout S) { members(into: &s, withRegistration: true) }

    /// The `trials` row's JSON: the summary without its registration, which that row keeps
    /// apart (`write(to:)` writes all of it).
    public func writeWithoutRegistration(to w: inout JSONWriter) {
        w.beginObject()
        members(into: &w, withRegistration: false)
        w.endObject()
    }

    func members<S: JSONMemberSink>(into s: inout S, withRegistration: Bool) {
        s.member("dates", dates == DatesUpdated() ? nil : dates)
        s.member("enrollment", enrollment)
        s.member("key", key)
        s.member("lastKnownStatus", lastKnownStatus)
        s.member("lastMilestone", lastMilestone)
        s.member("lastSeq", lastSeq)
        s.member("nextExpected", nextExpected)
        if withRegistration { s.member("registration", registration) }
        s.member("status", status)
        s.member("statusSince", statusSince)
        s.member("version", version)
        s.member("whyStopped", whyStopped)
    }
}

extension RecordedEvent: JSONWritable {
    public func write(to w: inout JSONWriter) { writeObject(to: &w) }

    public func members<S: JSONMemberSink>(into s: inout S) {
        s.member("hash", hexString(hash))
        s.member("id", id)
        s.member("occurred", occurred)
        s.member("payload", canonicalText: payloadText, payload.json)
        s.member("recorded", recorded)
        s.member("recordedBy", recordedBy)
        s.member("seq", seq)
        s.member("source", source)
        s.member("trial", trial)
        s.member("type", type)
        s.member("version", version)
    }
}
