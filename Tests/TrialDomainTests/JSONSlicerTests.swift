import TrialDomain
import XCTest

/// The scan the registry sync reads pages with: the same members and elements a parse finds,
/// and a text that is not whole JSON refused.
final class JSONSlicerTests: XCTestCase {
    func testMembersAndElementsAreTheRangesAParseFinds() throws {
        let text = #" {"a" : [1, "x\"]", {"b": null}] , "s\\q": "v", "e": {}, "n": -1.5e3 } "#
        let bytes = Array(text.utf8)
        let members = try JSONSlicer.topMembers(bytes)
        XCTAssertEqual(members.map { String(decoding: $0.key, as: UTF8.self) }, ["a", #"s\\q"#, "e", "n"])
        let parsed = try JSONValue.parse(text)
        for m in members where !m.key.contains(UInt8(ascii: "\\")) {
            XCTAssertEqual(try JSONValue.parse(Array(bytes[m.value])), parsed[String(decoding: m.key, as: UTF8.self)])
        }
        let elements = try JSONSlicer.elements(bytes, in: members[0].value)
        XCTAssertEqual(try elements.map { try JSONValue.parse(Array(bytes[$0])) }, parsed["a"]?.arrayValue)
        XCTAssertEqual(try JSONSlicer.elements(Array("[]".utf8), in: 0..<2), [])
    }

    func testATextCutShortOrBrokenIsRefused() {
        for text in [
            #"{"a": [1, 2"#, #"{"a": "x}"#, #"{"a" 1}"#, #"{"a": 1} x"#, "{\"a\": \"\u{1}\"}", #"{"a": [}"#, "",
            #"{"a":}"#,
        ] {
            XCTAssertThrowsError(try JSONSlicer.topMembers(Array(text.utf8)), text)
        }
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        XCTAssertThrowsError(try JSONSlicer.document(Array(deep.utf8)))
    }
}
