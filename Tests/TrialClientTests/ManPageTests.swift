import Foundation
import TrialTestSupport
import XCTest

/// The man pages as `make install` puts them (`make check` installs into .build/install-check
/// first): every long option of each command's --help is in its page, and the sections
/// generate-manual cannot write are there (man/finish-page adds them).
final class ManPageTests: XCTestCase {
    var prefix: String { Repository.path(".build/install-check") }

    func page(_ path: String) throws -> String {
        try XCTSkipUnless(
            FileManager.default.fileExists(atPath: prefix + "/" + path),
            "run through `make check`, which installs into .build/install-check first")
        return try String(contentsOfFile: prefix + "/" + path, encoding: .utf8)
    }

    /// The long options a --help lists (`--as-of`), from its OPTIONS section on.
    func longOptions(_ program: String, _ args: [String]) throws -> Set<String> {
        let help = try runProgram(prefix + "/bin/" + program, args + ["--help"], output: .separate, timeout: 60)
        XCTAssertEqual(help.status, 0, "\(help)")
        guard let options = help.out.range(of: "OPTIONS:") else { return [] }
        let text = help.out[options.upperBound...]
        let regex = try NSRegularExpression(pattern: #"(?<![\w-])--[a-z][a-z-]*"#)
        let ns = String(text) as NSString
        return Set(
            regex.matches(in: String(text), range: NSRange(location: 0, length: ns.length)).map {
                ns.substring(with: $0.range)
            })
    }

    /// mdoc writes `--as-of` as `Fl -as-of`, and `-l, --full` as `Fl l , -full`.
    static func lists(_ man: String, _ option: String) -> Bool {
        let name = option.dropFirst(2)
        return man.contains("Fl -\(name) ") || man.contains("Fl -\(name)\n") || man.contains(" , -\(name) ")
            || man.contains(" , -\(name)\n")
    }

    func testTrialctlPageHasEveryOptionAndTheSections() throws {
        let man = try page("share/man/man1/trialctl.1")
        for command in [
            "status", "log", "record", "import", "correct", "retract", "watch", "upcoming", "verify", "rebuild",
            "stats", "timeline", "backup", "export",
        ] {
            let options = try longOptions("trialctl", [command])
            XCTAssertFalse(options.isEmpty, command)
            for option in options {
                XCTAssertTrue(Self.lists(man, option), "trialctl \(command) \(option) is not in trialctl.1")
            }
        }
        for section in ["ENVIRONMENT", "FILES", "\"EXIT STATUS\"", "EXAMPLES", "SEE ALSO"] {
            XCTAssertTrue(man.contains(".Sh \(section)\n"), section)
        }
        XCTAssertFalse(man.contains(".Ex -std"), "the exit codes are trialctl's own, not 0 or >0")
        for variable in ["TRIALCTL_SOCKET", "NO_COLOR", "SYSTEMD_COLORS", "SYSTEMD_PAGER", "PAGER", "SYSTEMD_LESS"] {
            XCTAssertTrue(man.contains("Ev \(variable)"), variable)
        }
        XCTAssertTrue(man.contains(".It 4\nNo such trial."))
        for reference in ["trialsd 8", "systemctl 1", "journalctl 1", "systemd.socket 5"] {
            XCTAssertTrue(man.contains(".Xr \(reference)"), reference)
        }
    }

    func testTrialsdPageHasNoSubcommandsAndItsOwnExitCodes() throws {
        let man = try page("share/man/man8/trialsd.8")
        for option in try longOptions("trialsd", []) {
            XCTAssertTrue(Self.lists(man, option), "trialsd \(option) is not in trialsd.8")
        }
        let synopsis = try XCTUnwrap(
            man.range(of: ".Sh SYNOPSIS\n").flatMap { s in
                man.range(of: ".Sh DESCRIPTION", range: s.upperBound..<man.endIndex).map {
                    man[s.upperBound..<$0.lowerBound]
                }
            })
        XCTAssertFalse(synopsis.contains("subcommand"), String(synopsis))
        XCTAssertFalse(man.contains(".It Em help"), "trialsd has no help subcommand")
        XCTAssertFalse(man.contains(".Ex -std"))
        XCTAssertTrue(man.contains(".It 0\nA clean stop"))
        XCTAssertTrue(man.contains(".It 2\nUsage error."))
        for variable in [
            "STATE_DIRECTORY", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "TRIALSD_DATABASE", "TRIALSD_SOCKET",
            "NOTIFY_SOCKET", "LISTEN_FDS",
        ] {
            XCTAssertTrue(man.contains("Ev \(variable)"), variable)
        }
        XCTAssertTrue(man.contains("Pa /var/lib/trialsd/trials.db"))
        XCTAssertTrue(man.contains("Pa /run/trialsd/control"))
        XCTAssertTrue(man.contains(".Xr trialctl 1"))
    }
}
