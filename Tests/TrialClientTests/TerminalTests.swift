@testable import TrialClient
import XCTest

final class TerminalTests: XCTestCase {
    // MARK: - socket lookup

    func locate(_ env: [String: String], existing: Set<String> = [], option: String? = nil) -> SocketLocator.Location {
        SocketLocator(environment: env, fileExists: { existing.contains($0) }, uid: 1000).locate(option: option)
    }

    func testSocketLookupOrder() {
        let system: Set<String> = ["/run/trialsd/control"]
        let env = ["TRIALCTL_SOCKET": "/tmp/t/control", "XDG_RUNTIME_DIR": "/run/user/1000"]
        XCTAssertEqual(
            locate(env, existing: system, option: "/srv/control"), .init(path: "/srv/control", origin: .option))
        XCTAssertEqual(locate(env, existing: system), .init(path: "/tmp/t/control", origin: .environment))
        // Without a choice: the system socket, then the user's, each tried until one accepts
        // a connection (whether the system socket exists or not: it may refuse this user).
        func candidates(_ env: [String: String], existing: Set<String> = [], uid: UInt32 = 1000) -> [String] {
            SocketLocator(environment: env, fileExists: { existing.contains($0) }, uid: uid).candidates().map(\.path)
        }
        XCTAssertEqual(
            locate(["XDG_RUNTIME_DIR": "/run/user/1000"], existing: system),
            .init(path: "/run/trialsd/control", origin: .system))
        XCTAssertEqual(
            candidates(["XDG_RUNTIME_DIR": "/run/user/1000"]),
            ["/run/trialsd/control", "/run/user/1000/trialsd/control"])
        XCTAssertEqual(
            candidates(["XDG_RUNTIME_DIR": "/tmp/xdg/"]), ["/run/trialsd/control", "/tmp/xdg/trialsd/control"])
        XCTAssertEqual(
            candidates([:], existing: ["/run/user/1000"]), ["/run/trialsd/control", "/run/user/1000/trialsd/control"])
        XCTAssertEqual(
            candidates(["XDG_RUNTIME_DIR": "", "HOME": "/home/u"], existing: ["/run/user/1000"]),
            ["/run/trialsd/control", "/run/user/1000/trialsd/control"])
        XCTAssertEqual(
            candidates(["HOME": "/home/u"]), ["/run/trialsd/control", "/home/u/.local/state/trialsd/control"],
            "no runtime directory: the user's trialsd puts its socket in the state directory")
        XCTAssertEqual(
            candidates(["HOME": "/root"], uid: 0), ["/run/trialsd/control"], "root's own socket is the system's")
        XCTAssertEqual(
            locate(["TRIALCTL_SOCKET": ""], existing: system), .init(path: "/run/trialsd/control", origin: .system),
            "an empty TRIALCTL_SOCKET is no choice")
    }

    // MARK: - colour and terminal

    func testColourPolicy() {
        let tty = Terminal(isTTY: true, columns: 120, rows: 40, term: "xterm-256color")
        XCTAssertTrue(tty.colorEnabled(environment: [:]))
        XCTAssertFalse(Terminal.pipe.colorEnabled(environment: [:]), "never off a terminal")
        XCTAssertFalse(tty.colorEnabled(environment: ["NO_COLOR": "1"]))
        XCTAssertTrue(tty.colorEnabled(environment: ["NO_COLOR": ""]), "NO_COLOR counts when not empty")
        XCTAssertFalse(tty.colorEnabled(environment: ["SYSTEMD_COLORS": "0"]))
        XCTAssertFalse(tty.colorEnabled(environment: ["SYSTEMD_COLORS": "false"]))
        XCTAssertTrue(tty.colorEnabled(environment: ["SYSTEMD_COLORS": "1"]))
        XCTAssertFalse(tty.colorEnabled(environment: [:], noColorFlag: true))
        XCTAssertFalse(Terminal(isTTY: true, columns: 80, rows: 24, term: "dumb").colorEnabled(environment: [:]))
    }

