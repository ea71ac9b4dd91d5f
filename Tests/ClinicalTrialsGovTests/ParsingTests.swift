import ClinicalTrialsGov
import Foundation
import TrialDomain
import TrialTestSupport
import XCTest

final class ParsingTests: XCTestCase {
    func testObservationalNotYetRecruiting() throws {
        let s = try StudyDocument.parse(try Records.bytes("NCT06171568"), file: "NCT06171568.json")
        XCTAssertEqual(s.count, 1)
        let study = s[0]
        XCTAssertEqual(study.path, "$")
        XCTAssertEqual(study.nctId, "NCT06171568")
        XCTAssertEqual(study.orgStudyId, "APHP230528")
        XCTAssertEqual(study.secondaryIds, [Study.SecondaryId(id: "2023-A00386-39", type: "OTHER", domain: "IDRCB")])
        XCTAssertEqual(study.acronym, "ECOG")
        XCTAssertEqual(study.briefTitle, "Lariboisière Cognitive Assessment: Evaluation of the 1-year Outcomes")
        XCTAssertEqual(study.overallStatus, .notYetRecruiting)
        XCTAssertNil(study.whyStopped)
        XCTAssertEqual(study.startDate, StudyDate(date: date("2024-02-01"), type: .estimated))
        XCTAssertEqual(study.primaryCompletionDate, StudyDate(date: date("2025-02-01"), type: .estimated))
        XCTAssertEqual(study.completionDate, StudyDate(date: date("2025-02-01"), type: .estimated))
        XCTAssertEqual(study.statusVerifiedDate, date("2023-12"))
        XCTAssertEqual(study.firstPosted, day("2023-12-14"))
        XCTAssertEqual(study.lastUpdatePosted, day("2023-12-14"))
        XCTAssertEqual(study.phases, [])
        XCTAssertEqual(study.enrollment, Study.EnrollmentInfo(count: 400, type: .estimated))
        XCTAssertNil(study.allocation)
        XCTAssertNil(study.masking)
        XCTAssertEqual(study.armGroups, [])
        XCTAssertEqual(study.primaryOutcomes, ["Evaluation of the functional.."])
        XCTAssertEqual(study.leadSponsor, "Assistance Publique - Hôpitaux de Paris")
        XCTAssertEqual(study.collaborators, ["SBT Human(s) Matter", "Clinical Research Unit Saint Louis Lariboisière"])
        XCTAssertEqual(study.conditions, ["Brain Injuries"])
        XCTAssertFalse(study.hasResults)
        XCTAssertEqual(study.source, "ClinicalTrials.gov NCT06171568, last update 2023-12-14")
    }

    func testCompletedPhase3WithResults() throws {
        let study = try Records.study("NCT02552212")
        XCTAssertEqual(study.overallStatus, .completed)
        XCTAssertEqual(study.acronym, "C-AXSPAND")
        XCTAssertEqual(
            study.secondaryIds, [Study.SecondaryId(id: "2015-001894-41", type: "EUDRACT_NUMBER", domain: nil)])
        XCTAssertEqual(study.phases, [.phase3])
        XCTAssertEqual(study.enrollment, Study.EnrollmentInfo(count: 317, type: .actual))
        XCTAssertEqual(study.allocation, .randomized)
        XCTAssertEqual(study.masking, .quadruple)
        XCTAssertEqual(
            study.armGroups,
            [
                Study.ArmGroup(
                    label: "Certolizumab Pegol 200 mg Q2W", type: .experimental,
                    interventionNames: ["Biological: Certolizumab Pegol"]),
                Study.ArmGroup(label: "Placebo", type: .placeboComparator, interventionNames: ["Other: Placebo"]),
            ])
        XCTAssertEqual(study.primaryOutcomes.count, 11)
        XCTAssertEqual(
            study.primaryOutcomes.first?.hasPrefix("Percentage of Subjects With Ankylosing Spondylitis"), true)
        XCTAssertEqual(study.startDate, StudyDate(date: date("2015-09"), type: .actual))
        XCTAssertEqual(study.completionDate, StudyDate(date: date("2020-05"), type: .actual))
        XCTAssertEqual(study.lastUpdatePosted, day("2022-08-18"))
        XCTAssertEqual(study.leadSponsor, "UCB BIOSCIENCES GmbH")
        XCTAssertTrue(study.hasResults)
    }

