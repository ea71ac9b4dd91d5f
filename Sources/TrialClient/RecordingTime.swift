import ArgumentParser
import TrialDomain

/// A bound on recording time for `log --since/--until`: a day (`2025-06-01`, its start,
/// 00:00 UTC, as journalctl takes a day) or a time (`2025-06-01T12:00Z`, `…T12:00:00+02:00`).
public struct RecordingTime: Equatable, Sendable, CustomStringConvertible {
    public var time: Timestamp
    /// As typed, for messages.
    public var description: String

    public init(parsing text: String, option: String) throws {
        description = text
        if text.utf8.count == 10 {
            guard let day = Day(text) else {
                throw UsageError("\(option): '\(text)' is not a day; use YYYY-MM-DD or a time like 2025-06-01T12:00Z")
            }
            time = Timestamp(microseconds: Int64(day.daysSinceEpoch) * 86_400_000_000)
            return
        }
        do { time = try Timestamp(parsing: text) } catch { throw UsageError("\(option): \(error.reason)") }
    }
}