    func testStyles() {
        let tty = Terminal(isTTY: true, columns: 120, rows: 40, term: "xterm")
        XCTAssertEqual(tty.style(environment: [:]), Style(color: true, symbols: true, width: 120))
        XCTAssertEqual(tty.style(environment: ["NO_COLOR": "1"]), Style(color: false, symbols: true, width: 120))
        XCTAssertEqual(tty.style(environment: [:], full: true), Style(color: true, symbols: true, width: nil))
        XCTAssertEqual(Terminal.pipe.style(environment: [:]), .plain)
        XCTAssertEqual(Style.plain.glyph(.bullet), "*")
        XCTAssertEqual(Style.terminal(width: 80).glyph(.bullet), "●")
        XCTAssertEqual(Style.plain.paint("x", .red), "x")
        XCTAssertEqual(Style.terminal(width: 80).paint("x", .red), "\u{1B}[0;1;31mx\u{1B}[0m")
        XCTAssertEqual(Style.terminal(width: 80).paint("x", nil), "x")
    }

    func testDetectingAPipe() {
        // Under the test runner standard output is not a terminal, or is: either way the
        // answer is consistent.
        let t = Terminal.detect(fd: -1, environment: ["COLUMNS": "100"])
        XCTAssertEqual(t, Terminal(isTTY: false, columns: nil, rows: nil, term: nil))
    }

    // MARK: - display width

    func testDisplayWidth() {
        XCTAssertEqual(TextWidth.of("HARMONi-6"), 9)
        XCTAssertEqual(TextWidth.of("Tête et Cou"), 11)
        XCTAssertEqual(TextWidth.of("Te\u{0302}te"), 4, "a combining accent takes no column")
        XCTAssertEqual(TextWidth.of("依沃西单抗"), 10, "CJK characters take two columns")
        XCTAssertEqual(TextWidth.of("ＮＣＴ"), 6, "fullwidth forms take two")
        XCTAssertEqual(TextWidth.of("👍"), 2)
        XCTAssertEqual(TextWidth.of("● ○ ✓ ✗ ⚠ …"), 11)
        XCTAssertEqual(TextWidth.of("95% CI 0.38–0.69"), 16)
        XCTAssertEqual(TextWidth.of("\u{1B}[0;1;32mrecruiting\u{1B}[0m"), 10, "escapes take no room")
        XCTAssertEqual(TextWidth.of("a\u{200B}b"), 2)
    }

    func testTruncateAndPad() {
        XCTAssertEqual(TextWidth.truncate("preplanned interim analysis", to: 12), "preplanned…")
        XCTAssertEqual(TextWidth.truncate("preplanned interim analysis", to: 13), "preplanned i…")
        XCTAssertEqual(TextWidth.truncate("short", to: 12), "short")
        XCTAssertEqual(TextWidth.truncate("依沃西单抗", to: 6), "依沃…", "a wide character is never halved")
        XCTAssertEqual(TextWidth.of(TextWidth.truncate("依沃西单抗", to: 6)), 5)
        XCTAssertEqual(TextWidth.truncate("Te\u{0302}te de cou", to: 5), "Te\u{0302}te…")
        XCTAssertEqual(TextWidth.truncate("abcdef", to: 4, ellipsis: "..."), "a...")
        XCTAssertEqual(TextWidth.truncate("abcdef", to: 0), "")
        XCTAssertEqual(
            TextWidth.truncate("Status: \u{1B}[0;1;31mwithdrawn\u{1B}[0m since 2015-03", to: 14),
            "Status: \u{1B}[0;1;31mwithd\u{1B}[0m…", "escapes take no room, and a cut paint is reset")
        XCTAssertEqual(TextWidth.pad("依沃", to: 6), "依沃  ")
        XCTAssertEqual(TextWidth.pad("12", to: 4, right: true), "  12")
        XCTAssertEqual(TextWidth.pad("toolong", to: 3), "toolong")
    }

    func testTableAlignsByDisplayWidth() {
        var t = Table([Table.Column("TRIAL"), Table.Column("SPONSOR"), Table.Column("N", alignRight: true)])
        t.add([Table.Cell("依沃西单抗-1"), Table.Cell("Tête et Cou"), Table.Cell("780")])
        t.add([Table.Cell("ILLUMINE"), Table.Cell("Akeso"), Table.Cell("5")])
        XCTAssertEqual(
            t.render(.plain),
            [
                "TRIAL        SPONSOR       N",
                "依沃西单抗-1 Tête et Cou 780",
                "ILLUMINE     Akeso         5",
            ])
        var colored = t
        colored.rows[1][1].color = .green
        XCTAssertEqual(colored.render(.terminal(width: 80))[2], "ILLUMINE     \u{1B}[0;1;32mAkeso\u{1B}[0m         5")
    }

