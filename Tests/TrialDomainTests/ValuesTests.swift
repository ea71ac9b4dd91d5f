import TrialDomain
import TrialTestSupport
import XCTest

final class PartialDateTests: XCTestCase {
    func testEveryPrecisionPrintsExactlyAsGiven() throws {
        for text in ["2027", "2026-H1", "2025-Q2", "2025-04", "2026-06-02", "2026-H2", "2024-Q4"] {
            XCTAssertEqual(try PartialDate(parsing: text).description, text)
        }
        XCTAssertEqual(try PartialDate(parsing: "2026-h1").description, "2026-H1")
    }

    func testWindows() throws {
        let april = try PartialDate(parsing: "2025-04")  // HARMONi-6's first interim, "April 2025"
        XCTAssertEqual(april.start.description, "2025-04-01")
        XCTAssertEqual(april.end.description, "2025-04-30")
        XCTAssertEqual(april.humanDescription, "April 2025")
        XCTAssertEqual(try PartialDate(parsing: "2024-02").end.description, "2024-02-29")
        XCTAssertEqual(try PartialDate(parsing: "2026-H1").end.description, "2026-06-30")
        XCTAssertEqual(try PartialDate(parsing: "2025-Q3").start.description, "2025-07-01")
        XCTAssertEqual(try PartialDate(parsing: "2027").end.description, "2027-12-31")
        XCTAssertTrue(april.contains(Day(year: 2025, month: 4, day: 17)!))
        XCTAssertFalse(april.contains(Day(year: 2025, month: 5, day: 1)!))
    }

    func testOrdersByWindow() throws {
        let d = Fixture.date
        XCTAssertLessThan(d("2025"), d("2025-04"))  // starts earlier
        XCTAssertLessThan(d("2025-04"), d("2025-Q2"))  // same start, ends earlier
        XCTAssertLessThan(d("2025-04-01"), d("2025-04"))
        XCTAssertLessThan(d("2025-Q2"), d("2025-07-01"))
        XCTAssertLessThan(d("2026-H1"), d("2026-06-02"))
        XCTAssertLessThan(d("2026-06-02"), d("2026-H2"))
        let shuffled = ["2027", "2026-06-02", "2025-04", "2026-H1", "2025-Q2", "2025"].map(d).sorted()
        XCTAssertEqual(shuffled.map(\.description), ["2025", "2025-04", "2025-Q2", "2026-H1", "2026-06-02", "2027"])
    }

    func testRefusesWhatIsNotADate() {
        for bad in [
            "", "25", "2025-13", "2025-02-30", "2025-Q5", "2025-H3", "April 2025", "2025/04", "2025-4", "20250", "0999",
        ] {
            XCTAssertThrowsError(try PartialDate(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".contains("'\(bad)'"), "\(error)")
            }
        }
    }

    func testTimestamps() throws {
        let t = try Timestamp(parsing: "2025-06-01T12:00Z")
        XCTAssertEqual(t.description, "2025-06-01T12:00:00.000000Z")
        XCTAssertEqual(try Timestamp(parsing: "2025-06-01T14:00:00.5+02:00").description, "2025-06-01T12:00:00.500000Z")
        XCTAssertEqual(try Timestamp(parsing: "2025-06-01").description, "2025-06-01T23:59:59.999999Z")
        XCTAssertEqual(Timestamp(microseconds: 0).description, "1970-01-01T00:00:00.000000Z")
        XCTAssertThrowsError(try Timestamp(parsing: "2025-06-01T12:00"))  // a zone is required
        XCTAssertThrowsError(try Timestamp(parsing: "yesterday"))
    }

    /// Found by the fuzzer's read-back property (Fuzz/corpus/finding-t-time-past-9999): a zone
    /// carried a time out of the years a date may have, and its text,
    /// `10000-01-01T00:30:00.000000Z`, did not read back (nor sort in time order among the log's
    /// texts). Zones past ±23:59 were taken too.
    func testTimesOutsideTheWrittenYearsOrWithImpossibleZonesAreRefused() throws {
        for text in [
            "9999-12-31T23:30-01:00", "9999-12-31T23:59:59.999999-00:01", "1000-01-01T00:30+01:00",
            "2025-06-01T12:00+99:99",
            "2025-06-01T12:00+24:00", "2025-06-01T12:00-05:60",
        ] {
            XCTAssertThrowsError(try Timestamp(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains("is not a time"), "\(text): \(error)")
            }
        }
        // The edges themselves, and every zone within a day, read back from their text.
        for text in [
            "9999-12-31T23:59:59.999999Z", "9999-12-31T23:30+01:00", "1000-01-01T00:00Z",
            "1000-01-01T00:30-01:00", "2025-06-01T12:00+23:59", "2025-06-01T12:00-23:59", "9999-12-31",
        ] {
            let t = try Timestamp(parsing: text)
            XCTAssertEqual(try Timestamp(parsing: t.description), t, text)
        }
    }
}

final class IdentifierTests: XCTestCase {
    func testRegistryForms() throws {
        XCTAssertEqual(try TrialIdentifier(registry: .nct, id: "nct07264075").id, "NCT07264075")
        XCTAssertEqual(try TrialIdentifier(registry: .ctis, id: "2025-522996-27-00").id, "2025-522996-27-00")
        XCTAssertEqual(try TrialIdentifier(registry: .eudract, id: "2004-000001-12").id, "2004-000001-12")
        XCTAssertEqual(try TrialIdentifier(registry: .sponsor, id: " GORTEC 2024-04 ").id, "GORTEC 2024-04")
        XCTAssertThrowsError(try TrialIdentifier(registry: .nct, id: "NCT1234")) { e in
            XCTAssertEqual(
                "\(e)", "'NCT1234' is not an NCT number; the form is NCT followed by 8 digits, e.g. NCT07264075")
        }
        XCTAssertThrowsError(try TrialIdentifier(registry: .ctis, id: "2025-522996-27"))
        XCTAssertThrowsError(try TrialIdentifier(registry: .eudract, id: "2025-52299-27"))
    }

