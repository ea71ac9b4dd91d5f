/// An event as a client submits it (the public event contract):
/// `{"trial", "type", "occurred", "source", "id"?, "expectedVersion"?, "payload"}`.
public struct NewEvent: Equatable, Sendable {
    /// The trial, by any of its identifiers. Amendments may leave it out: their target names it.
    public var trial: TrialReference?
    public var payload: Payload { didSet { validatedPayloadText = nil } }
    /// The canonical text of `payload` when it came through `init(json:)` (validated); nil
    /// once the payload is changed, or when it was built in code.
    public private(set) var validatedPayloadText: String? {
        get { payloadTextCache.value }
        set { payloadTextCache.value = newValue }
    }
    private var payloadTextCache = EqualityIgnored<String>()
    /// When it happened in the world, to the precision known.
    public var occurred: PartialDate
    public var source: String?
    /// Idempotency key, a UUID in lower case; the store makes one when absent.
    public var id: String?
    /// Append only if the trial is at this version (0: the trial must not exist yet).
    public var expectedVersion: Int64?

    public var type: EventType { payload.type }

    public init(
        trial: TrialReference?, payload: Payload, occurred: PartialDate, source: String? = nil, id: String? = nil,
        expectedVersion: Int64? = nil
    ) {
        self.trial = trial
        self.payload = payload
        self.occurred = occurred
        self.source = source
        self.id = id
        self.expectedVersion = expectedVersion
    }

    /// Checks a payload built in code as `init(json:)` checks a parsed one — through its JSON,
    /// storing the normalised form (trimmed, defaults filled) — and keeps the canonical text,
    /// so that the store's single writer does not have to. Call it where events are made (an
    /// importer, a benchmark's preparation); the store calls it for events that skipped it.
    /// Returns the payload's canonical text.
    @discardableResult
    public mutating func validate() throws(ValidationError) -> String {
        try checkLineTexts()
        if let text = validatedPayloadText { return text }
        let json = payload.json
        let checked: Payload
        do { checked = try Payload(type: type, json: json) } catch { throw error.under("payload") }
        let text: String
        if checked != payload {
            payload = checked
            text = checked.json.canonicalText
        } else {
            text = json.canonicalText
        }
        validatedPayloadText = text
        return text
    }

    /// The fields of the contract; anything else is refused.
    public static let contractFields: Set<String> = [
        "trial", "type", "occurred", "source", "id", "expectedVersion", "payload",
    ]

    /// Validates an event object of the contract. `today` is the clock's UTC day: a fact dated
    /// after today plus a day of clock skew is refused (a forecast's window may lie ahead).
    /// A missing `occurred` means today.
    public init(json: JSONValue, today: Day) throws(ValidationError) {
        do {
            var r = try FieldReader(json)
            let typeName = try r.string("type")
            guard let type = EventType.named(typeName) else {
                throw ValidationError(
                    field: "type",
                    reason:
                        "unknown event type '\(typeName)'; the types are \(EventType.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            if let t = try r.optionalString("trial", maxLength: 200) {
                do { trial = try TrialReference(t) } catch { throw error.under("trial") }
            } else if type.isAmendment {
                trial = nil
            } else {
                throw ValidationError(field: "trial", reason: "missing (required)")
            }
            occurred = try r.optionalPartialDate("occurred") ?? PartialDate(day: today)
            source = try r.optionalString("source", maxLength: 2000)
            if let raw = try r.optionalString("id", maxLength: 100) {
                guard let uuid = NewEvent.normalisedUUID(raw) else {
                    throw ValidationError(field: "id", reason: "'\(raw)' is not a UUID (8-4-4-4-12 hexadecimal digits)")
                }
                id = uuid
            } else {
                id = nil
            }
            expectedVersion = try r.optionalInt("expectedVersion", range: 0...Int64.max)
            guard let p = r.value("payload") else {
                throw ValidationError(field: "payload", reason: "missing (required)")
            }
            try r.finish()
            do { payload = try Payload(type: type, json: p) } catch { throw error.under("payload") }
            try checkLineTexts()
            validatedPayloadText = payload.json.canonicalText
        } catch let e as ValidationError {
            throw e
        } catch {
            throw ValidationError(field: "", reason: "\(error)")
        }
        try checkDate(today: today)
    }

    /// The texts that name or cite — the source, a registration's acronym — are one line of
    /// printable text. They are stored as plain SQLite text (the log's `source` column, the
    /// aliases) and sent as journal fields, where a NUL ends the text early: a source `a\0b` was
    /// hashed as three bytes, read back as one, and broke the hash chain at its seq for ever.
    /// (Payload texts are stored as escaped JSON and keep any character.)
    func checkLineTexts() throws(ValidationError) {
        if let source, let reason = Self.lineTextProblem(source) {
            throw ValidationError(field: "source", reason: reason)
        }
        if case .registered(let r) = payload, let acronym = r.acronym, let reason = Self.lineTextProblem(acronym) {
            throw ValidationError(field: "payload.acronym", reason: reason)
        }
    }

    /// Why `text` cannot be a one-line text: it holds a control character (C0, DEL or C1).
    static func lineTextProblem(_ text: String) -> String? {
        for scalar in text.unicodeScalars where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            let code = "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
            return "must not contain control characters (found \(code)); give one line of text"
        }
        return nil
    }

