import Foundation
import GRDB
import TrialDomain
import TrialMigrations
@testable import TrialStore
import TrialTestSupport
import XCTest

/// The filters of Status, Upcoming and Log (issue 30), run on the `trial_terms` projection.
final class FilterTests: StoreTestCase {
    /// Five trials: phases, statuses, sponsors, conditions and interventions that overlap.
    func appendTrials() throws {
        func register(
            _ key: String, nct: String, phases: [String], sponsor: String?, collaborators: [String] = [],
            conditions: [String], interventions: [String], status: String?
        ) throws {
            let v: JSONValue = [
                "title": .string("\(key) trial"), "acronym": .string(key),
                "identifiers": [["registry": "nct", "id": .string(nct)]],
                "phases": .array(phases.map { .string($0) }), "conditions": .array(conditions.map { .string($0) }),
                "arms": [["label": "A", "interventions": .array(interventions.map { .string($0) })]],
            ]
            var o = v.objectValue!
            if let sponsor { o["sponsor"] = .string(sponsor) }
            if !collaborators.isEmpty { o["collaborators"] = .array(collaborators.map { .string($0) }) }
            try append(key, .registered, "2024", .object(o))
            if let status { try append(key, .statusChanged, "2024-06", ["status": .string(status)]) }
            try append(key, .milestoneExpected, "2025", ["milestone": "readout", "window": "2027-H1"])
        }
        try register(
            "HARMONi-2", nct: "NCT05499390", phases: ["phase-3"], sponsor: "Akeso", conditions: ["NSCLC"],
            interventions: ["ivonescimab", "pembrolizumab"], status: "active-not-recruiting")
        try register(
            "HARMONi-3", nct: "NCT05899608", phases: ["phase-3"], sponsor: "Summit Therapeutics",
            collaborators: ["Akeso Inc."],
            conditions: ["Non-Small-Cell Lung Cancer"], interventions: ["ivonescimab", "chemotherapy"],
            status: "recruiting")
        try register(
            "PHASE2", nct: "NCT00000002", phases: ["phase-2", "phase-3"], sponsor: "Akesobio",
            conditions: ["Squamous NSCLC, stage IV"],
            interventions: ["docetaxel"], status: "recruiting")
        try register(
            "EARLY", nct: "NCT00000003", phases: ["phase-1"], sponsor: nil, conditions: ["Head and neck cancer"],
            interventions: ["OSE2101"], status: nil)
        try register(
            "HNC-4", nct: "NCT00000004", phases: ["phase-4"], sponsor: "GORTEC (Groupe Oncologie)",
            conditions: ["Head & Neck Cancer"],
            interventions: ["Pembrolizumab"], status: "completed")
    }

    func keys(_ f: TrialFilter) throws -> [String] { try store.trialKeys(filter: f) }

    func testEachFilterAlone() throws {
        try appendTrials()
        XCTAssertEqual(try keys(TrialFilter()).count, 5)
        XCTAssertEqual(
            try keys(TrialFilter(phases: [.phase3])), ["HARMONi-2", "HARMONi-3", "PHASE2"], "3 also matches Phase 2/3")
        XCTAssertEqual(try keys(TrialFilter(phases: [.phase2_3])), ["PHASE2"], "2/3 matches only the combination")
        XCTAssertEqual(try keys(TrialFilter(phases: [.phase1_2])), [])
        XCTAssertEqual(try keys(TrialFilter(statuses: [.recruiting])), ["HARMONi-3", "PHASE2"])
        // Whole words, any case, sponsor or collaborator; "Akesobio" is another word.
        XCTAssertEqual(try keys(TrialFilter(sponsors: ["akeso"])), ["HARMONi-2", "HARMONi-3"])
        XCTAssertEqual(try keys(TrialFilter(sponsors: ["Akes"])), [])
        XCTAssertEqual(try keys(TrialFilter(sponsors: ["gortec"])), ["HNC-4"])
        XCTAssertEqual(try keys(TrialFilter(sponsors: ["Oncologie)"])), ["HNC-4"], "punctuation does not matter")
        XCTAssertEqual(try keys(TrialFilter(conditions: ["NSCLC"])), ["HARMONi-2", "PHASE2"])
        XCTAssertEqual(try keys(TrialFilter(conditions: ["lung cancer"])), ["HARMONi-3"])
        XCTAssertEqual(try keys(TrialFilter(conditions: ["non small cell"])), ["HARMONi-3"])
        XCTAssertEqual(try keys(TrialFilter(conditions: ["lung canc"])), [], "whole words only")
        XCTAssertEqual(try keys(TrialFilter(conditions: ["head and neck"])), ["EARLY"], "the words in their order")
        XCTAssertEqual(try keys(TrialFilter(interventions: ["PEMBROLIZUMAB"])), ["HARMONi-2", "HNC-4"])
    }

