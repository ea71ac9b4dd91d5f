import Foundation

/// A recording time: microseconds since 1970-01-01T00:00:00Z, printed as
/// `2026-11-21T19:37:24.123456Z` (fixed width, so text order is time order).
public struct Timestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    /// The UTC calendar day.
    public var day: Day {
        Day(
            daysSinceEpoch: Int(
                (microseconds - (microseconds % 86_400_000_000 + 86_400_000_000) % 86_400_000_000) / 86_400_000_000))
    }

    public var description: String {
        var out = [UInt8]()
        out.reserveCapacity(27)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `description`'s bytes: `yyyy-mm-ddThh:mm:ss.ffffffZ`.
    public func write(to out: inout [UInt8]) {
        let dayMicros: Int64 = 86_400_000_000
        let rem = (microseconds % dayMicros + dayMicros) % dayMicros
        let secs = Int(rem / 1_000_000)
        let micro = Int(rem % 1_000_000)
        day.write(to: &out)
        out.append(UInt8(ascii: "T"))
        JSONWriter.appendPadded(secs / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        JSONWriter.appendPadded(secs / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        JSONWriter.appendPadded(secs % 60, width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        JSONWriter.appendPadded(micro, width: 6, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// The accepted forms, for error messages.
    public static let forms = "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.ffffff]]Z"

    /// Parses `2025-06-01T12:00Z`, `2025-06-01T12:00:00.5Z`, `2025-06-01T12:00:00+02:00`, or a bare
    /// day `2025-06-01`, which means the end of that day (UTC): everything recorded on it.
    public init(parsing text: String) throws(ValidationError) {
        // Built only on failure: a parse that succeeds allocates nothing for it.
        func bad() -> ValidationError {
            ValidationError(field: "", reason: "'\(text)' is not a time; use \(Timestamp.forms)")
        }
        let u = Array(text.utf8)
        guard u.count >= 10, let day = Day(String(decoding: u[0..<10], as: UTF8.self)) else { throw bad() }
        if u.count == 10 {
            microseconds = Int64(day.daysSinceEpoch + 1) * 86_400_000_000 - 1
            return
        }
        guard u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " ") else { throw bad() }
        var i = 11
        func num(_ n: Int) -> Int? {
            guard i + n <= u.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                guard u[k] >= 48, u[k] <= 57 else { return nil }
                v = v * 10 + Int(u[k] - 48)
            }
            i += n
            return v
        }
        guard let h = num(2), h < 24, i < u.count, u[i] == UInt8(ascii: ":") else { throw bad() }
        i += 1
        guard let m = num(2), m < 60 else { throw bad() }
        var s = 0, micro = 0
        if i < u.count, u[i] == UInt8(ascii: ":") {
            i += 1
            guard let ss = num(2), ss < 60 else { throw bad() }
            s = ss
            if i < u.count, u[i] == UInt8(ascii: ".") {
                i += 1
                var digits = 0
                while i < u.count, u[i] >= 48, u[i] <= 57 {
                    if digits < 6 { micro = micro * 10 + Int(u[i] - 48) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { throw bad() }
                for _ in digits..<max(digits, 6) { micro *= 10 }
            }
        }
        var offsetMinutes = 0
        guard i < u.count else { throw bad() }  // a zone is required: Z or ±HH:MM
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
            i += 1
        } else if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            let sign = u[i] == UInt8(ascii: "+") ? 1 : -1
            i += 1
            guard let oh = num(2), oh < 24 else { throw bad() }
            if i < u.count, u[i] == UInt8(ascii: ":") { i += 1 }
            guard let om = num(2), om < 60 else { throw bad() }
            offsetMinutes = sign * (oh * 60 + om)
        } else {
            throw bad()
        }
        guard i == u.count else { throw bad() }
        let seconds = Int64(day.daysSinceEpoch) * 86400 + Int64(h * 3600 + m * 60 + s) - Int64(offsetMinutes * 60)
        let time = Timestamp(microseconds: seconds * 1_000_000 + Int64(micro))
        // A zone can carry a time out of the years a date may have, 1000 to 9999
        // (1000-01-01T00:30+01:00 is in 999): its text, `0999-12-31T23:30:00.000000Z` or
        // `10000-01-01T…`, would not read back, nor sort in time order among the log's texts.
        guard PartialDate(year: time.day.components.year, precision: .year) != nil else { throw bad() }
        self = time
    }
}
