/// Input that cannot be an event: names the field (a JSON path such as
/// `payload.results[0].hazardRatio.ciLow`) and the reason, in one line.
public struct ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The JSON path of the offending field; empty when the whole value is at fault.
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    /// The same error, its field placed under `parent` (`payload` + `status` → `payload.status`).
    public func under(_ parent: String) -> ValidationError {
        ValidationError(field: field.isEmpty ? parent : (field.hasPrefix("[") ? parent + field : parent + "." + field), reason: reason)
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}

/// A fact that contradicts what the trial's history already says (a readout of a withdrawn
/// trial, recruiting again after completed). Gaps are never contradictions.
public struct LifecycleViolation: Error, Equatable, Sendable, CustomStringConvertible {
    /// The trial's key.
    public var trial: String
    /// The event that could not follow the history (its seq, or nil for the one being appended).
    public var seq: Int64?
    public var reason: String

    public init(trial: String, seq: Int64?, reason: String) {
        self.trial = trial
        self.seq = seq
        self.reason = reason
    }

    public var description: String { "\(trial): \(reason)" }
}
