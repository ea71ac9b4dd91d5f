@testable import ClinicalTrialsGov
import TrialDomain
import TrialTestSupport
import XCTest

/// Posted results: C-AXSPAND (NCT02552212), a real record with 31 outcome measures.
final class ResultsTests: XCTestCase {
    func testTheRealRecordsResultsAreParsed() throws {
        let study = try Records.study("NCT02552212")
        XCTAssertTrue(study.hasResults)
        XCTAssertEqual(study.resultsFirstPosted, day("2020-08-17"))
        XCTAssertEqual(study.postedResults.count, 31)
        XCTAssertEqual(study.postedResults.filter { $0.outcomeType == .primary }.count, 11)
        XCTAssertEqual(study.postedResults.filter { $0.outcomeType == .secondary }.count, 20)

        // outcomeMeasures[0]: ASDAS-MI at week 52, percentages, odds ratio by logistic regression.
        let asdas = study.postedResults[0]
        XCTAssertEqual(
            asdas,
            EndpointResult(
                endpoint:
                    "Percentage of Subjects With Ankylosing Spondylitis Disease Activity Score Major Improvement (ASDAS-MI) Response Criteria Response at Week 52",
                values: [
                    .init(arm: "Placebo (FAS)", value: 7.0, unit: "percentage of subjects"),
                    .init(arm: "CZP 200 mg Q2W (FAS)", value: 47.2, unit: "percentage of subjects"),
                ],
                outcomeType: .primary,
                analyses: [
                    Analysis(
                        arms: ["Placebo (FAS)", "CZP 200 mg Q2W (FAS)"],
                        effect: Effect(
                            kind: .oddsRatio, value: 15.231, ciLevel: 95, ciLow: 7.336, ciHigh: 31.623, ciSides: 2),
                        pValue: .init(value: 0.001, comparator: .less, sided: nil),
                        method: "Regression, Logistic")
                ]))

        // outcomeMeasures[13]: BASFI change at week 52, least-squares means, the sponsor's "Difference".
        let basfi = study.postedResults[13]
        XCTAssertEqual(basfi.outcomeType, .secondary)
        XCTAssertTrue(
            basfi.endpoint.hasPrefix(
                "Change From Baseline to Week 52 in the Bath Ankylosing Spondylitis Functional Index (BASFI"))
        XCTAssertEqual(
            basfi.analyses,
            [
                Analysis(
                    arms: ["Placebo (FAS)", "CZP 200 mg Q2W (FAS)"],
                    effect: Effect(
                        kind: .other, name: "Difference", value: -1.585, ciLevel: 95, ciLow: -2.132, ciHigh: -1.038,
                        ciSides: 2),
                    pValue: .init(value: 0.0001, comparator: .less, sided: nil), method: "ANCOVA")
            ])

        // outcomeMeasures[27]: anterior uveitis, a p-value given as "=0.247"… or as the record has it.
        let uveitis = study.postedResults[27]
        XCTAssertEqual(uveitis.analyses.first?.effect?.value, 0.484)
        XCTAssertEqual(uveitis.analyses.first?.pValue?.value, 0.247)
        XCTAssertEqual(uveitis.analyses.first?.pValue?.comparator, .equal)

        // outcomeMeasures[3]: geometric means with their 95% confidence intervals; a group without
        // a value ("NA") is left out.
        let week1 = study.postedResults[3]
        XCTAssertEqual(
            week1.values, [.init(arm: "CZP 200 mg Q2W (SS)", value: 50.5, unit: "µg/mL", ciLow: 48.0, ciHigh: 53.0)])
        // outcomeMeasures[2]: no data posted; kept, by its title.
        XCTAssertEqual(study.postedResults[2].values, [])
    }

    func testRegistryPValuesAndEffectNames() {
        func p(_ s: String) -> EndpointResult.PValue? { StudyDocument.pValue(s) }
        XCTAssertEqual(p("<0.001"), .init(value: 0.001, comparator: .less, sided: nil))
        XCTAssertEqual(p("0.65"), .init(value: 0.65, comparator: .equal, sided: nil))
        XCTAssertEqual(p("≤ 0.05"), .init(value: 0.05, comparator: .lessOrEqual, sided: nil))
        XCTAssertEqual(p("p<0.0001"), .init(value: 0.0001, comparator: .less, sided: nil))
        XCTAssertNil(p(">0.05"))
        XCTAssertNil(p("NS"))
        XCTAssertNil(p("1.2"))
    }

