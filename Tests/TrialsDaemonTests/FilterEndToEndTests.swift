import Foundation
import TrialDomain
import TrialTestSupport
import XCTest

/// `status`, `upcoming` and `log` with filters (issue 30), the built trialctl against the built
/// trialsd.
extension TrialctlEndToEndTests {
    /// 520 trials, 510 of them Akeso's: a filtered listing of more than one Status page (500).
    func recordFilterTrials() throws {
        var lines: [String] = []
        for i in 0..<520 {
            let akeso = i < 510
            let sponsor = akeso ? "Akeso, Inc." : "GORTEC"
            let phases = i % 2 == 0 ? #"["phase-3"]"# : #"["phase-2", "phase-3"]"#
            let condition = i % 5 == 0 ? "Non-Small-Cell Lung Cancer" : "NSCLC"
            let intervention = akeso ? "ivonescimab" : "pembrolizumab"
            let key = String(format: "F-%03d", i)
            lines.append(
                #"{"trial": "\#(key)", "type": "registered", "occurred": "2024", "payload": {"title": "t", "acronym": "\#(key)", "sponsor": "\#(sponsor)", "phases": \#(phases), "conditions": ["\#(condition)"], "arms": [{"label": "A", "interventions": ["\#(intervention)"]}]}}"#
            )
            if i % 10 == 0 {
                lines.append(
                    #"{"trial": "\#(key)", "type": "status-changed", "occurred": "2024-06", "payload": {"status": "recruiting"}}"#
                )
            }
            if i % 100 == 0 {
                lines.append(
                    #"{"trial": "\#(key)", "type": "milestone-expected", "occurred": "2024-06", "payload": {"milestone": "readout", "window": "2026-12"}}"#
                )
            }
        }
        let r = try trialctl(["record", "--file", "-"], stdin: lines.joined(separator: "\n") + "\n")
        XCTAssertEqual(r.status, 0, "\(r)")
    }

    func testStatusUpcomingAndLogFilterInTrialsd() throws {
        try recordFilterTrials()
        func rows(_ args: [String]) throws -> [Substring] {
            let r = try trialctl(args + ["--no-legend", "--full"])
            XCTAssertEqual(r.status, 0, "\(args): \(r)")
            return r.out.split(separator: "\n")
        }
        // Two pages of Status, in list order.
        let akeso = try rows(["status", "--sponsor", "akeso"])
        XCTAssertEqual(akeso.count, 510)
        XCTAssertTrue(akeso.first?.hasPrefix("F-000") ?? false, "\(akeso.first ?? "")")
        XCTAssertTrue(akeso.last?.hasPrefix("F-509") ?? false, "\(akeso.last ?? "")")
        // OR within a filter, AND across.
        XCTAssertEqual(try rows(["status", "--sponsor", "akeso", "--sponsor", "GORTEC"]).count, 520)
        XCTAssertEqual(
            try rows(["status", "--status", "RECRUITING", "--sponsor", "gortec"]).map { $0.prefix(5) }, ["F-510"])
        XCTAssertEqual(
            try rows(["status", "--phase", "2/3", "--condition", "lung cancer", "--intervention", "pembrolizumab"]).map
            { $0.prefix(5) },
            ["F-515"])
        XCTAssertEqual(try rows(["status", "--phase", "PHASE3", "--condition", "NSCLC"]).count, 416)
        XCTAssertEqual(try rows(["status", "--followed"]).count, 0)
        var r = try trialctl(["status", "--sponsor", "akeso", "--json=short"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual((try JSONValue.parse(r.out))["trials"]?.arrayValue?.count, 510)

        XCTAssertEqual(try rows(["upcoming", "--all", "--sponsor", "gortec"]).count, 0)
        XCTAssertEqual(
            try rows(["upcoming", "--all", "--intervention", "ivonescimab", "--status", "recruiting"]).count, 6)
        // The events of the matching trials only.
        let events = try rows(["log", "--sponsor", "GORTEC", "--phase", "3"])
        XCTAssertEqual(events.count, 11, "10 registrations, one status change")
        XCTAssertTrue(events.allSatisfy { $0.contains("F-51") }, "\(events)")
        XCTAssertEqual(try rows(["log", "-n", "2", "--sponsor", "gortec"]).count, 2)

        // A value that names nothing: a usage error naming the valid ones, before any call.
        r = try trialctl(["status", "--phase", "5"])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(
            r.err.hasPrefix("trialctl: --phase 5: the phases are early-1, 1, 1/2, 2, 2/3, 3, 4, not-applicable"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1)
        r = try trialctl(["upcoming", "--status", "recruting"])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(
            r.err.hasPrefix("trialctl: --status recruting: the statuses are not-yet-recruiting, recruiting, "), r.err)
        r = try trialctl(["log", "--sponsor=...", "--type", "registered"])
        XCTAssertEqual(r.status, 2, "\(r)")
        r = try trialctl(["status", "F-001", "--phase", "3"])
        XCTAssertEqual(r.status, 2, "\(r)")
        // trialsd refuses it too, with the valid values, for a client that did not check.
        let refusal = try daemon.connect().trialsError("Status", ["phases": ["5"]])
        XCTAssertEqual(refusal?.name, "org.trialtrack.Trials.InvalidFilter")
        XCTAssertEqual(refusal?.parameters["valid"]?.arrayValue?.count, PhaseTerm.allCases.count)
    }
}