    func testReferencesAreTypedByShape() throws {
        XCTAssertEqual(try TrialReference("nct07264075").registry, .nct)
        XCTAssertEqual(try TrialReference("nct07264075").text, "NCT07264075")
        XCTAssertEqual(try TrialReference("2025-522996-27-00").registry, .ctis)
        XCTAssertEqual(try TrialReference("2004-000001-12").registry, .eudract)
        XCTAssertNil(try TrialReference("HARMONi-6").registry)
        XCTAssertNil(try TrialReference("GORTEC 2024-04").registry)
        XCTAssertEqual(try TrialReference("HARMONi-6").lookupKey, "harmoni-6")
        // A malformed registry id is refused, never taken for an acronym.
        XCTAssertThrowsError(try TrialReference("NCT0726407")) { e in
            XCTAssertTrue("\(e)".contains("NCT followed by 8 digits"))
        }
        XCTAssertThrowsError(try TrialReference("2025-5229-27-00")) { e in
            XCTAssertTrue("\(e)".contains("YYYY-NNNNNN-NN-NN"))
        }
        XCTAssertThrowsError(try TrialReference("  "))
    }

    /// ASCII references are checked byte by byte, others by Unicode properties: the same rules.
    func testReferenceRulesHoldForASCIIAndOtherText() throws {
        XCTAssertEqual(try TrialReference("nCt07264075").text, "NCT07264075")
        XCTAssertNil(try TrialReference("NCTX-1").registry)
        XCTAssertNil(try TrialReference("NCT").registry)
        XCTAssertNil(try TrialReference("ÉTUDE-1").registry)
        XCTAssertEqual(try TrialReference(" ÉTUDE-1 ").text, "ÉTUDE-1")
        // Digits and dashes of another script are taken for a malformed EU number, as in ASCII.
        XCTAssertThrowsError(try TrialReference("٢٠٢٥-٥٢٢٩٩٦-٢٧")) { e in
            XCTAssertTrue("\(e)".contains("YYYY-NNNNNN-NN"), "\(e)")
        }
        XCTAssertEqual(try TrialReference(String(repeating: "a", count: 200)).text.count, 200)
        XCTAssertEqual(try TrialReference(String(repeating: "é", count: 200)).text.count, 200)
        for long in [String(repeating: "a", count: 201), String(repeating: "é", count: 201)] {
            XCTAssertThrowsError(try TrialReference(long)) { e in
                XCTAssertTrue("\(e)".contains("at most 200 characters"))
            }
        }
        for control in ["A\u{7}B", "A\u{7F}B", "É\u{1}", "É\u{85}B"] {
            XCTAssertThrowsError(try TrialReference(control)) { e in
                XCTAssertTrue("\(e)".contains("control characters"), control)
            }
        }
    }

    func testCaseFoldingIsLowercasingWithAnASCIIFastPath() {
        for s in [
            "HARMONi-6", "nct07264075", "NCT07264075", "", "GORTEC 2024-04", "@[]`{~", "ÉTUDE-Ü", "Straße-A",
            "İSTANBUL-1",
        ] {
            XCTAssertEqual(s.caseFolded, s.lowercased(), s)
        }
    }
}

final class SuggestionTests: XCTestCase {
    func testTheClosestNameWithinReach() {
        let names = ["HARMONi-6", "HARMONi-2", "HARMONi-A", "ILLUMINE", "NCT07264075", "Pragmatica-Lung"]
        XCTAssertEqual(Suggestion.closest(to: "HARMONi-7", among: names), "HARMONi-6")
        XCTAssertEqual(
            Suggestion.closest(to: "harmoni-6", among: ["HARMONi-6"]), nil,
            "the same name in another case is not a typo")
        XCTAssertEqual(Suggestion.closest(to: "ILUMINE", among: names), "ILLUMINE")
        XCTAssertEqual(Suggestion.closest(to: "ILLUMIEN", among: names), "ILLUMINE", "two neighbours swapped")
        XCTAssertEqual(Suggestion.closest(to: "NCT07264057", among: names), "NCT07264075")
        XCTAssertNil(Suggestion.closest(to: "KEYNOTE-189", among: names))
        XCTAssertNil(Suggestion.closest(to: "X", among: names))
        XCTAssertEqual(Suggestion.closest(to: "redout", among: ["readout", "registered", "retracted"]), "readout")
        XCTAssertEqual(Suggestion.closest(to: "outcom", among: ["outcome", "kind", "endpoints"]), "outcome")
    }
}
