import ClinicalTrialsGov
import TrialDomain
import TrialTestSupport
import XCTest

final class PlannerTests: XCTestCase {
    func ids(_ pairs: [(Registry, String)]) throws -> [TrialIdentifier] {
        try pairs.map { try TrialIdentifier(registry: $0.0, id: $0.1) }
    }

    func event(_ trial: String, _ payload: Payload, _ occurred: String, update: String) throws -> NewEvent {
        NewEvent(
            trial: try TrialReference(trial), payload: payload, occurred: date(occurred),
            source: "ClinicalTrials.gov \(trial), last update \(update)")
    }

    // MARK: - New trials

    func testNewObservationalTrialWithEstimatedDates() throws {
        let plan = ImportPlanner.plan(study: try Records.study("NCT06171568"), current: nil)
        XCTAssertEqual(plan.trial.text, "NCT06171568")
        XCTAssertEqual(plan.baseVersion, 0)
        let registered = Registered(
            title: "Lariboisière Cognitive Assessment: Evaluation of the 1-year Outcomes", acronym: "ECOG",
            identifiers: try ids([(.nct, "NCT06171568"), (.sponsor, "APHP230528"), (.other, "2023-A00386-39")]),
            sponsor: "Assistance Publique - Hôpitaux de Paris",
            collaborators: ["SBT Human(s) Matter", "Clinical Research Unit Saint Louis Lariboisière"],
            phases: [], conditions: ["Brain Injuries"], arms: [], primaryEndpoints: ["Evaluation of the functional.."],
            enrollment: Enrollment(count: 400, type: .estimated), design: nil)
        let estimated = { (d: String) in StudyDate(date: date(d), type: .estimated) }
        let u = "2023-12-14"
        XCTAssertEqual(
            plan.events,
            [
                try event("NCT06171568", .registered(registered), u, update: u),
                try event("NCT06171568", .statusChanged(StatusChanged(status: .notYetRecruiting)), u, update: u),
                try event(
                    "NCT06171568",
                    .datesUpdated(
                        DatesUpdated(
                            start: estimated("2024-02-01"), primaryCompletion: estimated("2025-02-01"),
                            completion: estimated("2025-02-01"))), u, update: u),
            ])
        XCTAssertEqual(plan.changes.map(\.severity), [.notable, .notable, .minor])
        XCTAssertEqual(plan.severity, .notable)
        XCTAssertEqual(
            plan.changes.map(\.description),
            [
                "new trial NCT06171568 ECOG: Lariboisière Cognitive Assessment: Evaluation of the 1-year Outcomes (400 participants, estimated)",
                "status not-yet-recruiting",
                "start 2024-02-01 (estimated); primary completion 2025-02-01 (estimated); completion 2025-02-01 (estimated)",
            ])
    }

    func testNewCompletedPhase3DatedByItsActualDates() throws {
        let plan = ImportPlanner.plan(study: try Records.study("NCT02552212"), current: nil)
        XCTAssertEqual(plan.events.map(\.type), [.registered, .statusChanged, .datesUpdated, .readout])
        // Registered when first posted; completed when the record says it completed (actual);
        // results when they were first posted.
        XCTAssertEqual(plan.events.map(\.occurred.description), ["2015-09-17", "2020-05", "2022-08-18", "2020-08-17"])
        XCTAssertEqual(Set(plan.events.map(\.source)), ["ClinicalTrials.gov NCT02552212, last update 2022-08-18"])
        guard case .registered(let r) = plan.events[0].payload else { return XCTFail() }
        XCTAssertEqual(
            r.identifiers, try ids([(.nct, "NCT02552212"), (.eudract, "2015-001894-41"), (.sponsor, "AS0006")]))
        XCTAssertEqual(r.acronym, "C-AXSPAND")
        XCTAssertEqual(r.phases, [.phase3])
        XCTAssertEqual(r.enrollment, Enrollment(count: 317, type: .actual))
        XCTAssertEqual(r.design, Registered.Design(allocation: .randomized, masking: .quadruple))
        XCTAssertEqual(
            r.arms,
            [
                Registered.Arm(
                    label: "Certolizumab Pegol 200 mg Q2W", type: .experimental,
                    interventions: ["Biological: Certolizumab Pegol"]),
                Registered.Arm(label: "Placebo", type: .placeboComparator, interventions: ["Other: Placebo"]),
            ])
        XCTAssertEqual(r.primaryEndpoints.count, 11)
        XCTAssertEqual(plan.events[1].payload, .statusChanged(StatusChanged(status: .completed)))
        XCTAssertEqual(
            plan.events[2].payload,
            .datesUpdated(
                DatesUpdated(
                    start: StudyDate(date: date("2015-09"), type: .actual),
                    primaryCompletion: StudyDate(date: date("2018-05"), type: .actual),
                    completion: StudyDate(date: date("2020-05"), type: .actual))))
        XCTAssertEqual(plan.changes.map(\.severity), [.notable, .notable, .minor, .critical])
    }