    /// Facts cannot be dated in the future (beyond a day of clock skew); forecasts can.
    public func checkDate(today: Day) throws(ValidationError) {
        guard !type.isForecast else { return }
        if occurred.start > today.adding(days: 1) {
            throw ValidationError(
                field: "occurred", reason: "\(occurred) is in the future; only a forecast (milestone-expected) may be")
        }
    }

    /// The contract form.
    public var json: JSONValue {
        var b = ObjectBuilder()
        b.set("trial", trial?.text)
        b.set("type", type.rawValue)
        b.set("occurred", occurred)
        b.set("source", source)
        b.set("id", id)
        b.set("expectedVersion", expectedVersion)
        b.set("payload", payload.json)
        return b.value
    }

    /// `8F0C…` → `8f0c…`; nil unless 8-4-4-4-12 hexadecimal digits.
    public static func normalisedUUID(_ s: String) -> String? {
        let u = Array(s.lowercased().utf8)
        guard u.count == 36 else { return nil }
        for (i, c) in u.enumerated() {
            if [8, 13, 18, 23].contains(i) {
                guard c == UInt8(ascii: "-") else { return nil }
            } else {
                guard (c >= 48 && c <= 57) || (c >= 97 && c <= 102) else { return nil }
            }
        }
        return String(decoding: u, as: UTF8.self)
    }
}

/// An event as the log holds it: the submission plus what the store adds.
public struct RecordedEvent: Equatable, Sendable {
    public var seq: Int64
    public var id: String
    /// The trial's stream key.
    public var trial: String
    public var version: Int64
    public var payload: Payload { didSet { payloadText = nil } }
    public var occurred: PartialDate
    public var recorded: Timestamp
    public var recordedBy: String
    public var source: String?
    /// SHA-256 over the previous event's hash and this event's canonical content.
    public var hash: [UInt8]
    /// The canonical text of `payload` as the log stores it, when the store had it at hand (the
    /// writer, a read of the row): replies copy it instead of serialising the payload again.
    /// Nil once the payload is changed, or when the event was built in code.
    public private(set) var payloadText: String? {
        get { payloadTextCache.value }
        set { payloadTextCache.value = newValue }
    }
    private var payloadTextCache = EqualityIgnored<String>()

    public var type: EventType { payload.type }

    public init(
        seq: Int64, id: String, trial: String, version: Int64, payload: Payload, occurred: PartialDate,
        recorded: Timestamp, recordedBy: String, source: String?, hash: [UInt8], payloadText: String? = nil
    ) {
        payloadTextCache = EqualityIgnored(value: payloadText)
        self.seq = seq
        self.id = id
        self.trial = trial
        self.version = version
        self.payload = payload
        self.occurred = occurred
        self.recorded = recorded
        self.recordedBy = recordedBy
        self.source = source
        self.hash = hash
    }

    /// The bytes the hash chain covers: the canonical JSON of every field but the hash, from
    /// the texts as stored.
    public static func hashedContent(
        seq: Int64, id: String, trial: String, version: Int64, type: EventType, occurredText: String,
        recordedText: String, recordedBy: String, source: String?, payloadText: String
    ) -> [UInt8] {
        // Member by member in canonical (sorted-key) order, the absent source as null; the
        // payload is already canonical.
        var w = JSONWriter(capacity: 200 + payloadText.utf8.count)
        w.beginObject()
        w.key("id"); w.string(id)
        w.key("occurred"); w.string(occurredText)
        w.key("payload"); w.canonical(payloadText)
        w.key("recorded"); w.string(recordedText)
        w.key("recordedBy"); w.string(recordedBy)
        w.key("seq"); w.int(seq)
        w.key("source")
        if let source { w.string(source) } else { w.value(.null) }
        w.key("trial"); w.string(trial)
        w.key("type"); w.string(type.rawValue)
        w.key("version"); w.int(version)
        w.endObject()
        return w.bytes
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Lower-case hexadecimal.
public func hexString(_ bytes: [UInt8]) -> String {
    let digits: StaticString = "0123456789abcdef"
    return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
        for (i, b) in bytes.enumerated() {
            out[2 * i] = digits.utf8Start[Int(b >> 4)]
            out[2 * i + 1] = digits.utf8Start[Int(b & 15)]
        }
        return bytes.count * 2
    }
}

/// A cache of what other fields of a value determine (a payload's canonical text): equality
/// ignores it, so that the value's synthesized `==` compares only what it caches from.
struct EqualityIgnored<Value: Sendable>: Equatable, Sendable {
    var value: Value?
    static func == (_: Self, _: Self) -> Bool { true }
}
