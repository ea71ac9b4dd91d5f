/// Text made safe for XML 1.0, shared by the Atom feed and the SVG timeline.
///
/// XML 1.0 allows only tab, line feed, carriage return, U+0020–U+D7FF, U+E000–U+FFFD and
/// U+10000–U+10FFFF, escaped or not (`&#1;` is as ill-formed as the byte itself). A log's
/// payload texts may hold any character (they are stored as escaped JSON), so each forbidden
/// one becomes U+FFFD: a reader sees that something was there, and the document still parses.
enum XMLText {
    /// Character data: `&`, `<` and `>` escaped, forbidden characters replaced.
    static func content(_ s: String) -> String { escape(s, attribute: false) }

    /// An attribute value in double quotes: also `"`, and tab, line feed and carriage return as
    /// character references, so that attribute-value normalisation does not turn them to spaces.
    static func attribute(_ s: String) -> String { escape(s, attribute: true) }

    static func isAllowed(_ v: UInt32) -> Bool {
        v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v)
            || (0x10000...0x10FFFF).contains(v)
    }

    private static func escape(_ s: String, attribute: Bool) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"" where attribute: out.append(contentsOf: "&quot;".unicodeScalars)
            case "\t" where attribute: out.append(contentsOf: "&#9;".unicodeScalars)
            case "\n" where attribute: out.append(contentsOf: "&#10;".unicodeScalars)
            case "\r": out.append(contentsOf: "&#13;".unicodeScalars)  // a bare CR would be read as a line feed
            default:
                out.append(isAllowed(u.value) ? u : "\u{FFFD}")
            }
        }
        return String(out)
    }
}
