@testable import TrialClient
import TrialDomain
import XCTest

final class InputTests: XCTestCase {
    func testKeyValueTakesEachKindOfJSON() throws {
        XCTAssertEqual(try Input.assignment("count=780").value, .int(780))
        XCTAssertEqual(try Input.assignment("value=0.51").value, .double(0.51))
        XCTAssertEqual(try Input.assignment("p=1e-4").value, .double(0.0001))
        XCTAssertEqual(try Input.assignment("n=-3").value, .int(-3))
        XCTAssertEqual(try Input.assignment("final=true").value, .bool(true))
        XCTAssertEqual(try Input.assignment("final=false").value, .bool(false))
        XCTAssertEqual(try Input.assignment(#"endpoints=["OS"]"#).value, .array([.string("OS")]))
        XCTAssertEqual(
            try Input.assignment(#"enrollment={"count":780,"type":"estimated"}"#).value,
            .object(JSONObject([("count", .int(780)), ("type", .string("estimated"))])))
        XCTAssertEqual(
            try Input.assignment(#"abstract="780""#).value, .string("780"), "a quoted string keeps a number a string")
    }

    func testKeyValueTakesAnythingElseAsTyped() throws {
        XCTAssertEqual(try Input.assignment("status=recruiting").value, .string("recruiting"))
        XCTAssertEqual(try Input.assignment("venue=ASCO 2026").value, .string("ASCO 2026"))
        XCTAssertEqual(try Input.assignment("abstract=007").value, .string("007"), "not a JSON number")
        XCTAssertEqual(try Input.assignment("whyStopped=null").value, .string("null"))
        XCTAssertEqual(try Input.assignment("x=").value, .string(""))
        XCTAssertEqual(try Input.assignment("x=[unclosed").value, .string("[unclosed"))
        XCTAssertEqual(try Input.assignment("citation=a=b").key, "citation")
        XCTAssertEqual(try Input.assignment("citation=a=b").value, .string("a=b"), "split at the first '='")
        XCTAssertEqual(try Input.assignment("milestone=readout:OS").value, .string("readout:OS"))
    }

    func testFieldsThatAreAlwaysTextStayText() throws {
        XCTAssertEqual(try Input.assignment("window=2027").value, .string("2027"))
        XCTAssertEqual(try Input.assignment("abstract=8508").value, .string("8508"))
        XCTAssertEqual(try Input.assignment("venue=2026").value, .string("2026"))
        XCTAssertEqual(try Input.assignment("count=2027").value, .int(2027))
        XCTAssertEqual(
            try Input.assignment("window=[2027]").value, .array([.int(2027)]),
            "only numbers and booleans are turned back")
    }

    func testNotKeyValueIsAUsageError() {
        XCTAssertThrowsError(try Input.assignment("recruiting")) { e in
            XCTAssertEqual(
                e as? TrialctlError, .usage("'recruiting' is not KEY=VALUE (a payload field, e.g. status=recruiting)"))
        }
        XCTAssertThrowsError(try Input.assignment("=recruiting")) { e in
            XCTAssertEqual((e as? TrialctlError)?.status, .usage)
        }
    }

    func testPayloadOptionThenOverrides() throws {
        let noFiles: (String) throws(TrialctlError) -> [UInt8] = { (p: String) throws(TrialctlError) -> [UInt8] in
            throw .failure("cannot read \(p)")
        }
        let p = try Input.payload(
            option: #"{"kind":"primary","outcome":"positive","endpoints":["PFS"]}"#,
            assignments: [#"endpoints=["OS"]"#, "venue=ASCO 2026"], read: noFiles)
        XCTAssertEqual(
            JSONValue.object(p).canonicalText,
            #"{"endpoints":["OS"],"kind":"primary","outcome":"positive","venue":"ASCO 2026"}"#)
        XCTAssertEqual(
            try Input.payload(option: nil, assignments: ["status=recruiting"], read: noFiles),
            JSONObject([("status", "recruiting")]))
        XCTAssertEqual(try Input.payload(option: nil, assignments: [], read: noFiles), JSONObject())
        XCTAssertThrowsError(try Input.payload(option: "[1]", assignments: [], read: noFiles)) { e in
            XCTAssertEqual(e as? TrialctlError, .usage("--payload must be a JSON object, not an array"))
        }
        XCTAssertThrowsError(try Input.payload(option: #"{"kind": primary}"#, assignments: [], read: noFiles)) { e in
            XCTAssertEqual(e as? TrialctlError, .usage("--payload is not JSON: unexpected character (column 10)"))
        }
    }

    func testPayloadFromAFileOrStandardInput() throws {
        var asked: [String] = []
        let read = { (p: String) throws(TrialctlError) -> [UInt8] in
            asked.append(p)
            return Array(#"{"status": "suspended"}"#.utf8)
        }
        XCTAssertEqual(
            try Input.payload(option: "@why.json", assignments: ["whyStopped=funding"], read: read),
            JSONObject([("status", "suspended"), ("whyStopped", "funding")]))
        XCTAssertEqual(
            try Input.payload(option: "@-", assignments: [], read: read), JSONObject([("status", "suspended")]))
        XCTAssertEqual(asked, ["why.json", "-"])
        let broken = { (_: String) throws(TrialctlError) -> [UInt8] in Array("{\n  \"status\": \n}".utf8) }
        XCTAssertThrowsError(try Input.payload(option: "@p.json", assignments: [], read: broken)) { e in
            XCTAssertEqual(e as? TrialctlError, .failure("p.json is not JSON: unexpected character (line 3, column 1)"))
        }
    }

    func testJSONLines() throws {
        let text = """
            {"trial": "HARMONi-6", "type": "presented", "occurred": "2026-06-02", "payload": {"venue": "ASCO 2026"}}

            {"trial": "HARMONi-6", "type": "milestone-expected", "payload": {"milestone": "presented:ESMO", "window": "2026"}}\r
               \t

            """
        let lines = try Input.jsonLines(Array(text.utf8), name: "events.jsonl")
        XCTAssertEqual(lines.map(\.line), [1, 3])
        XCTAssertEqual(lines[1].event["type"], "milestone-expected")
        XCTAssertEqual(try Input.jsonLines([], name: "empty.jsonl").count, 0)
        XCTAssertEqual(try Input.jsonLines(Array("\u{FEFF}{\"a\":1}".utf8), name: "bom.jsonl").count, 1)
    }

    func testJSONLinesNameTheFileAndLine() {
        let text = """
            {"trial": "HARMONi-6", "type": "presented", "payload": {"venue": "ASCO 2026"}}

            {"trial": "HARMONi-6", "type": "presented", "payload": {"venue": "ESMO 2026"}
            """
        XCTAssertThrowsError(try Input.jsonLines(Array(text.utf8), name: "events.jsonl")) { e in
            XCTAssertEqual(
                e as? TrialctlError,
                .failure("events.jsonl:3: not JSON: unexpected end of input in an object (column 78)"))
        }
        XCTAssertThrowsError(try Input.jsonLines(Array("{}\n[1, 2]\n".utf8), name: "<stdin>")) { e in
            XCTAssertEqual(e as? TrialctlError, .failure("<stdin>:2: expected an event object, got an array"))
        }
        XCTAssertThrowsError(try Input.jsonLines(Array("status=recruiting\n".utf8), name: "e.jsonl")) { e in
            XCTAssertEqual((e as? TrialctlError)?.message.hasPrefix("e.jsonl:1: not JSON: "), true)
        }
    }

    func testImportDocuments() throws {
        XCTAssertEqual(
            try ImportCommand.document(Array(#"[{"a":1},{"b":2}]"#.utf8), name: "x.json"),
            JSONObject([("studies", .array([["a": 1], ["b": 2]]))]))
        XCTAssertEqual(
            try ImportCommand.document(Array(#"{"studies":[]}"#.utf8), name: "x.json"),
            JSONObject([("studies", .array([]))]))
        XCTAssertEqual(
            try ImportCommand.document(Array(#"{"protocolSection":{}}"#.utf8), name: "x.json"),
            JSONObject([("protocolSection", .object(JSONObject()))]))
        XCTAssertThrowsError(try ImportCommand.document(Array("42".utf8), name: "x.json")) { e in
            XCTAssertEqual(
                (e as? TrialctlError)?.message,
                #"x.json: expected a study, an array of studies or {"studies": [...]}, got a number"#)
        }
        XCTAssertThrowsError(try ImportCommand.document(Array("{".utf8), name: "<stdin>")) { e in
            XCTAssertEqual((e as? TrialctlError)?.message.hasPrefix("<stdin> is not JSON: "), true)
        }
    }
}
