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
        ValidationError(
            field: field.isEmpty ? parent : (field.hasPrefix("[") ? parent + field : parent + "." + field),
            reason: reason)
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}
