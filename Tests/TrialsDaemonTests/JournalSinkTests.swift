import ClinicalTrialsGov
import Foundation
import Logging
import NIOConcurrencyHelpers
import TrialDomain
import TrialStore
import TrialTestSupport
import XCTest

@testable import TrialsDaemon

/// The journal sink: entries made and sent on its own thread, in seq order, with an import's
/// severity; when journald does not keep up, the writer never waits and what is not sent is
/// counted and said.
final class JournalSinkTests: XCTestCase {
    /// Batches of real outcomes: one commit each, from a store on a temporary directory.
    private func commits(_ count: Int, eventsEach: Int, severities: [ChangeSeverity]? = nil) throws -> [CommittedBatch]
    {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = StoreConfiguration()
        c.newTrialsNeedRegistration = false
        let store = try EventStore(path: dir.path("trials.db"), configuration: c)
        defer { try? store.close() }
        return try (0..<count).map { k in
            let group = try (0..<eventsEach).map { i in
                try Fixture.new("T-\(k)", .presented, "2024", ["venue": .string("Meeting \(i)")])
            }
            let results = try store.append(groups: [(group, "root")])
            return CommittedBatch(results: results, severities: [severities])
        }
    }

    /// What a sink sent: each entry's fields.
    private final class Sent: Sendable {
        let entries = NIOLockedValueBox<[[String: String]]>([])
        func add(_ fields: [(String, String)]) {
            entries.withLockedValue { $0.append(Dictionary(fields, uniquingKeysWith: { a, _ in a })) }
        }
    }

    func testEntriesGoOutInSeqOrderWithTheirSeverity() throws {
        let sent = Sent()
        let sink = JournalSink(capacity: 100, logger: Logger(label: "test")) { sent.add($0) }
        sink.start()
        for batch in try commits(3, eventsEach: 2, severities: [.critical, .notable]) { sink.committed(batch) }
        XCTAssertTrue(sink.stop(before: Date().addingTimeInterval(10)))
        let entries = sent.entries.withLockedValue { $0 }
        XCTAssertEqual(entries.map { $0["EVENT_SEQ"] }, (1...6).map { String($0) })
        XCTAssertEqual(
            entries.map { $0["CHANGE_SEVERITY"] }, Array(repeating: ["critical", "notable"], count: 3).flatMap { $0 })
        XCTAssertEqual(sink.droppedCount, 0)
    }

    func testASlowJournaldNeverHoldsTheWriterAndWhatIsNotSentIsCounted() throws {
        let release = DispatchSemaphore(value: 0)
        let sent = Sent()
        // journald's queue is full: the first send blocks until released.
        let first = NIOLockedValueBox(true)
        let sink = JournalSink(capacity: 4, logger: Logger(label: "test")) { fields in
            if first.withLockedValue({
                let was = $0; $0 = false; return was
            }) {
                release.wait()
            }
            sent.add(fields)
        }
        sink.start()
        let batches = try commits(10, eventsEach: 2)
        let started = ContinuousClock.now
        for batch in batches { sink.committed(batch) }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1), "the writer waited for journald")
        // At most `capacity` events wait; the rest are counted, not queued.
        XCTAssertGreaterThan(sink.droppedCount, 0)
        release.signal()
        XCTAssertTrue(sink.stop(before: Date().addingTimeInterval(10)))
        let sentCount = sent.entries.withLockedValue { $0.count }
        XCTAssertEqual(sentCount + sink.droppedCount, 20, "every entry is sent or counted")
        XCTAssertLessThanOrEqual(sentCount, 4)
    }
}
