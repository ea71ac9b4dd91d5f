#if canImport(Glibc)
    import Glibc
#endif

/// What trialctl knows about its standard output: whether it is a terminal, and how big.
public struct Terminal: Equatable, Sendable {
    /// Standard output is a terminal (isatty).
    public var isTTY: Bool
    /// Columns of the terminal (COLUMNS, else TIOCGWINSZ); nil when not a terminal.
    public var columns: Int?
    /// Rows of the terminal (LINES, else TIOCGWINSZ); nil when not a terminal.
    public var rows: Int?
    /// The TERM variable.
    public var term: String?

    public init(isTTY: Bool, columns: Int? = nil, rows: Int? = nil, term: String? = nil) {
        self.isTTY = isTTY
        self.columns = columns
        self.rows = rows
        self.term = term
    }

    /// Not a terminal: no colour, no symbols, no truncation, no pager.
    public static let pipe = Terminal(isTTY: false)

    /// Looks at file descriptor `fd` (standard output by default). COLUMNS and LINES override
    /// the size the kernel reports, as in systemd; a terminal of unknown size is 80×24.
    public static func detect(fd: Int32 = 1, environment: [String: String]) -> Terminal {
        guard isatty(fd) == 1 else { return Terminal(isTTY: false, term: environment["TERM"]) }
        var size = winsize()
        var cols: Int?
        var rows: Int?
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 {
            if size.ws_col > 0 { cols = Int(size.ws_col) }
            if size.ws_row > 0 { rows = Int(size.ws_row) }
        }
        if let c = environment["COLUMNS"].flatMap({ Int($0) }), c > 0 { cols = c }
        if let r = environment["LINES"].flatMap({ Int($0) }), r > 0 { rows = r }
        return Terminal(isTTY: true, columns: cols ?? 80, rows: rows ?? 24, term: environment["TERM"])
    }

    /// Colour only on a terminal that is not "dumb", never with NO_COLOR (set and not empty),
    /// SYSTEMD_COLORS=0 (or false, no, off) or --no-color.
    public func colorEnabled(environment: [String: String], noColorFlag: Bool = false) -> Bool {
        guard isTTY, !noColorFlag, term != "dumb" else { return false }
        if let v = environment["NO_COLOR"], !v.isEmpty { return false }
        if let v = environment["SYSTEMD_COLORS"], ["0", "false", "no", "off", "n", "f"].contains(v.lowercased()) {
            return false
        }
        return true
    }

    /// The style renderers use: colour by the policy above, symbols and truncation on a terminal
    /// (`full` turns truncation off, like systemctl's --full).
    public func style(environment: [String: String], noColorFlag: Bool = false, full: Bool = false) -> Style {
        Style(
            color: colorEnabled(environment: environment, noColorFlag: noColorFlag),
            symbols: isTTY && term != "dumb",
            width: isTTY && !full ? (columns ?? 80) : nil)
    }
}

/// How renderers draw: colour on or off, symbols (● ✓ ✗ ⚠) or plain ASCII, and the width to
/// truncate to (nil: never truncate, as when the output goes to a pipe or a file).
public struct Style: Equatable, Sendable {
    public var color: Bool
    public var symbols: Bool
    public var width: Int?

    public init(color: Bool, symbols: Bool, width: Int?) {
        self.color = color
        self.symbols = symbols
        self.width = width
    }

    /// A pipe or a file: no colour, no symbols, no truncation.
    public static let plain = Style(color: false, symbols: false, width: nil)

    /// A terminal of `width` columns.
    public static func terminal(width: Int, color: Bool = true) -> Style {
        Style(color: color, symbols: true, width: width)
    }

    /// `text` in `color` when colour is on.
    public func paint(_ text: String, _ color: ANSIColor?) -> String {
        guard self.color, let color, !text.isEmpty else { return text }
        return color.rawValue + text + ANSIColor.reset.rawValue
    }

    /// A symbol, or its ASCII stand-in off a terminal.
    public func glyph(_ g: Glyph) -> String { symbols ? g.unicode : g.ascii }
}

