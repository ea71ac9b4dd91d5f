import Foundation
import TrialDomain
import XCTest

@_spi(Benchmarks) @testable import TrialStore

/// Ids the store makes are version 7 UUIDs: time first, so that ids made one after another
/// sort one after another and the `event_id` index grows at its right edge.
final class EventIDTests: StoreTestCase {
    static let v7 = try! NSRegularExpression(
        pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

    func isV7(_ id: String) -> Bool {
        Self.v7.firstMatch(in: id, range: NSRange(id.startIndex..., in: id)) != nil
    }

    func testStoreMadeIDsAreTimeOrderedVersion7() throws {
        try append("HARMONi-A", .registered, "2021", ["title": "HARMONi-A", "phases": ["phase-3"]])
        let events = try (0..<300).map { i in
            try event("HARMONi-A", .presented, "2024", ["venue": .string("Meeting \(i)")])
        }
        _ = try store.append(groups: events.map { ([$0], "tester") })
        try append("HARMONi-A", .presented, "2025", ["venue": "ESMO 2025"])
        let log = try store.events(LogQuery(limit: 1000))
        XCTAssertEqual(log.count, 302)
        for e in log { XCTAssertTrue(isV7(e.id), "\(e.id) is not a version 7 UUID") }
        for (a, b) in zip(log, log.dropFirst()) {
            XCTAssertLessThan(a.id, b.id, "seq \(b.seq)'s id does not sort after seq \(a.seq)'s")
        }
        // The first 48 bits are the recording time in Unix milliseconds.
        for e in log {
            let hex = e.id.replacingOccurrences(of: "-", with: "").prefix(12)
            XCTAssertEqual(Int64(hex, radix: 16), e.recorded.microseconds / 1000, "\(e.id) recorded \(e.recorded)")
        }
        // A client's own id is kept as given (lower case).
        let given = try append(
            "HARMONi-A", .presented, "2025", ["venue": "WCLC 2025"], id: "0B7C6F0E-8A4B-4C1E-9F00-5F7A1C2D3E4F")
        XCTAssertEqual(given.event.id, "0b7c6f0e-8a4b-4c1e-9f00-5f7a1c2d3e4f")
    }

    func testIDsStayOrderedPastTheCounterOfOneMillisecond() {
        var ids = EventIDGenerator()
        let t = Timestamp(microseconds: 1_763_700_000_123_456)
        // More ids in one millisecond than the 12-bit counter holds: the generator borrows the
        // next millisecond and stays in order; a clock that steps back does not reorder them.
        var previous = ""
        for i in 0..<10_000 {
            let id = ids.next(at: i < 9_000 ? t : Timestamp(microseconds: t.microseconds - 5_000))
            XCTAssertTrue(isV7(id), id)
            XCTAssertGreaterThan(id, previous)
            previous = id
        }
    }
}
