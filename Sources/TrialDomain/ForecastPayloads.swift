// Payloads of forecasts: expected milestones and the daemon's overdue marks.

/// What a forecast expects: an event type and an optional qualifier (`readout:OS`).
public struct MilestoneSpec: Hashable, Sendable, CustomStringConvertible {
    public var type: EventType
    public var qualifier: String?

    public init(type: EventType, qualifier: String? = nil) {
        self.type = type
        self.qualifier = qualifier
    }

    public init(parsing s: String) throws(ValidationError) {
        // Split at the first colon by hand: `split` and a String per part were a visible
        // cost of every forecast in a replay (benchmarks/README.md).
        let colon = s.utf8.firstIndex(of: UInt8(ascii: ":"))
        let name = String(s[..<(colon ?? s.endIndex)]).trimmingSpaces
        let rest = colon.map { String(s[s.utf8.index(after: $0)...]).trimmingSpaces }
        guard let t = EventType.named(name), t.canBeExpected else {
            let allowed = EventType.allCases.filter(\.canBeExpected).map(\.rawValue).joined(separator: ", ")
            throw ValidationError(
                field: "",
                reason: "'\(s)' is not a milestone; use one of \(allowed), optionally with ':qualifier' (readout:OS)")
        }
        type = t
        qualifier = rest?.isEmpty == false ? rest : nil
    }

    public var description: String { qualifier.map { "\(type.rawValue):\($0)" } ?? type.rawValue }
}

/// `milestone-expected`: a forecast of a milestone within a window.
public struct MilestoneExpected: Equatable, Sendable {
    public var milestone: MilestoneSpec
    public var window: PartialDate

    public init(milestone: MilestoneSpec, window: PartialDate) {
        self.milestone = milestone
        self.window = window
    }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        let m = try r.string("milestone")
        do { milestone = try MilestoneSpec(parsing: m) } catch { throw error.under("milestone") }
        window = try r.partialDate("window")
        try r.finish()
    }

    public var json: JSONValue { ["milestone": .string(milestone.description), "window": .string(window.description)] }
}

/// `milestone-overdue`: written by the daemon when an expected milestone's window passed.
public struct MilestoneOverdue: Equatable, Sendable {
    /// The seq of the `milestone-expected` event.
    public var expected: Int64

    public init(expected: Int64) { self.expected = expected }

    public init(json: JSONValue) throws {
        var r = try FieldReader(json)
        expected = try r.int("expected", range: 1...Int64.max)
        try r.finish()
    }

    public var json: JSONValue { ["expected": .int(expected)] }
}