    func testValuesOfAFilterAreAlternativesAndFiltersCombine() throws {
        try appendTrials()
        XCTAssertEqual(try keys(TrialFilter(statuses: [.recruiting, .completed])), ["HARMONi-3", "HNC-4", "PHASE2"])
        XCTAssertEqual(
            try keys(TrialFilter(conditions: ["NSCLC", "lung cancer"])), ["HARMONi-2", "HARMONi-3", "PHASE2"])
        XCTAssertEqual(
            try keys(
                TrialFilter(
                    phases: [.phase3], statuses: [.recruiting], sponsors: ["Akeso"], conditions: ["lung cancer"])),
            ["HARMONi-3"])
        XCTAssertEqual(
            try keys(TrialFilter(phases: [.phase4, .phase1], interventions: ["pembrolizumab", "ose2101"])),
            ["EARLY", "HNC-4"])
        XCTAssertEqual(try keys(TrialFilter(phases: [.phase3], statuses: [.completed])), [])
    }

    func testFollowedCountsActiveTrialFollowsOnly() throws {
        try appendTrials()
        XCTAssertEqual(try keys(TrialFilter(followed: true)), [])
        _ = try store.follow(
            [.trial("nct05899608"), .trial("NCT00000004"), .trial("NCT09999999"), .query("AREA[Condition]NSCLC")],
            by: "alice (uid 1000)")
        XCTAssertEqual(try keys(TrialFilter(followed: true)), ["HARMONi-3", "HNC-4"])
        XCTAssertEqual(try keys(TrialFilter(statuses: [.recruiting], followed: true)), ["HARMONi-3"])
        _ = try store.unfollow([.trial("NCT00000004")], by: "alice (uid 1000)")
        XCTAssertEqual(try keys(TrialFilter(followed: true)), ["HARMONi-3"])
    }

    func testUpcomingAndLogTakeTheFilters() throws {
        try appendTrials()
        let today = Day(year: 2026, month: 11, day: 21)!
        XCTAssertEqual(
            try store.upcoming(within: nil, all: false, today: today, filter: TrialFilter(sponsors: ["Akeso"])).map(
                \.trial),
            ["HARMONi-2", "HARMONi-3"])
        let seqs = try store.upcomingSeqs(
            within: nil, all: false, today: today, filter: TrialFilter(statuses: [.completed]))
        XCTAssertEqual(try store.upcoming(seqs: seqs).map(\.trial), ["HNC-4"])
        let events = try store.events(
            LogQuery(limit: 100, filter: TrialFilter(conditions: ["head and neck"], interventions: ["ose2101"])))
        XCTAssertEqual(Set(events.map(\.trial)), ["EARLY"])
        XCTAssertEqual(events.count, 2)
        let limited = try store.events(LogQuery(afterSeq: 1, limit: 1, filter: TrialFilter(phases: [.phase3])))
        XCTAssertEqual(limited.count, 1)
        XCTAssertTrue(["HARMONi-2", "HARMONi-3", "PHASE2"].contains(limited[0].trial))
    }

    /// A filtered listing pages as the whole one does: its keys in list order, a page read at a time.
    func testAFilteredListingPages() throws {
        for i in 0..<30 {
            let key = String(format: "T-%02d", i)
            try append(
                key, .registered, "2024",
                [
                    "title": "t", "acronym": .string(key), "sponsor": .string(i % 3 == 0 ? "Akeso" : "Other"),
                    "phases": ["phase-3"],
                ])
        }
        let keys = try self.keys(TrialFilter(sponsors: ["akeso"]))
        XCTAssertEqual(keys, stride(from: 0, to: 30, by: 3).map { String(format: "T-%02d", $0) })
        let pages = stride(from: 0, to: keys.count, by: 4).map { Array(keys[$0..<min($0 + 4, keys.count)]) }
        XCTAssertEqual(try pages.flatMap { try store.trials(keys: $0).map(\.key) }, keys)
        XCTAssertEqual(try store.trials(filter: TrialFilter(sponsors: ["akeso"])).map(\.key), keys)
    }