/// The escape sequences trialctl uses (systemd's choices).
public enum ANSIColor: String, Sendable {
    case green = "\u{1B}[0;1;32m"
    case red = "\u{1B}[0;1;31m"
    case yellow = "\u{1B}[0;1;33m"
    case grey = "\u{1B}[0;38;5;245m"
    case bold = "\u{1B}[0;1;39m"
    case underline = "\u{1B}[0;4m"
    /// Struck through and grey: what was withdrawn.
    case struck = "\u{1B}[0;9;38;5;245m"
    case reset = "\u{1B}[0m"
}

/// Symbols with their ASCII stand-ins.
public enum Glyph: Sendable {
    case bullet, hollowBullet, check, cross, warning, ellipsis

    public var unicode: String {
        switch self {
        case .bullet: "●"
        case .hollowBullet: "○"
        case .check: "✓"
        case .cross: "✗"
        case .warning: "⚠"
        case .ellipsis: "…"
        }
    }

    public var ascii: String {
        switch self {
        case .bullet: "*"
        case .hollowBullet: "*"
        case .check: "+"
        case .cross: "x"
        case .warning: "!"
        case .ellipsis: "..."
        }
    }
}

// MARK: - Display width

public enum TextWidth {
    /// The number of terminal columns `s` takes: East Asian wide and fullwidth characters and
    /// most emoji count 2, combining marks and zero-width characters 0, ANSI escapes nothing.
    public static func of(_ s: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in s.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" {
                inEscape = true
                continue
            }
            width += columns(scalar)
        }
        return width
    }

    /// The columns one scalar takes.
    public static func columns(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        if v < 0x300 { return 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B || (0x1160...0x11FF).contains(v) { return 0 }
        if isWide(v) { return 2 }
        return 1
    }

    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
            0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB,
            0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA,
            0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C, 0x274E, 0x2753...0x2755, 0x2757,
            0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C, 0x2B50, 0x2B55,
            0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
            0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18AFF, 0x1B000...0x1B2FF,
            0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F320,
            0x1F32D...0x1F335, 0x1F337...0x1F37C, 0x1F37E...0x1F393, 0x1F3A0...0x1F3CA,
            0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4, 0x1F3F8...0x1F43E, 0x1F440, 0x1F442...0x1F4FC,
            0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567, 0x1F57A, 0x1F595...0x1F596, 0x1F5A4,
            0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC, 0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6D7,
            0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7EB, 0x1F90C...0x1F93A, 0x1F93C...0x1F945,
            0x1F947...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// `s` cut to at most `width` columns, ending in `…` when cut. Whole characters only (an
    /// accent is never parted from its letter, a wide character never halved). ANSI escapes
    /// take no room and are kept; a cut painted text is reset before the ellipsis.
    public static func truncate(_ s: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        if of(s) <= width { return s }
        let budget = width - of(ellipsis)
        guard budget >= 0 else { return truncate(ellipsis, to: width, ellipsis: "") }
        var out = ""
        var used = 0
        var inEscape = false
        var painted = false
        for ch in s {
            if inEscape {
                out.append(ch)
                if let a = ch.asciiValue, (0x40...0x7E).contains(a), ch != "[" { inEscape = false }
                continue
            }
            if ch == "\u{1B}" {
                inEscape = true
                painted = true
                out.append(ch)
                continue
            }
            let w = of(String(ch))
            if used + w > budget { break }
            out.append(ch)
            used += w
        }
        // No dangling space before the ellipsis.
        while out.last == " " { out.removeLast() }
        return out + (painted ? ANSIColor.reset.rawValue : "") + ellipsis
    }

    /// `s` padded with spaces to `width` columns (on the left when `right`-aligned).
    public static func pad(_ s: String, to width: Int, right: Bool = false) -> String {
        let w = of(s)
        guard w < width else { return s }
        let fill = String(repeating: " ", count: width - w)
        return right ? fill + s : s + fill
    }
}