    func testNewWithdrawnTrialIsCritical() throws {
        let plan = ImportPlanner.plan(study: try Records.study("NCT00973089"), current: nil)
        XCTAssertEqual(plan.events.map(\.type), [.registered, .statusChanged, .datesUpdated])
        XCTAssertEqual(plan.events.map(\.occurred.description), ["2009-09-09", "2015-03", "2015-08-19"])
        guard case .registered(let r) = plan.events[0].payload else { return XCTFail() }
        XCTAssertEqual(r.enrollment, Enrollment(count: 0, type: .actual))
        XCTAssertEqual(r.phases, [.notApplicable])
        XCTAssertEqual(r.identifiers, try ids([(.nct, "NCT00973089"), (.sponsor, "LSA001-HMO-CTIL")]))
        XCTAssertEqual(
            r.arms,
            [
                Registered.Arm(label: "Complete caries removal", type: .noIntervention, interventions: []),
                Registered.Arm(
                    label: "Incomplete caries removal", type: .other,
                    interventions: ["Other: Incomplete caries removal in primary teeth"]),
            ])
        XCTAssertEqual(
            plan.events[1].payload,
            .statusChanged(
                StatusChanged(
                    status: .withdrawn,
                    whyStopped: "recruiting or enrolling participants has halted prematurely and will not resume")))
        guard case .datesUpdated(let d) = plan.events[2].payload else { return XCTFail() }
        XCTAssertEqual(d.start, StudyDate(date: date("2010-05"), type: nil))
        XCTAssertEqual(plan.changes.map(\.severity), [.notable, .critical, .minor])
        XCTAssertEqual(
            plan.changes[1].description,
            "status withdrawn; why stopped: 'recruiting or enrolling participants has halted prematurely and will not resume'"
        )
        XCTAssertEqual(plan.severity, .critical)
        // The public event contract, as a client would submit it.
        XCTAssertEqual(
            plan.events[1].json.canonicalText,
            #"{"occurred":"2015-03","payload":{"status":"withdrawn","whyStopped":"recruiting or enrolling participants has halted prematurely and will not resume"},"source":"ClinicalTrials.gov NCT00973089, last update 2015-08-19","trial":"NCT00973089","type":"status-changed"}"#
        )
    }

    // MARK: - Re-import

    func testReimportingTheSameRecordPlansNothing() throws {
        for nct in Records.names {
            var log = TrialLog(key: nct)
            // The record with results also gets its posted results.
            let count = nct == "NCT02552212" ? 4 : 3
            let first = try log.importRecord(try Records.json(nct))
            XCTAssertEqual(first.events.count, count)
            let again = try log.importRecord(try Records.json(nct))
            XCTAssertEqual(again.events, [], nct)
            XCTAssertEqual(again.changes, [])
            XCTAssertTrue(again.isEmpty)
            XCTAssertNil(again.severity)
            XCTAssertEqual(again.baseVersion, Int64(count))
        }
    }

