/// A calendar day (proleptic Gregorian), as days since 1970-01-01.
public struct Day: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let daysSinceEpoch: Int

    public init(daysSinceEpoch: Int) { self.daysSinceEpoch = daysSinceEpoch }

    /// nil when the day does not exist (2025-02-30).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Day.daysIn(year: year, month: month) else { return nil }
        daysSinceEpoch = Day.days(year: year, month: month, day: day)
    }

    public static func < (a: Day, b: Day) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }

    public var components: (year: Int, month: Int, day: Int) { Day.civil(daysSinceEpoch) }

    /// `yyyy-mm-dd`.
    public var description: String { StackText.string { write(into: $0) } }

    /// Appends `description`'s bytes (the projections write them straight into JSON).
    public func write(to out: inout [UInt8]) { StackText.append(to: &out) { write(into: $0) } }

    private func write(into p: UnsafeMutablePointer<UInt8>) -> Int {
        let (y, m, d) = components
        var i = StackText.put(Int64(y), width: 4, at: p)
        p[i] = UInt8(ascii: "-")
        i += 1 + StackText.put(Int64(m), width: 2, at: p + i + 1)
        p[i] = UInt8(ascii: "-")
        return i + 1 + StackText.put(Int64(d), width: 2, at: p + i + 1)
    }

    public func adding(days n: Int) -> Day { Day(daysSinceEpoch: daysSinceEpoch + n) }

    /// Parses `yyyy-mm-dd`.
    public init?(_ text: String) {
        guard let p = try? PartialDate(parsing: text), case .day = p.precision else { return nil }
        self = p.start
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// A date known to some precision — a day, a month, a quarter, a half-year or a year — as
/// registries and press releases give them ("June 2, 2026", "April 2025", "1H 2026", "2027").
/// It prints exactly as given and orders and compares by the window of days it stands for.
public struct PartialDate: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Precision: Hashable, Sendable {
        case year
        case half(Int)  // 1 or 2
        case quarter(Int)  // 1 ... 4
        case month(Int)  // 1 ... 12
        case day(month: Int, day: Int)

        public var name: String {
            switch self {
            case .year: "year"
            case .half: "half"
            case .quarter: "quarter"
            case .month: "month"
            case .day: "day"
            }
        }
    }

    public let year: Int
    public let precision: Precision

    public init?(year: Int, precision: Precision) {
        guard (1000...9999).contains(year) else { return nil }
        switch precision {
        case .year: break
        case .half(let h): guard (1...2).contains(h) else { return nil }
        case .quarter(let q): guard (1...4).contains(q) else { return nil }
        case .month(let m): guard (1...12).contains(m) else { return nil }
        case .day(let m, let d): guard Day(year: year, month: m, day: d) != nil else { return nil }
        }
        self.year = year
        self.precision = precision
    }

    public init(day: Day) {
        let (y, m, d) = day.components
        year = y
        precision = .day(month: m, day: d)
    }

    /// The accepted forms, for error messages.
    public static let forms = "YYYY, YYYY-H1, YYYY-Q2, YYYY-MM or YYYY-MM-DD"

    /// Parses `2027`, `2026-H1`, `2025-Q2`, `2025-04` or `2026-06-02`.
    public init(parsing text: String) throws(ValidationError) {
        // The text's own bytes (a date is a small string, copied to the stack), no array.
        var t = text
        guard let (y, precision) = t.withUTF8({ Self.fields($0) }) else {
            throw ValidationError(field: "", reason: "'\(text)' is not a date; use \(PartialDate.forms)")
        }
        guard let date = PartialDate(year: y, precision: precision) else {
            throw ValidationError(field: "", reason: "'\(text)' is not a real date")
        }
        self = date
    }

    /// The year and precision a text spells, unchecked against the calendar; nil if it is
    /// none of the forms.
    private static func fields(_ u: UnsafeBufferPointer<UInt8>) -> (Int, Precision)? {
        func digits(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= u.count else { return nil }
            var v = 0
            for k in r {
                guard u[k] >= 48, u[k] <= 57 else { return nil }
                v = v * 10 + Int(u[k] - 48)
            }
            return v
        }
        guard u.count >= 4, let y = digits(0..<4), u.count == 4 || u[4] == UInt8(ascii: "-") else { return nil }
        switch u.count {
        case 4: return (y, .year)
        case 7:
            if u[5] == UInt8(ascii: "H") || u[5] == UInt8(ascii: "h"), let h = digits(6..<7) { return (y, .half(h)) }
            if u[5] == UInt8(ascii: "Q") || u[5] == UInt8(ascii: "q"), let q = digits(6..<7) { return (y, .quarter(q)) }
            if let m = digits(5..<7) { return (y, .month(m)) }
            return nil
        case 10:
            guard u[7] == UInt8(ascii: "-"), let m = digits(5..<7), let d = digits(8..<10) else { return nil }
            return (y, .day(month: m, day: d))
        default: return nil
        }
    }

    /// The first day of the window.
    public var start: Day {
        switch precision {
        case .year: Day(year: year, month: 1, day: 1)!
        case .half(let h): Day(year: year, month: h == 1 ? 1 : 7, day: 1)!
        case .quarter(let q): Day(year: year, month: (q - 1) * 3 + 1, day: 1)!
        case .month(let m): Day(year: year, month: m, day: 1)!
        case .day(let m, let d): Day(year: year, month: m, day: d)!
        }
    }

    /// The last day of the window.
    public var end: Day {
        switch precision {
        case .year: return Day(year: year, month: 12, day: 31)!
        case .half(let h): return Day(year: year, month: h == 1 ? 6 : 12, day: h == 1 ? 30 : 31)!
        case .quarter(let q):
            let m = q * 3
            return Day(year: year, month: m, day: Day.daysIn(year: year, month: m))!
        case .month(let m): return Day(year: year, month: m, day: Day.daysIn(year: year, month: m))!
        case .day(let m, let d): return Day(year: year, month: m, day: d)!
        }
    }

    /// Exactly as given: `2027`, `2026-H1`, `2025-Q2`, `2025-04`, `2026-06-02`.
    public var description: String { StackText.string { write(into: $0) } }

    /// Appends `description`'s bytes (the projections write them straight into JSON).
    public func write(to out: inout [UInt8]) { StackText.append(to: &out) { write(into: $0) } }

    private func write(into p: UnsafeMutablePointer<UInt8>) -> Int {
        let i = StackText.put(Int64(year), width: 4, at: p)
        switch precision {
        case .year:
            return i
        case .half(let h):
            p[i] = UInt8(ascii: "-")
            p[i + 1] = UInt8(ascii: "H")
            p[i + 2] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: h)
            return i + 3
        case .quarter(let q):
            p[i] = UInt8(ascii: "-")
            p[i + 1] = UInt8(ascii: "Q")
            p[i + 2] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: q)
            return i + 3
        case .month(let m):
            p[i] = UInt8(ascii: "-")
            return i + 1 + StackText.put(Int64(m), width: 2, at: p + i + 1)
        case .day(let m, let d):
            p[i] = UInt8(ascii: "-")
            let j = i + 1 + StackText.put(Int64(m), width: 2, at: p + i + 1)
            p[j] = UInt8(ascii: "-")
            return j + 1 + StackText.put(Int64(d), width: 2, at: p + j + 1)
        }
    }

    /// As a person reads it: `2027`, `1H 2026`, `Q2 2025`, `April 2025`, `2 June 2026`.
    public var humanDescription: String {
        switch precision {
        case .year: return "\(year)"
        case .half(let h): return "\(h)H \(year)"
        case .quarter(let q): return "Q\(q) \(year)"
        case .month(let m): return "\(PartialDate.monthNames[m - 1]) \(year)"
        case .day(let m, let d): return "\(d) \(PartialDate.monthNames[m - 1]) \(year)"
        }
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ]

    /// World order: by the window's first day, then its last day (a day sorts before the month
    /// that holds it when both start together).
    public static func < (a: PartialDate, b: PartialDate) -> Bool {
        let (as_, bs) = (a.start, b.start)
        if as_ != bs { return as_ < bs }
        return a.end < b.end
    }

    /// True when the window holds `day`.
    public func contains(_ day: Day) -> Bool { start <= day && day <= end }
}
