// Payloads that amend earlier events: corrections and retractions.

/// `corrected`: replaces the payload of an earlier event, saying why.
public struct Corrected: Equatable, Sendable {
    public var target: Int64
    public var reason: String
    /// The replacement payload, validated against the target's type by the store.
    public var payload: JSONValue

    public init(target: Int64, reason: String, payload: JSONValue) {
        self.target = target
        self.reason = reason
        self.payload = payload
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        target = try r.int("target", range: 1...Int64.max)
        reason = try r.string("reason")
        guard let p = r.value("payload") else { throw ValidationError(field: "payload", reason: "missing (required)") }
        guard case .object = p else {
            throw ValidationError(field: "payload", reason: "expected an object, got \(p.kindName)")
        }
        payload = p
        try r.finish()
    }

    public var json: JSONValue { ["target": .int(target), "reason": .string(reason), "payload": payload] }
}

/// `retracted`: withdraws an earlier event, saying why. The original stays readable.
public struct Retracted: Equatable, Sendable {
    public var target: Int64
    public var reason: String

    public init(target: Int64, reason: String) {
        self.target = target
        self.reason = reason
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        target = try r.int("target", range: 1...Int64.max)
        reason = try r.string("reason")
        try r.finish()
    }

    public var json: JSONValue { ["target": .int(target), "reason": .string(reason)] }
}
