import TrialDomain

/// The registry's history API returns text HTML-escaped (`SpO2 &lt;&#x2F;= 94%`) where the v2
/// API returns it plain: every string of a version is unescaped before it is imported, so that
/// a backfilled title equals the same title synced.
public enum HTMLText {
    public static func unescape(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(unescape(s))
        case .array(let items): return .array(items.map(unescape))
        case .object(let o): return .object(JSONObject(o.members.map { ($0.key, unescape($0.value)) }))
        default: return value
        }
    }

    static let named: [Substring: Character] = [
        "lt": "<", "gt": ">", "amp": "&", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
    ]

    /// `&lt;`, `&#47;`, `&#x2F;` … become their characters; anything else (a bare `&`, an unknown
    /// name, a code point that is not a scalar) stays as written.
    public static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(12).firstIndex(of: ";"), let c = character(after[..<semi]) {
                out.append(c)
                rest = after[after.index(after: semi)...]
            } else {
                out.append("&")
                rest = after
            }
        }
        out += rest
        return out
    }

    private static func character(_ entity: Substring) -> Character? {
        if let c = named[entity] { return c }
        guard entity.first == "#" else { return nil }
        let digits = entity.dropFirst()
        let code: UInt32?
        if digits.first == "x" || digits.first == "X" {
            code = UInt32(digits.dropFirst(), radix: 16)
        } else {
            code = UInt32(digits, radix: 10)
        }
        guard let code, code != 0, let scalar = Unicode.Scalar(code) else { return nil }
        return Character(scalar)
    }
}
