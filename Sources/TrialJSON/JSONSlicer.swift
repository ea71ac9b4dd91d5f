/// Finds the byte ranges of a JSON text's members and elements without building values: what
/// the registry sync reads of a page of records (each record's bytes, a few small members), so
/// that a page of 25 MB costs a scan, not a tree of ten times its size. It checks the
/// structure it walks (brackets, strings, separators); the values it hands on are checked
/// whole where they are parsed (trialsd parses each record strictly).
public enum JSONSlicer {
    public struct Malformed: Error, Equatable, CustomStringConvertible, Sendable {
        public let offset: Int
        public let reason: String
        public var description: String { "malformed JSON at byte \(offset): \(reason)" }
    }

    /// The members of the object at `range` (its first byte `{`), each key as its raw bytes
    /// between the quotes (escapes not undone) and its value's range.
    public static func members(_ bytes: [UInt8], in range: Range<Int>) throws(Malformed) -> [(
        key: ArraySlice<UInt8>, value: Range<Int>
    )] {
        let found: Result<[(Range<Int>, Range<Int>)], Malformed> = bytes.withUnsafeBufferPointer { b in
            Result { () throws(Malformed) in try members(b, in: range) }
        }
        return try found.get().map { (bytes[$0.0], $0.1) }
    }

    static func members(_ bytes: UnsafeBufferPointer<UInt8>, in range: Range<Int>) throws(Malformed) -> [(
        Range<Int>, Range<Int>
    )] {
        var i = range.lowerBound
        return try members(bytes, at: &i, end: range.upperBound)
    }

    /// The members of the object at `i`; `i` ends just past its closing brace.
    static func members(_ bytes: UnsafeBufferPointer<UInt8>, at i: inout Int, end: Int) throws(Malformed) -> [(
        Range<Int>, Range<Int>
    )] {
        var out: [(Range<Int>, Range<Int>)] = []
        try expect(bytes, &i, end, UInt8(ascii: "{"))
        skipSpace(bytes, &i, end)
        if i < end, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return out
        }
        while true {
            skipSpace(bytes, &i, end)
            guard i < end, bytes[i] == UInt8(ascii: "\"") else {
                throw Malformed(offset: i, reason: "expected a member's name")
            }
            let keyStart = i + 1
            try skipString(bytes, &i, end)
            let key = keyStart..<(i - 1)
            skipSpace(bytes, &i, end)
            try expect(bytes, &i, end, UInt8(ascii: ":"))
            skipSpace(bytes, &i, end)
            let valueStart = i
            try skipValue(bytes, &i, end, depth: 0)
            out.append((key, valueStart..<i))
            skipSpace(bytes, &i, end)
            guard i < end else { throw Malformed(offset: i, reason: "the object does not end") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            try expect(bytes, &i, end, UInt8(ascii: "}"))
            return out
        }
    }

    /// The elements' ranges of the array at `range` (its first byte `[`).
    public static func elements(_ bytes: [UInt8], in range: Range<Int>) throws(Malformed) -> [Range<Int>] {
        let found: Result<[Range<Int>], Malformed> = bytes.withUnsafeBufferPointer { b in
            Result { () throws(Malformed) in try elements(b, in: range) }
        }
        return try found.get()
    }

    static func elements(_ bytes: UnsafeBufferPointer<UInt8>, in range: Range<Int>) throws(Malformed) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = range.lowerBound
        let end = range.upperBound
        try expect(bytes, &i, end, UInt8(ascii: "["))
        skipSpace(bytes, &i, end)
        if i < end, bytes[i] == UInt8(ascii: "]") { return out }
        while true {
            skipSpace(bytes, &i, end)
            let start = i
            try skipValue(bytes, &i, end, depth: 0)
            out.append(start..<i)
            skipSpace(bytes, &i, end)
            guard i < end else { throw Malformed(offset: i, reason: "the array does not end") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            try expect(bytes, &i, end, UInt8(ascii: "]"))
            return out
        }
    }

    /// The whole text's value range, white space around it excluded; anything after it is an error.
    public static func document(_ bytes: [UInt8]) throws(Malformed) -> Range<Int> {
        let found: Result<Range<Int>, Malformed> = bytes.withUnsafeBufferPointer { b in
            Result { () throws(Malformed) in try document(b) }
        }
        return try found.get()
    }

