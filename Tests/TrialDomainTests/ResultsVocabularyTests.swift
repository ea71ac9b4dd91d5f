import TrialDomain
import TrialTestSupport
import XCTest

/// What the vocabulary gained for a registry's posted results: effects besides the hazard
/// ratio, analyses, an outcome type, p-values of unstated sidedness, a `not-stated` outcome.
final class ResultsVocabularyTests: XCTestCase {
    let base = #""trial": "NCT02552212", "occurred": "2020-08-17", "type": "readout""#

    func event(_ payload: String) throws -> NewEvent {
        try NewEvent(json: .parsed("{\(base), \"payload\": \(payload)}"), today: Fixture.today)
    }

    func refused(_ payload: String, file: StaticString = #filePath, line: UInt = #line) -> ValidationError? {
        do {
            _ = try event(payload)
            XCTFail("accepted: \(payload)", file: file, line: line)
            return nil
        } catch let e as ValidationError {
            return e
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func result(_ r: String) -> String { #"{"kind": "results-posted", "outcome": "not-stated", "results": [\#(r)]}"# }

    func testPostedResultsRoundTrip() throws {
        let text = result(
            #"""
            {"endpoint": "ASDAS-MI at Week 52", "outcomeType": "primary",
             "values": [{"arm": "Placebo (FAS)", "value": 7.0, "unit": "percentage of subjects"},
                        {"arm": "CZP 200 mg Q2W (FAS)", "value": 47.2, "unit": "percentage of subjects"}],
             "analyses": [{"arms": ["Placebo (FAS)", "CZP 200 mg Q2W (FAS)"],
                           "effect": {"kind": "odds-ratio", "value": 15.231, "ciLevel": 95, "ciLow": 7.336, "ciHigh": 31.623, "ciSides": 2},
                           "pValue": {"value": 0.001, "comparator": "<", "sided": "unstated"},
                           "method": "Regression, Logistic"},
                          {"effect": {"kind": "other", "name": "Hazard Ratio, log", "value": -0.2}},
                          {"pValue": {"value": 0.65}}]}
            """#)
        let e = try event(text)
        XCTAssertEqual(try NewEvent(json: e.json, today: Fixture.today), e)
        guard case .readout(let r) = e.payload else { return XCTFail() }
        XCTAssertEqual(r.kind, .resultsPosted)
        XCTAssertEqual(r.outcome, .notStated)
        let result = r.results[0]
        XCTAssertEqual(result.outcomeType, .primary)
        XCTAssertEqual(
            result.analyses[0].effect,
            Effect(kind: .oddsRatio, value: 15.231, ciLevel: 95, ciLow: 7.336, ciHigh: 31.623, ciSides: 2))
        XCTAssertEqual(result.analyses[0].pValue, EndpointResult.PValue(value: 0.001, comparator: .less, sided: nil))
        XCTAssertEqual(result.analyses[2].pValue?.sided, 2, "an omitted sidedness is 2, as always")
        XCTAssertTrue(
            e.payload.json.canonicalText.contains(#""pValue":{"comparator":"<","sided":"unstated","value":0.001}"#))
        XCTAssertEqual(
            result.summary,
            "ASDAS-MI at Week 52: Placebo (FAS) 7% vs CZP 200 mg Q2W (FAS) 47.2%, OR 15.231 (95% CI 7.336–31.623), P < .001, "
                + "Hazard Ratio, log -0.2, 2-sided P = .65")
        XCTAssertEqual(EventText.describe(e.payload), "results posted: 1 primary outcome measure")
    }

    func testEveryEffectKind() throws {
        for kind in EffectKind.allCases {
            let name = kind == .other ? #", "name": "Slope""# : ""
            let e = try event(
                result(
                    #"{"endpoint": "X", "analyses": [{"effect": {"kind": "\#(kind.rawValue)"\#(name), "value": 0.8, "ciLow": 0.5, "ciHigh": 1.1}}]}"#
                ))
            guard case .readout(let r) = e.payload else { return XCTFail() }
            XCTAssertEqual(r.results[0].analyses[0].effect?.kind, kind)
        }
        XCTAssertEqual(
            Effect(kind: .hazardRatio, value: 0.96, ciLevel: 95, ciLow: 0.81, ciHigh: 1.14).summary,
            "HR 0.96 (95% CI 0.81–1.14)")
        XCTAssertEqual(
            Effect(kind: .meanDifference, value: -1.7, ciLow: -2.1).summary, "mean difference -1.7 (95% CI ≥ -2.1)")
    }

    func testBadResultsAreRefusedWithTheirFieldPath() {
        let path = "payload.results[0].analyses[0]"
        let cases: [(String, String, String)] = [
            (
                #"{"effect": {"kind": "relative-risk", "value": 1}}"#, "\(path).effect.kind",
                "'relative-risk' is not one of"
            ),
            (
                #"{"effect": {"kind": "odds-ratio", "value": 2, "ciLow": 3, "ciHigh": 1}}"#, "\(path).effect.ciLow",
                "above its high end"
            ),
            (#"{"effect": {"kind": "risk-ratio", "value": 0}}"#, "\(path).effect.value", "greater than 0"),
            (#"{"effect": {"kind": "other", "value": 1}}"#, "\(path).effect.name", "needs the source's name"),
            (
                #"{"effect": {"kind": "odds-ratio", "name": "OR", "value": 1}}"#, "\(path).effect.name",
                "only an 'other' effect"
            ),
            (
                #"{"effect": {"kind": "odds-ratio", "value": 1, "ciSides": 3}}"#, "\(path).effect.ciSides",
                "out of range"
            ),
            (
                #"{"effect": {"kind": "odds-ratio", "value": 1, "ciLevel": 100}}"#, "\(path).effect.ciLevel",
                "between 0 and 100"
            ),
            (#"{"pValue": {"value": 0.5, "sided": "both"}}"#, "\(path).pValue.sided", "'both' is not a sidedness"),
            (#"{"pValue": {"value": 1.5}}"#, "\(path).pValue.value", "between 0 and 1"),
            (#"{"method": "ANCOVA"}"#, path, "an effect, a p-value or both"),
            (#"{"effect": {"kind": "odds-ratio", "value": 1}, "p": 1}"#, "\(path).p", "unknown field"),
        ]
        for (analysis, field, reason) in cases {
            let e = refused(result(#"{"endpoint": "X", "analyses": [\#(analysis)]}"#))
            XCTAssertEqual(e?.field, field, analysis)
            XCTAssertTrue(e?.reason.contains(reason) ?? false, "\(analysis): \(e?.reason ?? "")")
        }
        let badType = refused(result(#"{"endpoint": "X", "outcomeType": "tertiary"}"#))
        XCTAssertEqual(badType?.field, "payload.results[0].outcomeType")
        // The top-level p-value takes "unstated" too, and refuses other words.
        XCTAssertEqual(
            refused(result(#"{"endpoint": "X", "pValue": {"value": 0.5, "sided": "two"}}"#))?.field,
            "payload.results[0].pValue.sided")
    }

    func testAnOutcomeIsStillRequiredUnlessNotStatedIsChosen() throws {
        XCTAssertEqual(refused(#"{"kind": "results-posted"}"#)?.field, "payload.outcome")
        XCTAssertEqual(refused(#"{"kind": "final", "outcome": null}"#)?.field, "payload.outcome")
        _ = try event(#"{"kind": "final", "outcome": "not-stated"}"#)
        let interim = try NewEvent(
            json: .parsed(
                #"{"trial": "NCT02552212", "occurred": "2019", "type": "interim-analysis", "payload": {"outcome": "not-stated"}}"#
            ), today: Fixture.today)
        XCTAssertEqual(EventText.describe(interim.payload), "interim analysis: outcome not stated")
        XCTAssertEqual(
            EventText.describe(try event(#"{"kind": "final", "outcome": "not-stated", "endpoints": ["OS"]}"#).payload),
            "final: OS, outcome not stated")
    }
}
