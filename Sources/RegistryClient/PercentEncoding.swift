/// RFC 3986 percent-encoding of one query name, value or path segment: everything but the
/// unreserved characters (letters, digits, `-._~`) is encoded, so `[`, `]`, `,`, `+`, `/`,
/// `=`, `&` and spaces in a search or a page token reach the server as they were meant.
enum PercentEncoding {
    static func component(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let hex = Array("0123456789ABCDEF")
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out.append("%")
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        }
        return out
    }

    /// `a=1&b=2`, each name and value encoded.
    static func query(_ items: [(String, String)]) -> String {
        items.map { component($0.0) + "=" + component($0.1) }.joined(separator: "&")
    }
}