    /// A registration corrected, or retracted, changes the terms; the terms are those a
    /// rebuild makes.
    func testTermsFollowTheRegistrationAndEqualARebuild() throws {
        try appendTrials()
        let first = try append("HNC-4", .registered, "2025", ["title": "HNC-4 trial", "sponsor": "Merck"])
        XCTAssertEqual(try keys(TrialFilter(sponsors: ["merck"])), ["HNC-4"])
        try append(
            nil, .corrected, "2025",
            [
                "target": .int(first.event.seq), "reason": "wrong",
                "payload": ["title": "HNC-4 trial", "sponsor": "Roche"],
            ])
        XCTAssertEqual(try keys(TrialFilter(sponsors: ["merck"])), [])
        XCTAssertEqual(try keys(TrialFilter(sponsors: ["roche"])), ["HNC-4"])
        let incremental = try snapshot(projectionsOnly: true)
        XCTAssertFalse(incremental["trial_terms", default: []].isEmpty)
        try store.rebuild()
        XCTAssertEqual(try snapshot(projectionsOnly: true), incremental)
    }

    /// A database migrated to 0008 with trials in it gets its terms when it is next opened.
    func testAnOlderDatabaseGetsItsTermsWhenOpened() throws {
        try appendTrials()
        let made = try snapshot(projectionsOnly: true)
        try store.pool.write { db in
            try db.execute(sql: "DELETE FROM trial_terms")
            try db.execute(sql: "INSERT INTO projection_backfill (name) VALUES ('trial_terms')")
        }
        try reopen()
        XCTAssertEqual(try snapshot(projectionsOnly: true), made)
        XCTAssertEqual(
            try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM projection_backfill") }, 0)
        XCTAssertEqual(try keys(TrialFilter(sponsors: ["akeso"])), ["HARMONi-2", "HARMONi-3"])
    }

    /// A database of schema 0007 (the 0001 fixture migrated so far, with its log) gets its
    /// terms as migration 0008 runs when the store opens it: those a rebuild makes.
    func testADatabaseOfThePreviousSchemaGetsItsTerms() throws {
        try store.close()
        store = nil
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(
            atPath: Repository.path("Tests/TrialStoreTests/Fixtures/schema-0001.db"), toPath: path)
        try {
            let queue = try DatabaseQueue(path: path)
            defer { try? queue.close() }
            try Migrator(migrations: embeddedMigrations.filter { $0.identifier < "0008" }).migrate(queue)
        }()
        store = try open()
        let migrated = try snapshot(projectionsOnly: true)
        XCTAssertFalse(migrated["trial_terms", default: []].isEmpty)
        XCTAssertEqual(
            try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM projection_backfill") }, 0)
        try store.rebuild()
        XCTAssertEqual(try snapshot(projectionsOnly: true)["trial_terms"], migrated["trial_terms"])
    }

    /// Log's order is kept when every filter is broad: all checks are EXISTS, with the same
    /// events as when the narrowest drives.
    func testABroadFilterOfAnOrderedListingChecksEachRow() throws {
        try appendTrials()
        let filter = TrialFilter(phases: [.phase3, .phase4], interventions: ["pembrolizumab", "ivonescimab"])
        let (driven, checked) = try store.pool.read { db in
            let driven = try FilterSQL(filter, trial: "events.trial", ordered: true, db)
            let checked = try FilterSQL(filter, trial: "events.trial", ordered: true, probeLimit: 2, db)
            func seqs(_ f: FilterSQL) throws -> [Int64] {
                try Int64.fetchAll(
                    db, sql: "SELECT seq FROM events WHERE 1\(f.conditions) ORDER BY seq",
                    arguments: StatementArguments(f.arguments))
            }
            XCTAssertTrue(driven.conditions.contains(" IN (SELECT"), driven.conditions)
            XCTAssertFalse(checked.conditions.contains(" IN (SELECT"), checked.conditions)
            return (try seqs(driven), try seqs(checked))
        }
        XCTAssertEqual(driven, checked)
        XCTAssertEqual(Set(try store.events(LogQuery(limit: 100, filter: filter)).map(\.seq)), Set(driven))
        XCTAssertEqual(driven.count, 9, "HARMONi-2, HARMONi-3 and HNC-4: three events each")
    }

    func testTheQueriesUseTheIndexes() throws {
        try appendTrials()
        let plan = try store.pool.read { db in
            let f = try FilterSQL(
                TrialFilter(phases: [.phase3], statuses: [.recruiting], sponsors: ["akeso", "summit"], followed: true),
                trial: "t.trial", db)
            return try Row.fetchAll(
                db, sql: "EXPLAIN QUERY PLAN SELECT t.trial FROM trials t WHERE 1\(f.conditions)",
                arguments: StatementArguments(f.arguments)
            )
            .map { $0["detail"] as String }
        }
        XCTAssertFalse(
            plan.contains { $0.hasPrefix("SCAN trial_terms") || $0.hasPrefix("SCAN trials") && !$0.contains("INDEX") },
            "\(plan)")
    }
}
