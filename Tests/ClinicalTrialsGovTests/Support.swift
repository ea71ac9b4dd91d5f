import ClinicalTrialsGov
import Foundation
import TrialDomain
import TrialTestSupport
import XCTest

/// The real records in the repository's demo/ctgov (their provenance in its SOURCES.md).
enum Records {
    static let directory = Repository.root.appendingPathComponent("demo/ctgov")

    static let names = ["NCT06171568", "NCT02552212", "NCT00973089"]

    static func bytes(_ nct: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent("\(nct).json")))
    }

    static func json(_ nct: String) throws -> JSONValue { try JSONValue.parse(try bytes(nct)) }

    static func study(_ nct: String) throws -> Study { try only(json(nct)) }

    /// The one study of a document (given as a parsed value).
    static func only(_ v: JSONValue, file: String = "test.json") throws -> Study {
        let studies = try StudyDocument.parse(v, file: file)
        XCTAssertEqual(studies.count, 1)
        return studies[0]
    }
}

extension JSONValue {
    /// A copy with the member at `path` (object keys, or array indices as digits) set, or
    /// removed when `value` is nil. Missing objects on the way are created.
    func setting(_ path: String, to value: JSONValue?) -> JSONValue {
        setting(path.split(separator: ".").map(String.init)[...], to: value)
    }

    private func setting(_ path: ArraySlice<String>, to value: JSONValue?) -> JSONValue {
        guard let key = path.first else { return value ?? .null }
        let rest = path.dropFirst()
        if case .array(var items) = self, let i = Int(key) {
            if rest.isEmpty, value == nil { items.remove(at: i) } else { items[i] = items[i].setting(rest, to: value) }
            return .array(items)
        }
        var o = objectValue ?? JSONObject()
        if rest.isEmpty {
            o[key] = value
        } else {
            o[key] = (o[key] ?? .object(JSONObject())).setting(rest, to: value)
        }
        return .object(o)
    }

    func at(_ path: String) -> JSONValue? {
        var v: JSONValue? = self
        for k in path.split(separator: ".") {
            if case .array(let a)? = v, let i = Int(k) { v = i < a.count ? a[i] : nil } else { v = v?[String(k)] }
        }
        return v
    }

    var bytes: [UInt8] { Array(canonicalText.utf8) }
}

/// A trial's log in memory: imports plan against the current fold, append and refold strictly,
/// as the daemon would. Every planned event is checked against the public event contract.
struct TrialLog {
    let key: String
    private(set) var events: [RecordedEvent] = []
    private(set) var fold: TrialFold?

    init(key: String) { self.key = key }

    var view: TrialView? { fold?.view }
    var summary: TrialSummary? { fold?.summary }

    @discardableResult
    mutating func importRecord(_ json: JSONValue, file: StaticString = #filePath, line: UInt = #line) throws
        -> ImportPlan
    {
        let plan = ImportPlanner.plan(study: try Records.only(json), current: view)
        XCTAssertEqual(plan.events.count, plan.changes.count, file: file, line: line)
        XCTAssertEqual(plan.baseVersion, Int64(events.count), file: file, line: line)
        for e in plan.events {
            // What a client would submit, through the contract's validation, gives back the same event.
            let again = try NewEvent(json: e.json, today: Fixture.today)
            XCTAssertEqual(again, e, "\(e.json.canonicalText)", file: file, line: line)
            let seq = Int64(events.count + 1)
            events.append(
                RecordedEvent(
                    seq: seq, id: "id-\(seq)", trial: key, version: seq, payload: e.payload, occurred: e.occurred,
                    recorded: Timestamp(microseconds: seq * 1_000_000), recordedBy: "test", source: e.source, hash: []))
            // The store checks each append against the trial's whole history.
            fold = try TrialFold.fold(key: key, events: events, strictSeq: seq)
        }
        return plan
    }
}

func day(_ s: String) -> Day { Day(s)! }
func date(_ s: String) -> PartialDate { Fixture.date(s) }
