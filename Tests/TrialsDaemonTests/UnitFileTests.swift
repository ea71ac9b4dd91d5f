import Foundation
import TrialTestSupport
import XCTest

/// The shipped units as `make install` puts them (`make check` installs into
/// .build/install-check first), checked with systemd-analyze.
final class UnitFileTests: XCTestCase {
    var prefix: String { Repository.path(".build/install-check") }

    func installed() throws -> String {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: prefix + "/bin/trialsd"), "run through `make check`, which installs into .build/install-check first")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "needs systemd-analyze")
        return prefix
    }

    func analyze(_ args: [String], environment: [String: String] = [:]) throws -> ProgramResult {
        try runProgram("/usr/bin/systemd-analyze", args, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, timeout: 120)
    }

    func testMakeInstallPutsEverythingInTheStandardPlaces() throws {
        let prefix = try installed()
        for file in ["bin/trialsd", "bin/trialctl", "lib/systemd/system/trialsd.service", "lib/systemd/system/trialsd.socket",
                     "lib/sysusers.d/trialsd.conf", "lib/tmpfiles.d/trialsd.conf", "lib/systemd/catalog/trialsd.catalog",
                     "share/man/man1/trialctl.1", "share/man/man8/trialsd.8", "share/bash-completion/completions/trialctl",
                     "share/zsh/site-functions/_trialctl", "share/fish/vendor_completions.d/trialctl.fish"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(prefix)/\(file)"), file)
        }
        let service = try String(contentsOfFile: prefix + "/lib/systemd/system/trialsd.service", encoding: .utf8)
        XCTAssertTrue(service.contains("ExecStart=\(prefix)/bin/trialsd"), "ExecStart follows PREFIX")
    }

    func testSystemdAnalyzeVerifyPrintsNothing() throws {
        let prefix = try installed()
        let units = ["trialsd.service", "trialsd.socket"].map { "\(prefix)/lib/systemd/system/\($0)" }
        // The man pages it checks for Documentation= are the installed ones.
        let r = try analyze(["verify"] + units, environment: ["MANPATH": prefix + "/share/man"])
        XCTAssertEqual(r.out, "", "systemd-analyze verify must print nothing")
        XCTAssertEqual(r.status, 0, "\(r)")
    }

    func testTheServiceIsHardened() throws {
        let prefix = try installed()
        let output = try analyze(["security", "--offline=true", "\(prefix)/lib/systemd/system/trialsd.service"]).out
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.contains("Overall exposure level") }, output)
        let score = try XCTUnwrap(Double(line.split(separator: ":").last!.split(separator: " ").first!), String(line))
        XCTAssertLessThanOrEqual(score, 1.0, String(line))
    }
}
