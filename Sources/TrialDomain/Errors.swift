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