    func testFoldOfANewTrial() throws {
        // C-AXSPAND, with a CTIS number as transitioned trials have.
        let v = try Records.json("NCT02552212").setting(
            "protocolSection.identificationModule.secondaryIdInfos",
            to: [["id": "2015-001894-41", "type": "EUDRACT_NUMBER"], ["id": "2023-508123-45-00", "type": "CTIS"]])
        var log = TrialLog(key: "NCT02552212")
        try log.importRecord(v)
        let s = try XCTUnwrap(log.summary)
        XCTAssertEqual(s.status, .completed)
        XCTAssertEqual(s.statusSince, date("2020-05"))
        XCTAssertEqual(s.enrollment, Enrollment(count: 317, type: .actual))
        XCTAssertEqual(s.acronym, "C-AXSPAND")
        XCTAssertEqual(s.phases, [.phase3])
        XCTAssertEqual(s.dates.completion, StudyDate(date: date("2020-05"), type: .actual))
        XCTAssertEqual(s.version, 4)
        XCTAssertEqual(s.lastMilestone?.type, .readout)
        // Found by its NCT number, its CTIS and EudraCT numbers, its protocol id and its acronym.
        for name in ["NCT02552212", "2023-508123-45-00", "2015-001894-41", "AS0006", "C-AXSPAND"] {
            let ref = try TrialReference(name)
            XCTAssertTrue(s.aliases.contains { $0.id.lowercased() == ref.lookupKey }, name)
        }
        XCTAssertEqual(s.aliases.first { $0.id == "2023-508123-45-00" }?.registry, "ctis")
        XCTAssertEqual(s.aliases.first { $0.id == "NCT02552212" }?.registry, "key")
        XCTAssertEqual(log.fold?.timeline.map(\.occurred.description), ["2015-09-17", "2020-05", "2020-08-17"])
    }

    // MARK: - Later versions of a known trial

    /// NCT06171568 imported, then a later version of its record.
    func afterFirstImport(_ change: (JSONValue) -> JSONValue, update: String = "2024-03-01") throws -> (
        TrialLog, ImportPlan
    ) {
        let original = try Records.json("NCT06171568")
        var log = TrialLog(key: "NCT06171568")
        try log.importRecord(original)
        let later = change(original).setting(
            "protocolSection.statusModule.lastUpdatePostDateStruct.date", to: .string(update))
        let plan = try log.importRecord(later)
        XCTAssertEqual(try log.importRecord(later).events, [], "re-importing the later version plans nothing")
        return (log, plan)
    }

    let source = "ClinicalTrials.gov NCT06171568, last update 2024-03-01"

    func testRecruitingWithActualStartIsDatedByTheStart() throws {
        let (log, plan) = try afterFirstImport {
            $0.setting("protocolSection.statusModule.overallStatus", to: "RECRUITING")
                .setting("protocolSection.statusModule.startDateStruct", to: ["date": "2024-02-05", "type": "ACTUAL"])
        }
        XCTAssertEqual(
            plan.events,
            [
                try event(
                    "NCT06171568", .statusChanged(StatusChanged(status: .recruiting)), "2024-02-05",
                    update: "2024-03-01"),
                try event(
                    "NCT06171568",
                    .datesUpdated(DatesUpdated(start: StudyDate(date: date("2024-02-05"), type: .actual))),
                    "2024-03-01", update: "2024-03-01"),
            ])
        XCTAssertEqual(
            plan.changes,
            [
                Change(type: .statusChanged, severity: .notable, description: "status not-yet-recruiting → recruiting"),
                Change(
                    type: .datesUpdated, severity: .minor,
                    description: "start 2024-02-01 (estimated) → 2024-02-05 (actual), 4 days later"),
            ])
        XCTAssertEqual(plan.baseVersion, 3)
        XCTAssertEqual(log.summary?.status, .recruiting)
        XCTAssertEqual(log.summary?.statusSince, date("2024-02-05"))
    }

    func testActualDateAfterTheLastUpdateIsNotUsed() throws {
        let (_, plan) = try afterFirstImport {
            $0.setting("protocolSection.statusModule.overallStatus", to: "RECRUITING")
                .setting("protocolSection.statusModule.startDateStruct", to: ["date": "2024-04", "type": "ACTUAL"])
        }
        XCTAssertEqual(plan.events.map(\.occurred.description), ["2024-03-01", "2024-03-01"])
        // A day moved to a month: measured to the far edge of the month's window.
        XCTAssertEqual(plan.changes[1].description, "start 2024-02-01 (estimated) → 2024-04 (actual), 89 days later")
        XCTAssertEqual(plan.changes[1].severity, .notable)
    }

