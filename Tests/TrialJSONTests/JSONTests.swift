import TrialJSON
import TrialTestSupport
import XCTest

final class JSONTests: XCTestCase {
    func testCanonicalForm() throws {
        let v = try JSONValue.parse(
            #" { "b": [1, 2.5, -0.51, 1e3], "a": "x\"\n\u00e9\ud83d\ude00", "c": null, "d": true } "#)
        XCTAssertEqual(v.canonicalText, #"{"a":"x\"\né😀","b":[1,2.5,-0.51,1000],"c":null,"d":true}"#)
        XCTAssertEqual(try JSONValue.parse(v.canonicalText), v)
        XCTAssertEqual(JSONValue.int(780).canonicalText, "780")
        XCTAssertEqual(JSONValue.double(0.0001).canonicalText, "0.0001")
    }

    func testIntegersAtTheEdgesOfInt64() throws {
        let cases: [(String, JSONValue)] = [
            ("0", .int(0)), ("-0", .int(0)), ("-7", .int(-7)), ("99999999999999999", .int(99_999_999_999_999_999)),
            ("-9999999999999999", .int(-9_999_999_999_999_999)), ("9223372036854775807", .int(.max)),
            ("-9223372036854775808", .int(.min)), ("9223372036854775808", .double(9_223_372_036_854_775_808)),
        ]
        for (text, value) in cases {
            let v = try JSONValue.parse(text)
            XCTAssertEqual(v, value, text)
            if case .int = value { XCTAssertEqual(v.int64Value.map { "\($0)" }, "\(value.int64Value!)", text) }
        }
        if case .double = try JSONValue.parse("9223372036854775808") {} else { XCTFail("past Int64 is a double") }
    }

    /// Keys sort by their UTF-8 bytes: upper before lower case, a longer key after its prefix,
    /// non-ASCII after ASCII; unsorted input is sorted, duplicates refused even when apart.
    func testKeysSortByUTF8Bytes() throws {
        let v = try JSONValue.parse(#"{"é":1,"b":2,"ab":3,"a":4,"B":5,"z":6}"#)
        XCTAssertEqual(v.objectValue?.keys, ["B", "a", "ab", "b", "z", "é"])
        XCTAssertEqual(v["ab"], .int(3))
        XCTAssertEqual(v["é"], .int(1))
        XCTAssertNil(v["abc"])
        XCTAssertThrowsError(try JSONValue.parse(#"{"b":1,"a":2,"b":3}"#)) { e in
            XCTAssertTrue("\(e)".contains("duplicate key \"b\""))
        }
    }

    /// The parser judges key order on the text's bytes as it reads; an escaped key's text is
    /// not its bytes, so such objects are checked on the decoded keys instead.
    func testKeyOrderAndDuplicatesThroughEscapes() throws {
        // Sorted in the text: kept as they come, found by every key.
        let sorted = try JSONValue.parse(#"{"B":1,"a":2,"ab":3,"b":4}"#)
        XCTAssertEqual(sorted.objectValue?.keys, ["B", "a", "ab", "b"])
        for (k, n) in [("B", 1), ("a", 2), ("ab", 3), ("b", 4)] as [(String, Int64)] {
            XCTAssertEqual(sorted[k], .int(n), k)
        }
        // Equal keys in a row are duplicates, not an order.
        XCTAssertThrowsError(try JSONValue.parse(#"{"a":1,"b":2,"b":3}"#)) { e in
            XCTAssertTrue("\(e)".contains("duplicate key \"b\""))
        }
        // "\u0062" is "b": sorted after "a" by its bytes, not by its text's; a duplicate of "b".
        let escaped = try JSONValue.parse(#"{"c":1,"\u0062":2,"a":3}"#)
        XCTAssertEqual(escaped.objectValue?.keys, ["a", "b", "c"])
        XCTAssertEqual(escaped["b"], .int(2))
        XCTAssertThrowsError(try JSONValue.parse(#"{"a":1,"\u0062":2,"b":3}"#)) { e in
            XCTAssertTrue("\(e)".contains("duplicate key \"b\""))
        }
        XCTAssertThrowsError(try JSONValue.parse(#"{"\u0061":1,"a":2}"#)) { e in
            XCTAssertTrue("\(e)".contains("duplicate key \"a\""))
        }
        // A larger object than the short scan serves (binary search), and an empty key.
        let wide = try JSONValue.parse(
            "{" + (0..<20).map { "\"k\(String(format: "%02d", 19 - $0))\":\($0)" }.joined(separator: ",") + "}")
        XCTAssertEqual(wide["k00"], .int(19))
        XCTAssertEqual(wide["k19"], .int(0))
        XCTAssertNil(wide["k20"])
        XCTAssertEqual(try JSONValue.parse(#"{"":1,"a":2}"#)[""], .int(1))
        XCTAssertThrowsError(try JSONValue.parse(#"{"":1,"":2}"#)) { e in
            XCTAssertTrue("\(e)".contains("duplicate key"))
        }
        // Non-ASCII strings are still checked as UTF-8.
        XCTAssertEqual(try JSONValue.parse(#"{"é":"ü"}"#)["é"], .string("ü"))
    }

    /// Decimals read by the parser's fast path are the Doubles strtod gives, to the bit.
    func testDecimalsParseToTheSameDoubleAsStrtod() throws {
        var rng = SeededRandom(seed: 7)
        var texts = [
            "0.51", "-0.38", "0.0001", "11.1", "5.8", "0.1", "0.3", "123456789012.345", "0.000000000000000000001",
            "-0.0", "9007199254740.993", "1.7976931348623157", "999999999999999.9", "0.1234567890123456",
        ]
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...17, using: &rng)
            let all = (0..<digits).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
            let point = Int.random(in: 0..<digits, using: &rng)
            var whole = String(all.prefix(point))
            while whole.count > 1, whole.hasPrefix("0") { whole.removeFirst() }
            let d = (whole.isEmpty ? "0" : whole) + "." + all.dropFirst(point)
            texts.append(Bool.random(using: &rng) ? "-" + d : d)
        }
        for t in texts {
            guard let expected = Double(t) else { continue }
            guard case .double(let got) = try JSONValue.parse(t) else {
                XCTFail("\(t) did not parse as a double"); continue
            }
            XCTAssertEqual(got.bitPattern, expected.bitPattern, t)
        }
    }

    func testMalformedInputNamesTheOffset() {
        let cases: [(String, String)] = [
            (#"{"a":1,"a":2}"#, "duplicate key"), ("[1,2", "end of input"), (#"{"a" 1}"#, "expected ':'"),
            ("01", "leading zero"), (#""\x""#, "invalid escape"), ("[1] x", "after the value"), ("", "end of input"),
            (String(repeating: "[", count: 100), "nesting deeper"), (#""\ud800""#, "surrogate"),
            ("tru", "end of input"),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try JSONValue.parse(text), text) { e in
                XCTAssertTrue("\(e)".contains(reason), "\(text): \(e)")
            }
        }
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xff, 0x22])) { e in XCTAssertTrue("\(e)".contains("UTF-8")) }
    }
}

final class FieldReaderTests: XCTestCase {
    func testStrictRefusesWhatItWasNotAskedFor() throws {
        var r = try FieldReader(try JSONValue.parse(#"{"a":"x","b":2,"c":true}"#))
        XCTAssertEqual(try r.string("a"), "x")
        XCTAssertEqual(try r.optionalBool("c"), true)
        XCTAssertEqual(r.unread, "b")
        XCTAssertThrowsError(try r.finish()) { e in
            XCTAssertEqual(e as? ValidationError, ValidationError(field: "b", reason: "unknown field"))
        }
        XCTAssertEqual(try r.int("b"), 2)
        XCTAssertNoThrow(try r.finish())
    }

    func testLenientIgnoresTheRestButStillNamesTheField() throws {
        var r = try FieldReader(try JSONValue.parse(#"{"a":{"b":[1,"x"]},"newer":1}"#), .lenient)
        XCTAssertNoThrow(try r.finish())
        XCTAssertThrowsError(
            try r.object("a") { v in
                var inner = try FieldReader(v, .lenient)
                return try inner.array("b") { e in
                    guard let i = e.int64Value else {
                        throw ValidationError(field: "", reason: "expected a number, got \(e.kindName)")
                    }
                    return i
                }
            }
        ) { e in XCTAssertEqual("\(e)", "a.b[1]: expected a number, got a string") }
    }
}