    func testResultsPostedIsOneCriticalEventAndASecondImportNothing() throws {
        // The record before its results: registered, completed, dated; no results.
        let before = try Records.json("NCT02552212").setting("hasResults", to: false).setting("resultsSection", to: nil)
            .setting("protocolSection.statusModule.resultsFirstPostDateStruct", to: nil)
        var log = TrialLog(key: "NCT02552212")
        let first = try log.importRecord(before)
        XCTAssertFalse(first.events.contains { $0.type == .readout })

        let posted = try log.importRecord(try Records.json("NCT02552212"))
        XCTAssertEqual(posted.events.map(\.type), [.readout])
        XCTAssertEqual(posted.changes.map(\.severity), [.critical])
        XCTAssertEqual(
            posted.changes[0].description, "results posted 2020-08-17: 11 primary, 20 other outcome measures")
        XCTAssertEqual(posted.events[0].occurred, date("2020-08-17"))
        XCTAssertEqual(posted.events[0].source, "ClinicalTrials.gov NCT02552212, last update 2022-08-18")
        guard case .readout(let r) = posted.events[0].payload else { return XCTFail() }
        XCTAssertEqual(r.kind, .resultsPosted)
        XCTAssertEqual(r.outcome, .notStated)
        XCTAssertEqual(r.results.count, 31)
        XCTAssertLessThan(posted.events[0].json.canonicalText.utf8.count, 64 * 1024, "a reasonable event")

        let again = try log.importRecord(try Records.json("NCT02552212"))
        XCTAssertTrue(again.isEmpty)
    }

    func testResultsAreCappedInBytesPrimaryOnesLast() throws {
        let v = try Records.json("NCT02552212")
        let measures = try XCTUnwrap(v.at("resultsSection.outcomeMeasuresModule.outcomeMeasures")?.arrayValue)
        // 1,100 primary outcomes (the ASDAS-MI one, renamed) then the record's 31.
        let primary = (0..<1100).map { measures[0].setting("title", to: .string("Outcome \($0)")) }
        let many = v.setting("resultsSection.outcomeMeasuresModule.outcomeMeasures", to: .array(primary + measures))
        let plan = ImportPlanner.plan(study: try Records.only(many), current: nil)
        guard case .readout(let r) = plan.events.last?.payload else { return XCTFail() }
        let size = r.results.map { $0.json.canonicalText.utf8.count + 1 }.reduce(0, +)
        XCTAssertLessThanOrEqual(size, ImportPlanner.maximumResultsBytes)
        XCTAssertGreaterThan(size, ImportPlanner.maximumResultsBytes - 1_000)
        XCTAssertTrue(r.results.allSatisfy { $0.outcomeType == .primary }, "the others are left out first")
        XCTAssertEqual(r.results.first?.endpoint, "Outcome 0", "from the end")
        let kept = r.results.count
        XCTAssertEqual(
            plan.changes.last?.description,
            "results posted 2020-08-17: \(kept) primary, 0 other outcome measures (\(1131 - kept) more left out, \(1111 - kept) of them primary: at most 256 KiB of results)"
        )
    }

    func testSecondaryOutcomesAreCapped() throws {
        let v = try Records.json("NCT02552212")
        let measures = try XCTUnwrap(v.at("resultsSection.outcomeMeasuresModule.outcomeMeasures")?.arrayValue)
        let secondary = measures.filter { $0["type"] == "SECONDARY" }
        let more = v.setting("resultsSection.outcomeMeasuresModule.outcomeMeasures", to: .array(measures + secondary))
        let plan = ImportPlanner.plan(study: try Records.only(more), current: nil)
        guard case .readout(let r) = plan.events.last?.payload else { return XCTFail() }
        XCTAssertEqual(r.results.count, 11 + 20)
        XCTAssertEqual(
            plan.changes.last?.description,
            "results posted 2020-08-17: 11 primary, 20 other outcome measures (20 more left out: at most 20 besides the primary ones)"
        )
    }
}