    func testTerminatedWithWhyStopped() throws {
        let (log, plan) = try afterFirstImport {
            $0.setting("protocolSection.statusModule.overallStatus", to: "TERMINATED")
                .setting("protocolSection.statusModule.whyStopped", to: "Sponsor decision\n(funding)")
        }
        XCTAssertEqual(
            plan.events,
            [
                try event(
                    "NCT06171568",
                    .statusChanged(StatusChanged(status: .terminated, whyStopped: "Sponsor decision\n(funding)")),
                    "2024-03-01", update: "2024-03-01")
            ])
        XCTAssertEqual(
            plan.changes,
            [
                Change(
                    type: .statusChanged, severity: .critical,
                    description: "status not-yet-recruiting → terminated; why stopped: 'Sponsor decision (funding)'")
            ])
        XCTAssertEqual(log.summary?.whyStopped, "Sponsor decision\n(funding)")
    }

    func testWhyStoppedAppearsWithoutAStatusChange() throws {
        let (_, plan) = try afterFirstImport {
            $0.setting("protocolSection.statusModule.whyStopped", to: "Awaiting funding")
        }
        XCTAssertEqual(
            plan.events.map(\.payload),
            [.statusChanged(StatusChanged(status: .notYetRecruiting, whyStopped: "Awaiting funding"))])
        XCTAssertEqual(plan.events.map(\.occurred), [date("2024-03-01")])
        XCTAssertEqual(
            plan.changes,
            [Change(type: .statusChanged, severity: .critical, description: "why stopped: 'Awaiting funding'")])
    }

    func testSuspendedAndWithdrawnAreCriticalOtherStatusesNotable() throws {
        for (status, severity) in [
            ("SUSPENDED", ChangeSeverity.critical), ("WITHDRAWN", .critical), ("ENROLLING_BY_INVITATION", .notable),
            ("ACTIVE_NOT_RECRUITING", .notable), ("COMPLETED", .notable),
        ] {
            let (_, plan) = try afterFirstImport {
                $0.setting("protocolSection.statusModule.overallStatus", to: .string(status))
            }
            XCTAssertEqual(plan.events.map(\.type), [.statusChanged], status)
            XCTAssertEqual(plan.changes.map(\.severity), [severity], status)
        }
    }

    func testUnknownKeepsTheLastKnownStatus() throws {
        let (log, plan) = try afterFirstImport {
            $0.setting("protocolSection.statusModule.overallStatus", to: "UNKNOWN")
                .setting("protocolSection.statusModule.lastKnownStatus", to: "RECRUITING")
        }
        XCTAssertEqual(
            plan.events.map(\.payload), [.statusChanged(StatusChanged(status: .unknown, lastKnownStatus: .recruiting))])
        XCTAssertEqual(
            plan.changes,
            [
                Change(
                    type: .statusChanged, severity: .notable,
                    description: "status not-yet-recruiting → unknown (last known: recruiting)")
            ])
        XCTAssertEqual(log.summary?.lastKnownStatus, .recruiting)
    }

    func testEnrollmentChanges() throws {
        let (_, ten) = try afterFirstImport { $0.setting("protocolSection.designModule.enrollmentInfo.count", to: 440) }
        XCTAssertEqual(
            ten.events,
            [
                try event(
                    "NCT06171568", .enrollmentUpdated(Enrollment(count: 440, type: .estimated)), "2024-03-01",
                    update: "2024-03-01")
            ])
        XCTAssertEqual(
            ten.changes,
            [
                Change(
                    type: .enrollmentUpdated, severity: .minor,
                    description: "enrollment 400 (estimated) → 440 (estimated), +10%")
            ])

        let (_, thirty) = try afterFirstImport {
            $0.setting("protocolSection.designModule.enrollmentInfo.count", to: 280)
        }
        XCTAssertEqual(thirty.events.map(\.payload), [.enrollmentUpdated(Enrollment(count: 280, type: .estimated))])
        XCTAssertEqual(
            thirty.changes,
            [
                Change(
                    type: .enrollmentUpdated, severity: .notable,
                    description: "enrollment 400 (estimated) → 280 (estimated), -30%")
            ])

        let (log, actual) = try afterFirstImport {
            $0.setting("protocolSection.designModule.enrollmentInfo.type", to: "ACTUAL")
        }
        XCTAssertEqual(
            actual.changes,
            [
                Change(
                    type: .enrollmentUpdated, severity: .minor, description: "enrollment 400 (estimated) → 400 (actual)"
                )
            ])
        XCTAssertEqual(log.summary?.enrollment, Enrollment(count: 400, type: .actual))
    }