    func testTableSharesTheShrinking() {
        var t = Table([
            Table.Column("A"), Table.Column("B", shrinkPriority: 1, minWidth: 4),
            Table.Column("C", shrinkPriority: 1, minWidth: 4),
        ])
        t.add([
            Table.Cell("aaaa"), Table.Cell(String(repeating: "b", count: 30)),
            Table.Cell(String(repeating: "c", count: 10)),
        ])
        XCTAssertEqual(t.widths(.terminal(width: 30)), [4, 14, 10], "the widest gives up room first")
        XCTAssertEqual(t.render(.terminal(width: 30, color: false))[1], "aaaa bbbbbbbbbbbbb… cccccccccc")
        XCTAssertEqual(t.widths(.terminal(width: 20)), [4, 7, 7], "then both share")
        XCTAssertEqual(t.widths(.terminal(width: 14)), [4, 4, 4])
        XCTAssertEqual(t.widths(.plain), [4, 30, 10])
    }

    // MARK: - pager

    func testPagerChoice() {
        XCTAssertEqual(Pager.command(environment: [:]), "less")
        XCTAssertEqual(Pager.command(environment: ["PAGER": "more"]), "more")
        XCTAssertEqual(Pager.command(environment: ["PAGER": "more", "SYSTEMD_PAGER": "most"]), "most")
        XCTAssertNil(Pager.command(environment: ["SYSTEMD_PAGER": "cat", "PAGER": "less"]))
        XCTAssertNil(Pager.command(environment: ["PAGER": ""]))
        XCTAssertEqual(Pager.pagerEnvironment([:])["LESS"], "FRSXMK")
        XCTAssertEqual(Pager.pagerEnvironment(["SYSTEMD_LESS": "FRXMK", "LESS": "x"])["LESS"], "FRXMK")
        XCTAssertEqual(Pager.pagerEnvironment([:])["LESSCHARSET"], "utf-8")
    }

    func testPagerOnlyForLongOutputOnATerminal() {
        let tty = Terminal(isTTY: true, columns: 80, rows: 10, term: "xterm")
        let short = String(repeating: "line\n", count: 9)
        let long = String(repeating: "line\n", count: 10)
        XCTAssertFalse(Pager.shouldPage(short, terminal: tty, noPager: false, environment: [:]))
        XCTAssertTrue(Pager.shouldPage(long, terminal: tty, noPager: false, environment: [:]))
        XCTAssertFalse(Pager.shouldPage(long, terminal: tty, noPager: true, environment: [:]))
        XCTAssertFalse(Pager.shouldPage(long, terminal: .pipe, noPager: false, environment: [:]))
        XCTAssertFalse(Pager.shouldPage(long, terminal: tty, noPager: false, environment: ["SYSTEMD_PAGER": "cat"]))
        // Wrapped lines count.
        XCTAssertEqual(Pager.screenLines(String(repeating: "x", count: 170) + "\n", columns: 80), 3)
        XCTAssertEqual(Pager.screenLines("a\n\nb", columns: 80), 3)
    }

    // MARK: - formats

    func testFormats() {
        XCTAssertEqual(Format.bytes(512), "512B")
        XCTAssertEqual(Format.bytes(1536), "1.5K")
        XCTAssertEqual(Format.bytes(12_900_000), "12.3M")
        XCTAssertEqual(Format.bytes(3 << 30), "3.0G")
        XCTAssertEqual(Format.timespan(seconds: 45), "45s")
        XCTAssertEqual(Format.timespan(seconds: 185), "3min 5s")
        XCTAssertEqual(Format.timespan(seconds: 11_525.5), "3h 12min")
        XCTAssertEqual(Format.timespan(seconds: 356_400), "4d 3h")
        XCTAssertEqual(Format.timespan(seconds: 0.25), "250ms")
        XCTAssertEqual(Format.recorded("2026-11-21T19:37:24.123456Z"), "2026-11-21T19:37:24Z")
        XCTAssertEqual(Format.window("2026-H1"), "2026-H1 (1H 2026)")
        XCTAssertEqual(Format.window("2025-04"), "2025-04 (April 2025)")
        XCTAssertEqual(Format.window("2026-06-02"), "2026-06-02 (2 June 2026)")
        XCTAssertEqual(Format.window("2027"), "2027")
    }
}
