import TrialDomain

/// Small formatting helpers, systemd style.
public enum Format {
    /// `512B`, `1.5K`, `12.3M`, `2.0G` (powers of 1024, one decimal below 10 units … as systemd).
    public static func bytes(_ n: Int64) -> String {
        let units = ["K", "M", "G", "T", "P", "E"]
        if n < 1024 { return "\(n)B" }
        var value = Double(n)
        var unit = ""
        for u in units {
            value /= 1024
            unit = u
            if value < 1024 { break }
        }
        let tenths = Int64((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)\(unit)"
    }

    /// `45s`, `3min 5s`, `2h 7min`, `4d 3h` (two largest units, as systemctl shows uptimes).
    public static func timespan(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "-" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        var s = Int64(seconds)
        let parts: [(String, Int64)] = [
            ("y", 31_557_600), ("month", 2_629_800), ("w", 604_800), ("d", 86_400), ("h", 3600), ("min", 60), ("s", 1),
        ]
        var out: [String] = []
        for (name, size) in parts where s >= size {
            out.append("\(s / size)\(name)")
            s %= size
            if out.count == 2 { break }
        }
        return out.joined(separator: " ")
    }

    /// `2026-11-21T19:37:24.123456Z` → `2026-11-21T19:37:24Z`.
    public static func recorded(_ s: String) -> String {
        let u = Array(s.utf8)
        guard u.count >= 19, u[10] == UInt8(ascii: "T") else { return s }
        return String(decoding: u[0..<19], as: UTF8.self) + "Z"
    }

    /// `2026-H1 (1H 2026)`: the window as given, and as a person reads it when that differs.
    public static func window(_ text: String) -> String {
        guard let d = try? PartialDate(parsing: text) else { return text }
        let human = d.humanDescription
        return human == text ? text : "\(text) (\(human))"
    }

    /// A duration for a person: `850 ms`, `0.42 s` is `420 ms`, `2.5 s`, `12 s`.
    public static func duration(seconds d: Double) -> String {
        guard d.isFinite, d >= 0 else { return "-" }
        if d < 1 { return "\(Int((d * 1000).rounded())) ms" }
        let tenths = (d * 10).rounded() / 10
        return "\(formatNumber(tenths)) s"
    }

    /// `-1`, `0.5`: a number as typed, without a needless `.0`.
    public static func number(_ d: Double) -> String {
        d.isFinite && d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
    }
}