    func testDatesMoved() throws {
        let (_, ten) = try afterFirstImport {
            $0.setting("protocolSection.statusModule.startDateStruct.date", to: "2024-02-11")
        }
        XCTAssertEqual(
            ten.events,
            [
                try event(
                    "NCT06171568",
                    .datesUpdated(DatesUpdated(start: StudyDate(date: date("2024-02-11"), type: .estimated))),
                    "2024-03-01", update: "2024-03-01")
            ])
        XCTAssertEqual(
            ten.changes,
            [
                Change(
                    type: .datesUpdated, severity: .minor,
                    description: "start 2024-02-01 (estimated) → 2024-02-11 (estimated), 10 days later")
            ])

        let (log, fortyFive) = try afterFirstImport {
            $0.setting("protocolSection.statusModule.primaryCompletionDateStruct.date", to: "2025-03-18")
                .setting("protocolSection.statusModule.completionDateStruct.date", to: "2024-12-18")
        }
        XCTAssertEqual(
            fortyFive.events.map(\.payload),
            [
                .datesUpdated(
                    DatesUpdated(
                        primaryCompletion: StudyDate(date: date("2025-03-18"), type: .estimated),
                        completion: StudyDate(date: date("2024-12-18"), type: .estimated)))
            ])
        XCTAssertEqual(
            fortyFive.changes,
            [
                Change(
                    type: .datesUpdated, severity: .notable,
                    description:
                        "primary completion 2025-02-01 (estimated) → 2025-03-18 (estimated), 45 days later; completion 2025-02-01 (estimated) → 2024-12-18 (estimated), 45 days earlier"
                )
            ])
        XCTAssertEqual(log.summary?.dates.start?.date, date("2024-02-01"))
        XCTAssertEqual(log.summary?.dates.completion?.date, date("2024-12-18"))
    }

    func testCTISNumberAdded() throws {
        let (log, plan) = try afterFirstImport {
            $0.setting(
                "protocolSection.identificationModule.secondaryIdInfos",
                to: [
                    ["id": "2023-A00386-39", "type": "OTHER", "domain": "IDRCB"],
                    ["id": "2024-512345-21-00", "type": "CTIS"],
                ])
        }
        guard case .registered(let r) = plan.events.first?.payload, plan.events.count == 1 else {
            return XCTFail("\(plan.events)")
        }
        XCTAssertEqual(
            r.identifiers,
            try ids([
                (.nct, "NCT06171568"), (.ctis, "2024-512345-21-00"), (.sponsor, "APHP230528"),
                (.other, "2023-A00386-39"),
            ]))
        XCTAssertEqual(r.enrollment, Enrollment(count: 400, type: .estimated))
        XCTAssertEqual(plan.events[0].occurred, date("2024-03-01"))
        XCTAssertEqual(
            plan.changes,
            [
                Change(
                    type: .registered, severity: .minor,
                    description: "registration updated: new identifiers 2024-512345-21-00 (ctis)")
            ])
        XCTAssertTrue(log.summary?.aliases.contains { $0.registry == "ctis" && $0.id == "2024-512345-21-00" } == true)
    }

    func testIdentifierDroppedByTheRegistryIsNoChange() throws {
        let (_, plan) = try afterFirstImport {
            $0.setting("protocolSection.identificationModule.secondaryIdInfos", to: nil)
        }
        XCTAssertEqual(plan.events, [])
    }