    /// The object's members as `members` gives them, after checking that nothing but white
    /// space surrounds it: one scan for a whole text that is one object.
    public static func topMembers(_ bytes: [UInt8]) throws(Malformed) -> [(key: ArraySlice<UInt8>, value: Range<Int>)] {
        let found: Result<[(Range<Int>, Range<Int>)], Malformed> = bytes.withUnsafeBufferPointer { b in
            Result { () throws(Malformed) in
                var i = 0
                skipSpace(b, &i, b.count)
                guard i < b.count, b[i] == UInt8(ascii: "{") else {
                    throw Malformed(offset: i, reason: "expected an object")
                }
                let m = try members(b, at: &i, end: b.count)
                skipSpace(b, &i, b.count)
                guard i == b.count else { throw Malformed(offset: i, reason: "text after the value") }
                return m
            }
        }
        return try found.get().map { (bytes[$0.0], $0.1) }
    }

    static func document(_ bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> Range<Int> {
        var i = 0
        skipSpace(bytes, &i, bytes.count)
        let start = i
        try skipValue(bytes, &i, bytes.count, depth: 0)
        let value = start..<i
        skipSpace(bytes, &i, bytes.count)
        guard i == bytes.count else { throw Malformed(offset: i, reason: "text after the value") }
        return value
    }

    @inline(__always) static func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) {
        while i < end, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    @inline(__always) static func expect(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int, _ c: UInt8)
        throws(Malformed)
    {
        guard i < end, b[i] == c else {
            throw Malformed(
                offset: i, reason: i < end ? "expected '\(Character(Unicode.Scalar(c)))'" : "the text ends early")
        }
        i += 1
    }

    /// Past a string whose opening quote is at `i`.
    @inline(__always) static func skipString(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int)
        throws(Malformed)
    {
        let start = i
        i += 1
        while i < end {
            let c = b[i]
            if c > UInt8(ascii: "\\") || (c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\")) {
                i += 1; continue
            }
            switch c {
            case UInt8(ascii: "\""): i += 1; return
            case UInt8(ascii: "\\"): i += 2
            default: throw Malformed(offset: i, reason: "a control character in a string")
            }
        }
        throw Malformed(offset: start, reason: "a string that does not end")
    }

    static func skipValue(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int, depth: Int) throws(Malformed) {
        guard i < end else { throw Malformed(offset: i, reason: "the text ends early") }
        guard depth < 64 else { throw Malformed(offset: i, reason: "nested deeper than 64") }
        switch b[i] {
        case UInt8(ascii: "\""):
            try skipString(b, &i, end)
        case UInt8(ascii: "{"):
            i += 1
            skipSpace(b, &i, end)
            if i < end, b[i] == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipSpace(b, &i, end)
                guard i < end, b[i] == UInt8(ascii: "\"") else {
                    throw Malformed(offset: i, reason: "expected a member's name")
                }
                try skipString(b, &i, end)
                skipSpace(b, &i, end)
                try expect(b, &i, end, UInt8(ascii: ":"))
                skipSpace(b, &i, end)
                try skipValue(b, &i, end, depth: depth + 1)
                skipSpace(b, &i, end)
                guard i < end else { throw Malformed(offset: i, reason: "the object does not end") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect(b, &i, end, UInt8(ascii: "}"))
                return
            }
        case UInt8(ascii: "["):
            i += 1
            skipSpace(b, &i, end)
            if i < end, b[i] == UInt8(ascii: "]") { i += 1; return }
            while true {
                skipSpace(b, &i, end)
                try skipValue(b, &i, end, depth: depth + 1)
                skipSpace(b, &i, end)
                guard i < end else { throw Malformed(offset: i, reason: "the array does not end") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect(b, &i, end, UInt8(ascii: "]"))
                return
            }
        default:
            // A number or a literal: up to the next separator.
            let start = i
            while i < end {
                switch b[i] {
                case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x0A, 0x0D, 0x09: break
                default: i += 1; continue
                }
                break
            }
            guard i > start else { throw Malformed(offset: i, reason: "expected a value") }
        }
    }
}
