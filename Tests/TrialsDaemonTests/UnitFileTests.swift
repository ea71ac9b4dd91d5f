import Foundation
import TrialTestSupport
import XCTest

/// The shipped units as `make install` puts them (`make check` installs into
/// .build/install-check first), checked with systemd-analyze.
final class UnitFileTests: XCTestCase {
    var prefix: String { Repository.path(".build/install-check") }

    func installed() throws -> String {
        try XCTSkipUnless(
            FileManager.default.fileExists(atPath: prefix + "/bin/trialsd"),
            "run through `make check`, which installs into .build/install-check first")
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "needs systemd-analyze")
        return prefix
    }

    func analyze(_ args: [String], environment: [String: String] = [:]) throws -> ProgramResult {
        try runProgram(
            "/usr/bin/systemd-analyze", args,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, timeout: 120)
    }

    func testMakeInstallPutsEverythingInTheStandardPlaces() throws {
        let prefix = try installed()
        for file in [
            "bin/trialsd", "bin/trialctl", "lib/systemd/system/trialsd.service", "lib/systemd/system/trialsd.socket",
            "lib/systemd/system/trialtrack-sync.service", "lib/systemd/system/trialtrack-sync.timer",
            "lib/sysusers.d/trialsd.conf", "lib/tmpfiles.d/trialsd.conf", "lib/systemd/catalog/trialsd.catalog",
            "share/man/man1/trialctl.1", "share/man/man8/trialsd.8", "share/bash-completion/completions/trialctl",
            "share/zsh/site-functions/_trialctl", "share/fish/vendor_completions.d/trialctl.fish",
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(prefix)/\(file)"), file)
        }
        let service = try String(contentsOfFile: prefix + "/lib/systemd/system/trialsd.service", encoding: .utf8)
        XCTAssertTrue(service.contains("ExecStart=\(prefix)/bin/trialsd"), "ExecStart follows PREFIX")
        let sync = try String(contentsOfFile: prefix + "/lib/systemd/system/trialtrack-sync.service", encoding: .utf8)
        XCTAssertTrue(sync.contains("ExecStart=\(prefix)/bin/trialctl sync"), "the sync's ExecStart follows PREFIX")
        let sysusers = try String(contentsOfFile: prefix + "/lib/sysusers.d/trialsd.conf", encoding: .utf8)
        XCTAssertTrue(
            sysusers.contains("\nm trialtrack-sync trialsd\n"), "the sync's user is in the writers group, trialsd")
    }

    func testSystemdAnalyzeVerifyPrintsNothing() throws {
        let prefix = try installed()
        let units = ["trialsd.service", "trialsd.socket", "trialtrack-sync.service", "trialtrack-sync.timer"].map {
            "\(prefix)/lib/systemd/system/\($0)"
        }
        // The man pages it checks for Documentation= are the installed ones.
        let r = try analyze(["verify"] + units, environment: ["MANPATH": prefix + "/share/man"])
        XCTAssertEqual(r.out, "", "systemd-analyze verify must print nothing")
        XCTAssertEqual(r.status, 0, "\(r)")
    }

    /// `systemd-analyze security --offline=true`'s overall exposure of an installed unit.
    func exposure(_ unit: String) throws -> (score: Double, line: String) {
        let prefix = try installed()
        let output = try analyze(["security", "--offline=true", "\(prefix)/lib/systemd/system/\(unit)"]).out
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.contains("Overall exposure level") }, output)
        let score = try XCTUnwrap(Double(line.split(separator: ":").last!.split(separator: " ").first!), String(line))
        return (score, String(line))
    }

    func testTheServiceIsHardened() throws {
        let (score, line) = try exposure("trialsd.service")
        XCTAssertLessThanOrEqual(score, 1.0, line)
    }

    /// It rates 1.2 with systemd 252. Its largest items are the network it needs (no
    /// PrivateNetwork=, Internet address families, no IPAddressDeny=); the rest is what
    /// trialsd is also allowed (@resources, the host's root, AF_UNIX, the RTC). Anything that
    /// loosens it fails here.
    func testTheSyncServiceIsHardenedApartFromTheNetwork() throws {
        let (score, line) = try exposure("trialtrack-sync.service")
        XCTAssertLessThanOrEqual(score, 1.2, line)
    }

    /// The timer's OnCalendar= (read from the installed timer): 15:00 UTC, Monday to Friday,
    /// whatever the machine's time zone. From a Friday just after 15:00 UTC the next runs are
    /// the following Monday to Friday, then Monday again.
    func testTheSyncTimerElapsesAt1500UTCOnWeekdays() throws {
        let prefix = try installed()
        let timer = try String(contentsOfFile: prefix + "/lib/systemd/system/trialtrack-sync.timer", encoding: .utf8)
        let calendar = try XCTUnwrap(
            timer.split(separator: "\n").first { $0.hasPrefix("OnCalendar=") }?.dropFirst("OnCalendar=".count), timer)
        // A machine in Tokyo: systemd-analyze prints local times and, beside them, "(in UTC)".
        let tokyo = ["TZ": "Asia/Tokyo"]
        func utcElapses(_ extra: [String]) throws -> [String] {
            let r = try analyze(["calendar", "--iterations=6"] + extra + [String(calendar)], environment: tokyo)
            XCTAssertEqual(r.status, 0, "\(r)")
            return r.out.split(separator: "\n").compactMap { line in
                line.contains("(in UTC):")
                    ? line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) : nil
            }
        }
        XCTAssertEqual(
            try utcElapses(["--base-time=2026-12-11 15:00:01 UTC"]),
            [
                "Mon 2026-12-14 15:00:00 UTC", "Tue 2026-12-15 15:00:00 UTC", "Wed 2026-12-16 15:00:00 UTC",
                "Thu 2026-12-17 15:00:00 UTC", "Fri 2026-12-18 15:00:00 UTC", "Mon 2026-12-21 15:00:00 UTC",
            ])
        // And from now: the next elapse is a weekday at 15:00 UTC.
        let next = try XCTUnwrap(try utcElapses([]).first)
        XCTAssertTrue(
            ["Mon", "Tue", "Wed", "Thu", "Fri"].contains(String(next.prefix(3))) && next.hasSuffix(" 15:00:00 UTC"),
            next)
    }
}