    func testPhasesChanged() throws {
        var log = TrialLog(key: "NCT02552212")
        let original = try Records.json("NCT02552212")
        try log.importRecord(original)
        let later = original.setting("protocolSection.designModule.phases", to: ["PHASE2", "PHASE3"])
            .setting("protocolSection.statusModule.lastUpdatePostDateStruct.date", to: "2023-01-10")
        let plan = try log.importRecord(later)
        XCTAssertEqual(plan.events.map(\.type), [.registered])
        XCTAssertEqual(plan.events.map(\.occurred), [date("2023-01-10")])
        XCTAssertEqual(
            plan.changes,
            [
                Change(
                    type: .registered, severity: .notable,
                    description: "registration updated: phases phase-3 → phase-2, phase-3")
            ])
        XCTAssertEqual(log.summary?.phases, [.phase2, .phase3])
        XCTAssertEqual(try log.importRecord(later).events, [])
    }

    func testPrimaryEndpointChangedIsCritical() throws {
        var log = TrialLog(key: "NCT02552212")
        let original = try Records.json("NCT02552212")
        try log.importRecord(original)
        let later =
            original
            .setting("protocolSection.outcomesModule.primaryOutcomes.2", to: nil)
            .setting("protocolSection.identificationModule.acronym", to: "C-AXSPAND 2")
            .setting("protocolSection.statusModule.lastUpdatePostDateStruct.date", to: "2023-01-10")
        let plan = try log.importRecord(later)
        XCTAssertEqual(
            plan.changes,
            [
                Change(
                    type: .registered, severity: .critical,
                    description: "registration updated: acronym C-AXSPAND → C-AXSPAND 2; primary endpoints (11 → 10)")
            ])
        XCTAssertEqual(log.summary?.registration?.primaryEndpoints.count, 10)
    }

    func testSeveralChangesAtOnce() throws {
        let (log, plan) = try afterFirstImport {
            $0.setting("protocolSection.statusModule.overallStatus", to: "ACTIVE_NOT_RECRUITING")
                .setting("protocolSection.statusModule.startDateStruct", to: ["date": "2024-02-20", "type": "ACTUAL"])
                .setting("protocolSection.designModule.enrollmentInfo", to: ["count": 120, "type": "ACTUAL"])
                .setting(
                    "protocolSection.conditionsModule.conditions", to: ["Brain Injuries", "Traumatic Brain Injury"])
        }
        XCTAssertEqual(plan.events.map(\.type), [.registered, .statusChanged, .enrollmentUpdated, .datesUpdated])
        XCTAssertEqual(plan.changes.map(\.severity), [.minor, .notable, .notable, .minor])
        XCTAssertEqual(
            plan.changes.map(\.description),
            [
                "registration updated: conditions",
                "status not-yet-recruiting → active-not-recruiting",
                "enrollment 400 (estimated) → 120 (actual), -70%",
                "start 2024-02-01 (estimated) → 2024-02-20 (actual), 19 days later",
            ])
        XCTAssertEqual(plan.severity, .notable)
        XCTAssertEqual(log.summary?.enrollment, Enrollment(count: 120, type: .actual))
        XCTAssertEqual(log.summary?.registration?.conditions, ["Brain Injuries", "Traumatic Brain Injury"])
    }