    func testWithdrawnWithWhyStopped() throws {
        let study = try Records.study("NCT00973089")
        XCTAssertEqual(study.overallStatus, .withdrawn)
        XCTAssertEqual(
            study.whyStopped, "recruiting or enrolling participants has halted prematurely and will not resume")
        XCTAssertEqual(study.enrollment, Study.EnrollmentInfo(count: 0, type: .actual))
        // The start date has no type on this older record.
        XCTAssertEqual(study.startDate, StudyDate(date: date("2010-05"), type: nil))
        XCTAssertEqual(study.phases, [.notApplicable])
        XCTAssertEqual(study.allocation, .randomized)
        XCTAssertEqual(study.masking, .single)
        XCTAssertEqual(study.armGroups.map(\.type), [.noIntervention, .other])
        XCTAssertEqual(study.armGroups[0].interventionNames, [])
        XCTAssertNil(study.acronym)
        XCTAssertEqual(study.secondaryIds, [])
    }

    func testArrayAndPageForms() throws {
        let singles = try Records.names.map { try Records.study($0) }
        let all = try Records.names.map { try Records.json($0) }

        let array = try StudyDocument.parse(JSONValue.array(all).bytes, file: "array.json")
        XCTAssertEqual(array.map(\.path), ["[0]", "[1]", "[2]"])
        let page = try StudyDocument.parse(
            (["studies": .array(all), "nextPageToken": "NF0g5JGBlPMv"] as JSONValue).bytes, file: "page.json")
        XCTAssertEqual(page.map(\.path), ["studies[0]", "studies[1]", "studies[2]"])
        for (i, s) in singles.enumerated() {
            var a = array[i], p = page[i]
            a.path = s.path
            p.path = s.path
            XCTAssertEqual(a, s)
            XCTAssertEqual(p, s)
        }
        // The registry's last page has no token; an empty page is no studies.
        XCTAssertEqual(try StudyDocument.parse(Array(#"{"studies": []}"#.utf8), file: "empty.json"), [])
        XCTAssertEqual(try StudyDocument.parse(Array("[]".utf8), file: "empty.json"), [])
    }

    func testEveryOverallStatusMaps() throws {
        let expected: [(String, TrialStatus)] = [
            ("NOT_YET_RECRUITING", .notYetRecruiting), ("RECRUITING", .recruiting),
            ("ENROLLING_BY_INVITATION", .enrollingByInvitation), ("ACTIVE_NOT_RECRUITING", .activeNotRecruiting),
            ("SUSPENDED", .suspended), ("TERMINATED", .terminated), ("COMPLETED", .completed),
            ("WITHDRAWN", .withdrawn),
            ("UNKNOWN", .unknown), ("AVAILABLE", .available), ("NO_LONGER_AVAILABLE", .noLongerAvailable),
            ("TEMPORARILY_NOT_AVAILABLE", .temporarilyNotAvailable), ("APPROVED_FOR_MARKETING", .approvedForMarketing),
            ("WITHHELD", .withheld),
        ]
        XCTAssertEqual(Set(expected.map(\.1)), Set(TrialStatus.allCases))
        XCTAssertEqual(Set(RegistryVocabulary.overallStatus.map(\.0)), Set(expected.map(\.0)))
        let base = try Records.json("NCT06171568")
        for (registry, status) in expected {
            var v = base.setting("protocolSection.statusModule.overallStatus", to: .string(registry))
            if registry == "UNKNOWN" { v = v.setting("protocolSection.statusModule.lastKnownStatus", to: "RECRUITING") }
            let study = try Records.only(v)
            XCTAssertEqual(study.overallStatus, status, registry)
            let plan = ImportPlanner.plan(study: study, current: nil)
            guard case .statusChanged(let s) = plan.events[1].payload else { return XCTFail("no status event") }
            XCTAssertEqual(s.status, status)
            XCTAssertEqual(s.status.rawValue, registry.lowercased().replacingOccurrences(of: "_", with: "-"))
            XCTAssertEqual(s.lastKnownStatus, registry == "UNKNOWN" ? .recruiting : nil)
            // The contract's own validation accepts it (lastKnownStatus only with unknown).
            XCTAssertEqual(try Payload(type: .statusChanged, json: plan.events[1].payload.json), plan.events[1].payload)
        }
    }

    func testLastKnownStatusKeptOnlyForUnknown() throws {
        let v = try Records.json("NCT06171568").setting(
            "protocolSection.statusModule.lastKnownStatus", to: "RECRUITING")
        XCTAssertEqual(ImportPlanner.statusChange(of: try Records.only(v)), StatusChanged(status: .notYetRecruiting))
    }

    func testPhases() throws {
        let base = try Records.json("NCT02552212")
        let cases: [(JSONValue, [Phase], [String])] = [
            (["PHASE1", "PHASE2"], [.phase1, .phase2], ["phase-1", "phase-2"]),
            (["EARLY_PHASE1"], [.earlyPhase1], ["early-phase-1"]),
            (["NA"], [.notApplicable], ["not-applicable"]),
            (["PHASE2", "PHASE3"], [.phase2, .phase3], ["phase-2", "phase-3"]),
            (["PHASE4"], [.phase4], ["phase-4"]),
            ([], [], []),
        ]
        for (given, phases, kebab) in cases {
            let study = try Records.only(base.setting("protocolSection.designModule.phases", to: given))
            XCTAssertEqual(study.phases, phases)
            let registered = ImportPlanner.plan(study: study, current: nil).events[0].payload.json
            XCTAssertEqual(registered["phases"]?.arrayValue?.compactMap(\.stringValue) ?? [], kebab)
        }
    }

    // MARK: - Bad files: one line, file and JSON path

    func message(_ bytes: [UInt8], _ file: String = "bad.json") -> String? {
        do {
            let studies = try StudyDocument.parse(bytes, file: file)
            XCTFail("parsed \(studies.count) studies")
            return nil
        } catch {
            XCTAssertFalse(error.description.contains("\n"))
            return error.description
        }
    }

    func message(_ value: JSONValue, _ file: String = "bad.json") -> String? { message(value.bytes, file) }

    func testNotJSON() throws {
        let real = try Records.bytes("NCT00973089")
        XCTAssertEqual(
            message(Array(real.prefix(100)), "NCT00973089.json"),
            "NCT00973089.json: $: malformed JSON at byte 100: expected a string key")
        XCTAssertEqual(
            message(Array(real.prefix(90)), "NCT00973089.json"),
            "NCT00973089.json: $: malformed JSON at byte 90: unterminated string")
        XCTAssertEqual(message(Array("".utf8)), "bad.json: $: malformed JSON at byte 0: unexpected end of input")
        XCTAssertEqual(
            message(Array("<html>503</html>".utf8)), "bad.json: $: malformed JSON at byte 0: unexpected character")
        XCTAssertEqual(
            message(Array(#"{"studies": [], }"#.utf8)), "bad.json: $: malformed JSON at byte 16: expected a string key")
        let e = ImportError(file: "f.json", path: "$", reason: "r")
        XCTAssertEqual(e, ImportError(file: "f.json", path: "$", reason: "r"))
    }

    func testNotAStudy() throws {
        XCTAssertEqual(
            message(["hello": "world"]),
            "bad.json: $: not a ClinicalTrials.gov API v2 study (no protocolSection.identificationModule.nctId)")
        XCTAssertEqual(
            message("NCT06171568"),
            "bad.json: $: expected a study object, an array of studies or a {\"studies\": [...]} page, got a string")
        let good = try Records.json("NCT06171568")
        let noId = good.setting("protocolSection.identificationModule.nctId", to: nil)
        XCTAssertEqual(
            message(["studies": [good, noId]], "page.json"),
            "page.json: studies[1]: not a ClinicalTrials.gov API v2 study (no protocolSection.identificationModule.nctId)"
        )
        XCTAssertEqual(
            message([good, 42]),
            "bad.json: [1]: expected a study object, got a number")
        XCTAssertEqual(
            message(good.setting("protocolSection.identificationModule.nctId", to: "NCT0617156")),
            "bad.json: protocolSection.identificationModule.nctId: 'NCT0617156' is not an NCT number; the form is NCT followed by 8 digits, e.g. NCT07264075"
        )
        XCTAssertEqual(message(["studies": "none"]), "bad.json: studies: expected an array, got a string")
    }

    func testWrongType() throws {
        let good = try Records.json("NCT06171568")
        let bad = good.setting("protocolSection.designModule.enrollmentInfo.count", to: "400")
        XCTAssertEqual(
            message(["studies": [good, good, bad], "nextPageToken": "abc"], "page-3.json"),
            "page-3.json: studies[2].protocolSection.designModule.enrollmentInfo.count: expected a number, got a string"
        )
        XCTAssertEqual(
            message(good.setting("protocolSection.designModule.enrollmentInfo.count", to: 400.5)),
            "bad.json: protocolSection.designModule.enrollmentInfo.count: expected a whole number, got 400.5")
        XCTAssertEqual(
            message(good.setting("protocolSection.designModule.enrollmentInfo.count", to: -1)),
            "bad.json: protocolSection.designModule.enrollmentInfo.count: -1 is out of range 0...100000000")
        XCTAssertEqual(
            message(good.setting("protocolSection.conditionsModule.conditions", to: "Brain Injuries")),
            "bad.json: protocolSection.conditionsModule.conditions: expected an array, got a string")
        XCTAssertEqual(
            message(good.setting("protocolSection.conditionsModule.conditions", to: ["Brain Injuries", 7])),
            "bad.json: protocolSection.conditionsModule.conditions[1]: expected a string, got a number")
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule", to: ["overallStatus"])),
            "bad.json: protocolSection.statusModule: expected an object, got an array")
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule.whyStopped", to: true)),
            "bad.json: protocolSection.statusModule.whyStopped: expected a string, got a boolean")
        XCTAssertEqual(
            message([good, good.setting("hasResults", to: "no")]),
            "bad.json: [1].hasResults: expected a boolean, got a string")
        // A field we do not read may be anything.
        let extra = good.setting("protocolSection.designModule.enrollmentInfo.whatever", to: [1, "two"])
            .setting("derivedSection", to: 3)
        XCTAssertEqual(try StudyDocument.parse(extra.bytes, file: "ok.json").count, 1)
    }

    func testMissingRequired() throws {
        let good = try Records.json("NCT06171568")
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule.overallStatus", to: nil)),
            "bad.json: protocolSection.statusModule.overallStatus: missing (required)")
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule.lastUpdatePostDateStruct", to: nil)),
            "bad.json: protocolSection.statusModule.lastUpdatePostDateStruct: missing (required: the record's last update)"
        )
        XCTAssertEqual(
            message(
                good.setting("protocolSection.identificationModule.briefTitle", to: nil)
                    .setting("protocolSection.identificationModule.officialTitle", to: "  ")),
            "bad.json: protocolSection.identificationModule.briefTitle: missing (required: a brief or official title)")
    }

    func testUnknownEnumerationValue() throws {
        let good = try Records.json("NCT02552212")
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule.overallStatus", to: "HALTED"), "NCT02552212.json"),
            "NCT02552212.json: protocolSection.statusModule.overallStatus: 'HALTED' is not a known value; expected one of ACTIVE_NOT_RECRUITING, COMPLETED, ENROLLING_BY_INVITATION, NOT_YET_RECRUITING, RECRUITING, SUSPENDED, TERMINATED, WITHDRAWN, AVAILABLE, NO_LONGER_AVAILABLE, TEMPORARILY_NOT_AVAILABLE, APPROVED_FOR_MARKETING, WITHHELD, UNKNOWN"
        )
        XCTAssertEqual(
            message(good.setting("protocolSection.designModule.phases", to: ["PHASE2", "PHASE5"])),
            "bad.json: protocolSection.designModule.phases[1]: 'PHASE5' is not a known value; expected one of NA, EARLY_PHASE1, PHASE1, PHASE2, PHASE3, PHASE4"
        )
        // The registry's spelling only: the domain's kebab form is not the registry's.
        XCTAssertEqual(
            message(good.setting("protocolSection.designModule.phases", to: ["phase-3"])),
            "bad.json: protocolSection.designModule.phases[0]: 'phase-3' is not a known value; expected one of NA, EARLY_PHASE1, PHASE1, PHASE2, PHASE3, PHASE4"
        )
        XCTAssertEqual(
            message(good.setting("protocolSection.armsInterventionsModule.armGroups.1.type", to: "PLACEBO")),
            "bad.json: protocolSection.armsInterventionsModule.armGroups[1].type: 'PLACEBO' is not a known value; expected one of EXPERIMENTAL, ACTIVE_COMPARATOR, PLACEBO_COMPARATOR, SHAM_COMPARATOR, NO_INTERVENTION, OTHER"
        )
        XCTAssertEqual(
            message(good.setting("protocolSection.designModule.enrollmentInfo.type", to: "ANTICIPATED")),
            "bad.json: protocolSection.designModule.enrollmentInfo.type: 'ANTICIPATED' is not a known value; expected one of ACTUAL, ESTIMATED"
        )
        XCTAssertEqual(
            message(good.setting("protocolSection.designModule.designInfo.maskingInfo.masking", to: "BLIND\nED")),
            "bad.json: protocolSection.designModule.designInfo.maskingInfo.masking: 'BLIND ED' is not a known value; expected one of NONE, SINGLE, DOUBLE, TRIPLE, QUADRUPLE"
        )
    }

    func testMalformedDate() throws {
        let good = try Records.json("NCT06171568")
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule.startDateStruct.date", to: "2024-13-01")),
            "bad.json: protocolSection.statusModule.startDateStruct.date: '2024-13-01' is not a date; expected yyyy, yyyy-MM or yyyy-MM-dd"
        )
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule.completionDateStruct.date", to: "February 2025")),
            "bad.json: protocolSection.statusModule.completionDateStruct.date: 'February 2025' is not a date; expected yyyy, yyyy-MM or yyyy-MM-dd"
        )
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule.primaryCompletionDateStruct.date", to: "2025-Q1")),
            "bad.json: protocolSection.statusModule.primaryCompletionDateStruct.date: '2025-Q1' is not a date; expected yyyy, yyyy-MM or yyyy-MM-dd"
        )
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule.primaryCompletionDateStruct.type", to: "PLANNED")),
            "bad.json: protocolSection.statusModule.primaryCompletionDateStruct.type: 'PLANNED' is not a known value; expected one of ACTUAL, ESTIMATED"
        )
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule.lastUpdatePostDateStruct.date", to: "2023-12")),
            "bad.json: protocolSection.statusModule.lastUpdatePostDateStruct.date: '2023-12' is not a date; expected yyyy-MM-dd"
        )
        XCTAssertEqual(
            message(good.setting("protocolSection.statusModule.statusVerifiedDate", to: "2023-02-30")),
            "bad.json: protocolSection.statusModule.statusVerifiedDate: '2023-02-30' is not a date; expected yyyy, yyyy-MM or yyyy-MM-dd"
        )
        // Partial dates of every registry precision are fine.
        for d in ["2024", "2024-02", "2024-02-29"] {
            let s = try Records.only(good.setting("protocolSection.statusModule.startDateStruct.date", to: .string(d)))
            XCTAssertEqual(s.startDate?.date.description, d)
        }
    }

    /// A 1.5 MB record (NCT02552212 with its results repeated) parses and plans, keeping its
    /// results within the readout's bounds.
    func testLargeRecord() throws {
        var v = try Records.json("NCT02552212")
        let measures = v.at("resultsSection.outcomeMeasuresModule.outcomeMeasures")?.arrayValue ?? []
        XCTAssertFalse(measures.isEmpty)
        let copies = (1_500_000 - v.bytes.count) / JSONValue.array(measures).bytes.count + 2
        v = v.setting(
            "resultsSection.outcomeMeasuresModule.outcomeMeasures",
            to: .array(Array(repeating: measures, count: copies).flatMap { $0 }))
        let bytes = v.bytes
        XCTAssertGreaterThanOrEqual(bytes.count, 1_500_000)
        let studies = try StudyDocument.parse(bytes, file: "large.json")
        let plan: ImportPlan? = studies.first.map { ImportPlanner.plan(study: $0, current: nil) }
        XCTAssertEqual(studies.count, 1)
        XCTAssertEqual(studies[0].nctId, "NCT02552212")
        XCTAssertEqual(plan?.events.map(\.type), [.registered, .statusChanged, .datesUpdated, .readout])
        // Every primary outcome, at most 20 others: some 90 KB of results.
        guard case .readout(let r)? = plan?.events.last?.payload else { return XCTFail() }
        let size = r.results.map { $0.json.canonicalText.utf8.count + 1 }.reduce(0, +)
        XCTAssertLessThanOrEqual(size, ImportPlanner.maximumResultsBytes)
        XCTAssertEqual(r.results.filter { $0.outcomeType == .primary }.count, 11 * copies)
        XCTAssertEqual(r.results.filter { $0.outcomeType != .primary }.count, ImportPlanner.maximumNonPrimaryResults)
    }
}

/// A user's clone has no reference data beside it: the fixtures are the repository's own
/// (demo/ctgov, with their provenance), and nothing that builds or tests reads outside it.
final class RepositoryFixtureTests: XCTestCase {
    func testNothingReadsOutsideTheRepository() throws {
        let outside = ".." + "/shared", sibling = "shared" + "/ctgov"
        let root = Repository.root
        var offenders: [String] = []
        for top in ["Sources", "Tests", "Plugins", "Migrations", "Makefile", "Package.swift", ".ci", "benchmarks"] {
            let url = root.appendingPathComponent(top)
            let files =
                (FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }
                    ?? []) + [url]
            for file in files {
                guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
                if text.contains(outside) || text.contains(sibling) { offenders.append(file.path) }
            }
        }
        XCTAssertEqual(offenders, [])
        for name in Records.names {
            XCTAssertNoThrow(try Records.study(name), "\(name) is not in demo/ctgov")
        }
    }
}
