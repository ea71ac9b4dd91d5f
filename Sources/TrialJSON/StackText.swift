/// Short ASCII texts (numbers, dates) made in a buffer on the stack, then appended to bytes
/// or decoded as a string, instead of arrays grown and shifted digit by digit: every event,
/// projection row, reply and journal entry carries several.
package enum StackText {
    /// The buffer's size: a sign and 40 digits at most (`put`'s widths), or a date.
    package static let capacity = 48

    /// A string of what `write` puts in the buffer (it returns the length). Decoded from the
    /// stack, a text of 15 bytes or fewer is a small string, kept inline without allocating.
    package static func string(_ write: (UnsafeMutablePointer<UInt8>) -> Int) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[..<write(buffer.baseAddress!)]), as: UTF8.self)
        }
    }

    /// Appends what `write` puts in the buffer (it returns the length).
    package static func append(to out: inout [UInt8], _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<write(buffer.baseAddress!)]))
        }
    }

    /// Writes `value`'s decimal digits, at least `width` of them (zero-padded on the left, at
    /// most 40), at `p`; returns how many bytes it wrote.
    package static func put(_ value: Int64, width: Int, at p: UnsafeMutablePointer<UInt8>) -> Int {
        precondition(width <= 40, "at most 40 digits of padding")
        var sign = 0
        if value < 0 {
            p[0] = UInt8(ascii: "-")
            sign = 1
        }
        var v = value.magnitude, digits = 1, rest = v
        while rest >= 10 { rest /= 10; digits += 1 }
        let length = max(digits, width)
        var k = sign + length
        for _ in 0..<length {
            k -= 1
            p[k] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
        }
        return sign + length
    }
}