    /// A registry that reports completion (actual) before the status it last reported: the new
    /// status is dated by the update, so that the fold keeps world order and refuses nothing.
    func testActualDateBeforeTheCurrentStatusUsesTheUpdate() throws {
        var log = TrialLog(key: "NCT06171568")
        let v = try Records.json("NCT06171568")
        try log.importRecord(v)
        try log.importRecord(
            v.setting("protocolSection.statusModule.overallStatus", to: "ACTIVE_NOT_RECRUITING")
                .setting("protocolSection.statusModule.lastUpdatePostDateStruct.date", to: "2024-06-10"))
        XCTAssertEqual(log.summary?.statusSince, date("2024-06-10"))
        try log.importRecord(
            v.setting("protocolSection.statusModule.overallStatus", to: "ACTIVE_NOT_RECRUITING")
                .setting("protocolSection.statusModule.lastUpdatePostDateStruct.date", to: "2024-07-01")
                .setting("protocolSection.statusModule.whyStopped", to: "slow accrual"))
        XCTAssertEqual(log.summary?.statusSince, date("2024-06-10"))
        let done = v.setting("protocolSection.statusModule.overallStatus", to: "COMPLETED")
            .setting("protocolSection.statusModule.completionDateStruct", to: ["date": "2023-11", "type": "ACTUAL"])
            .setting("protocolSection.statusModule.lastUpdatePostDateStruct.date", to: "2024-09-01")
        let plan = try log.importRecord(done)
        XCTAssertEqual(plan.events.map(\.type), [.statusChanged, .datesUpdated])
        XCTAssertEqual(plan.events[0].occurred, date("2024-09-01"))
        XCTAssertEqual(plan.changes[0].description, "status active-not-recruiting → completed; why stopped removed")
        XCTAssertEqual(log.summary?.status, .completed)
    }

    func testKnownTrialWithoutRegistration() throws {
        // Known by acronym from a press release, before its registry record was imported.
        let rumour = try Fixture.recorded(1, "ECOG", .statusChanged, "2023-11", ["status": "not-yet-recruiting"])
        let fold = try TrialFold.fold(key: "ECOG", events: [rumour])
        let plan = ImportPlanner.plan(study: try Records.study("NCT06171568"), current: fold.view)
        XCTAssertEqual(plan.events.map(\.type), [.registered, .datesUpdated])
        XCTAssertEqual(plan.events.map(\.occurred), [date("2023-12-14"), date("2023-12-14")])
        XCTAssertEqual(plan.changes.map(\.severity), [.notable, .minor])
        XCTAssertEqual(
            plan.changes[0].description,
            "registration NCT06171568 ECOG: Lariboisière Cognitive Assessment: Evaluation of the 1-year Outcomes (400 participants, estimated)"
        )
        XCTAssertEqual(plan.baseVersion, 1)

        // An enrollment recorded before the registration is replaced explicitly, by the update.
        let counted = try Fixture.recorded(
            2, "ECOG", .enrollmentUpdated, "2023-11", ["count": 300, "type": "estimated"])
        let again = ImportPlanner.plan(
            study: try Records.study("NCT06171568"),
            current: try TrialFold.fold(key: "ECOG", events: [rumour, counted]).view)
        XCTAssertEqual(again.events.map(\.type), [.registered, .enrollmentUpdated, .datesUpdated])
        XCTAssertEqual(
            again.changes[1],
            Change(
                type: .enrollmentUpdated, severity: .notable,
                description: "enrollment 300 (estimated) → 400 (estimated), +33%"))
    }

    // MARK: - Identifiers

    func testSecondaryIdentifiers() throws {
        let v = try Records.json("NCT02552212")
            .setting("protocolSection.identificationModule.nctIdAliases", to: ["NCT02000001"])
            .setting("protocolSection.identificationModule.orgStudyIdInfo.id", to: "2015-001894-41")
            .setting(
                "protocolSection.identificationModule.secondaryIdInfos",
                to: [
                    ["id": "EudraCT No. 2015-001894-41", "type": "EUDRACT_NUMBER"],
                    ["id": "2023-503456-12-00", "type": "EUDRACT_NUMBER"],
                    ["id": "ISRCTN12345678", "type": "REGISTRY", "domain": "ISRCTN"],
                    ["id": "not a number", "type": "EUDRACT_NUMBER"],
                    ["id": "1R01CA000001-01", "type": "NIH"],
                    ["id": "isrctn12345678", "type": "OTHER"],
                ])
        let identifiers = ImportPlanner.identifiers(of: try Records.only(v))
        XCTAssertEqual(
            identifiers,
            try ids([
                (.nct, "NCT02552212"), (.nct, "NCT02000001"), (.eudract, "2015-001894-41"),
                (.ctis, "2023-503456-12-00"),
                (.other, "ISRCTN12345678"), (.other, "not a number"), (.other, "1R01CA000001-01"),
            ]))
        let plan = ImportPlanner.plan(study: try Records.only(v), current: nil)
        XCTAssertEqual(try Payload(type: .registered, json: plan.events[0].payload.json), plan.events[0].payload)
    }

