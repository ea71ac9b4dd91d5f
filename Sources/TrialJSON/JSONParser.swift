// The strict JSON parser: RFC 8259, duplicate keys and deep nesting refused, canonical key
// order judged as it reads.

/// Why a text is not JSON, with the byte offset where reading stopped.
public struct JSONParseError: Error, Equatable, CustomStringConvertible, Sendable {
    public let offset: Int
    public let reason: String
    public var description: String { "malformed JSON at byte \(offset): \(reason)" }
}

extension JSONValue {
    /// Parses one JSON value (RFC 8259; duplicate keys and nesting deeper than 64 are refused).
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        var result: Result<JSONValue, JSONParseError> = .success(.null)
        text.withUTF8 { bytes in result = Result { () throws(JSONParseError) in try parse(bytes) } }
        return try result.get()
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var result: Result<JSONValue, JSONParseError> = .success(.null)
        bytes.withUnsafeBufferPointer { buf in result = Result { () throws(JSONParseError) in try parse(buf) } }
        return try result.get()
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var p = JSONParser(bytes: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != bytes.count { throw p.fail("unexpected text after the value") }
        return v
    }
}

struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0
    static let maxDepth = 64

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: i, reason: reason) }

    mutating func skipSpace() {
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { break }
        }
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard i < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            if depth >= Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth)") }
            i += 1
            var members: [JSONMember] = []
            members.reserveCapacity(8)  // one allocation for most objects, not one per doubling
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(JSONObject()) }
            // Whether the keys come in canonical order, judged on their bytes in the text as
            // they pass (nil once a key had an escape, whose text is not its bytes).
            var ascending: Bool? = true
            var previous = 0..<0
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let keyStart = i + 1
                let key = try string()
                let raw = keyStart..<(i - 1)
                if ascending == true {
                    if raw.count != key.utf8.count {
                        ascending = nil
                    } else if !previous.isEmpty || !members.isEmpty {
                        if JSONObject.compare(
                            UnsafeBufferPointer(rebasing: bytes[previous]), UnsafeBufferPointer(rebasing: bytes[raw]))
                            >= 0
                        {
                            ascending = false
                        }
                    }
                    previous = raw
                }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
                i += 1
                skipSpace()
                let v = try value(depth: depth + 1)
                members.append(JSONMember(key: key, value: v))
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end of input in an object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                throw fail("expected ',' or '}' in an object")
            }
            return .object(try JSONObject(parsed: members, ascending: ascending, offset: i, fail: fail))
        case UInt8(ascii: "["):
            if depth >= Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth)") }
            i += 1
            var items: [JSONValue] = []
            items.reserveCapacity(4)
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end of input in an array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; break }
                throw fail("expected ',' or ']' in an array")
            }
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number()
        default:
            throw fail("unexpected character")
        }
    }

    /// Powers of ten a Double holds exactly.
    private static let exactPowers: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }

    /// A number written as digits with a fraction and no exponent (`0.51`, `-11.1`), when at
    /// most 15 significant digits make it: the digits as an integer are exact in a Double, and
    /// so is the power of ten that scales them (at most 10^22), so one division rounds
    /// correctly, to the value strtod would give (Clinger's fast path). nil otherwise.
    static func exactDecimal(_ u: UnsafeBufferPointer<UInt8>) -> Double? {
        var k = 0, negative = false
        if k < u.count, u[k] == UInt8(ascii: "-") { negative = true; k += 1 }
        var mantissa: Int64 = 0, digits = 0, fraction = -1
        while k < u.count {
            let b = u[k]
            if b == UInt8(ascii: ".") {
                guard fraction < 0 else { return nil }
                fraction = 0
            } else if b >= 48, b <= 57 {
                if mantissa != 0 || b != 48 { digits += 1 }
                guard digits <= 15 else { return nil }
                mantissa = mantissa * 10 + Int64(b - 48)
                if fraction >= 0 { fraction += 1 }
            } else {
                return nil  // an exponent: strtod's
            }
            k += 1
        }
        guard fraction > 0, fraction <= 22 else { return nil }
        let v = Double(mantissa) / exactPowers[fraction]
        return negative ? -v : v
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw fail("unexpected end of input") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("unexpected character") }
        i += n
    }

    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = i
        var isInteger = true
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 else { throw fail("malformed number") }
        if bytes[i] == 48 {
            i += 1
            if i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { throw fail("leading zero in a number") }
        } else {
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 else { throw fail("malformed number") }
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 else { throw fail("malformed number") }
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
        }
        if isInteger, i - start <= 18 {
            // At most 18 digits: below 10^18, within Int64, so no text is needed.
            var k = start, negative = false, v: Int64 = 0
            if bytes[k] == UInt8(ascii: "-") { negative = true; k += 1 }
            while k < i { v = v * 10 + Int64(bytes[k] &- 48); k += 1 }
            return .int(negative ? -v : v)
        }
        if !isInteger, let d = Self.exactDecimal(UnsafeBufferPointer(rebasing: bytes[start..<i])) { return .double(d) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        if isInteger, let v = Int64(text) { return .int(v) }
        guard let d = Double(text), d.isFinite else {
            throw JSONParseError(offset: start, reason: "number out of range")
        }
        return .double(d)
    }

    mutating func string() throws(JSONParseError) -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes; ASCII noted on the way (always valid UTF-8).
        var high: UInt8 = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let s = UnsafeBufferPointer(rebasing: bytes[start..<i])
                i += 1
                if high < 0x80 { return String(decoding: s, as: UTF8.self) }
                return try validated(s, at: start)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw fail("control character in a string") }
            high |= b
            i += 1
        }
        var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<i]))
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                guard let str = String(validating: out, as: UTF8.self) else {
                    throw JSONParseError(offset: start, reason: "invalid UTF-8 in a string")
                }
                return str
            }
            if b < 0x20 { throw fail("control character in a string") }
            if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(34)
            case UInt8(ascii: "\\"): out.append(92)
            case UInt8(ascii: "/"): out.append(47)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800, scalar < 0xDC00 {
                    guard i + 1 < bytes.count, bytes[i] == 92, bytes[i + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate in a string")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00, low < 0xE000 else { throw fail("unpaired surrogate in a string") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00, scalar < 0xE000 {
                    throw fail("unpaired surrogate in a string")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                out.append(contentsOf: String(Character(u)).utf8)
            default:
                throw fail("invalid escape in a string")
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let d: UInt32
            switch b {
            case 48...57: d = UInt32(b - 48)
            case 65...70: d = UInt32(b - 55)
            case 97...102: d = UInt32(b - 87)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    func validated(_ s: UnsafeBufferPointer<UInt8>, at offset: Int) throws(JSONParseError) -> String {
        // Pure ASCII is always valid; otherwise check UTF-8 strictly.
        var ascii = true
        for b in s where b >= 0x80 { ascii = false; break }
        if ascii { return String(decoding: s, as: UTF8.self) }
        guard let str = String(validating: s, as: UTF8.self) else {
            throw JSONParseError(offset: offset, reason: "invalid UTF-8 in a string")
        }
        return str
    }
}