    // MARK: - Severity

    func testClassify() throws {
        var before = TrialSummary(key: "NCT06171568")
        before.status = .recruiting
        before.enrollment = Enrollment(count: 100, type: .estimated)
        before.dates = DatesUpdated(start: StudyDate(date: date("2024-02"), type: .estimated))
        before.registration = Registered(title: "T", phases: [.phase2], primaryEndpoints: ["PFS", "OS"])

        XCTAssertEqual(classify(.statusChanged(StatusChanged(status: .terminated)), before: before), .critical)
        XCTAssertEqual(classify(.statusChanged(StatusChanged(status: .suspended)), before: before), .critical)
        XCTAssertEqual(classify(.statusChanged(StatusChanged(status: .activeNotRecruiting)), before: before), .notable)
        XCTAssertEqual(classify(.statusChanged(StatusChanged(status: .recruiting)), before: before), .minor)
        XCTAssertEqual(
            classify(.statusChanged(StatusChanged(status: .recruiting, whyStopped: "paused")), before: before),
            .critical)
        XCTAssertEqual(classify(.statusChanged(StatusChanged(status: .withdrawn)), before: nil), .critical)
        XCTAssertEqual(classify(.statusChanged(StatusChanged(status: .recruiting)), before: nil), .notable)

        XCTAssertEqual(classify(.enrollmentUpdated(Enrollment(count: 119, type: .estimated)), before: before), .minor)
        XCTAssertEqual(classify(.enrollmentUpdated(Enrollment(count: 120, type: .estimated)), before: before), .notable)
        XCTAssertEqual(classify(.enrollmentUpdated(Enrollment(count: 80, type: .actual)), before: before), .notable)
        XCTAssertEqual(classify(.enrollmentUpdated(Enrollment(count: 81, type: .actual)), before: before), .minor)
        XCTAssertEqual(classify(.enrollmentUpdated(Enrollment(count: 81, type: .actual)), before: nil), .minor)

        // 2024-02 → 2024-03: the window's end moves 31 days.
        XCTAssertEqual(
            classify(
                .datesUpdated(DatesUpdated(start: StudyDate(date: date("2024-03"), type: .estimated))), before: before),
            .notable)
        XCTAssertEqual(
            classify(
                .datesUpdated(DatesUpdated(start: StudyDate(date: date("2024-02-20"), type: .actual))), before: before),
            .minor)
        XCTAssertEqual(
            classify(
                .datesUpdated(DatesUpdated(completion: StudyDate(date: date("2030"), type: .estimated))), before: before
            ), .minor)

        var r = before.registration!
        XCTAssertEqual(classify(.registered(r), before: nil), .notable)
        r.primaryEndpoints = ["OS", "PFS"]
        XCTAssertEqual(classify(.registered(r), before: before), .minor, "the same endpoints in another order")
        r.primaryEndpoints = ["OS"]
        XCTAssertEqual(classify(.registered(r), before: before), .critical)
        r.primaryEndpoints = ["PFS", "OS"]
        r.phases = [.phase2, .phase3]
        XCTAssertEqual(classify(.registered(r), before: before), .notable)
        r.phases = [.phase2]
        r.title = "T2"
        XCTAssertEqual(classify(.registered(r), before: before), .minor)

        XCTAssertEqual(
            classify(.interimAnalysis(InterimAnalysis(outcome: .stoppedFutility)), before: before), .critical)
        XCTAssertEqual(classify(.readout(Readout(kind: .primary, outcome: .positive)), before: before), .notable)
        XCTAssertEqual(classify(.milestoneOverdue(MilestoneOverdue(expected: 3)), before: before), .notable)
        XCTAssertEqual(classify(.retracted(Retracted(target: 3, reason: "x")), before: before), .minor)
        XCTAssertTrue(ChangeSeverity.minor < .notable && ChangeSeverity.notable < .critical)
    }
}
