import TrialDomain
import TrialProtocol
import XCTest

/// Calls, replies and errors as JSON, and the qualified names inside them.
final class MessageTests: XCTestCase {
    private func call(_ text: String) throws -> VarlinkCall { try VarlinkCall(message: JSONValue.parse(text)) }

    /// The reason of the MalformedRequest a call's text is refused with (nil if it is accepted).
    private func refusal(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try call(text)
            return nil
        } catch let error as VarlinkError {
            XCTAssertEqual(error.name, "org.trialtrack.Trials.MalformedRequest", file: file, line: line)
            XCTAssertEqual(error.parameters.keys, ["reason"], file: file, line: line)
            return error.parameters["reason"]?.stringValue
        } catch {
            XCTFail("\(text): \(error)", file: file, line: line)
            return nil
        }
    }

    func testACallIsReadWithItsFlags() throws {
        let c = try call(#"{"method":"org.trialtrack.Trials.Status","parameters":{"trial":"HARMONi-9"},"more":true}"#)
        XCTAssertEqual(c.method, "org.trialtrack.Trials.Status")
        XCTAssertEqual(c.interface, "org.trialtrack.Trials")
        XCTAssertEqual(c.member, "Status")
        XCTAssertEqual(c.parameters, JSONObject([("trial", "HARMONi-9")]))
        XCTAssertTrue(c.more)
        XCTAssertFalse(c.oneway)
        // Absent and null parameters and flags are the defaults.
        XCTAssertEqual(
            try call(#"{"method":"a.B","parameters":null,"oneway":null,"more":false}"#), VarlinkCall(method: "a.B"))
        XCTAssertEqual(
            try call(#"{"method":"a.B","oneway":true,"upgrade":false}"#), VarlinkCall(method: "a.B", oneway: true))
    }

    func testMalformedCallsAreRefusedWithTheReason() {
        XCTAssertEqual(refusal(#"[1,2]"#), "a call must be a JSON object, not an array")
        XCTAssertEqual(refusal(#""org.trialtrack.Trials.Status""#), "a call must be a JSON object, not a string")
        XCTAssertEqual(refusal(#"{}"#), #"the call has no "method" string"#)
        XCTAssertEqual(refusal(#"{"method":""}"#), #"the call has no "method" string"#)
        XCTAssertEqual(refusal(#"{"method":7}"#), #"the call has no "method" string"#)
        XCTAssertEqual(refusal(#"{"method":"a.B","parameters":[]}"#), #""parameters" must be an object, not an array"#)
        XCTAssertEqual(refusal(#"{"method":"a.B","more":"yes"}"#), #""more" must be a boolean, not a string"#)
        XCTAssertEqual(refusal(#"{"method":"a.B","oneway":1}"#), #""oneway" must be a boolean, not a number"#)
        XCTAssertEqual(refusal(#"{"method":"a.B","upgrade":true}"#), "connection upgrades are not supported")
        XCTAssertEqual(refusal(#"{"method":"a.B","extra":1}"#), "unknown field 'extra' in the call")
        XCTAssertNil(refusal(#"{"method":"a.B"}"#))
    }

    func testACallRoundTripsThroughItsJSON() throws {
        let calls = [
            VarlinkCall(
                method: "org.trialtrack.Trials.Log", parameters: JSONObject([("since", 3), ("types", ["Registered"])]),
                more: true),
            VarlinkCall(method: "org.trialtrack.Trials.Append", oneway: true),
            VarlinkCall(method: "org.varlink.service.GetInfo"),
        ]
        for c in calls {
            XCTAssertEqual(try VarlinkCall(message: c.json), c)
            XCTAssertEqual(try VarlinkCall(message: JSONValue.parse(c.json.canonicalText)), c)
        }
        // Defaults are left out of the message.
        XCTAssertEqual(VarlinkCall(method: "a.B").json.canonicalText, #"{"method":"a.B"}"#)
    }

    func testRepliesRoundTripThroughTheirJSON() throws {
        let replies = [
            VarlinkReply(parameters: JSONObject([("trials", [])])),
            VarlinkReply(parameters: JSONObject([("event", ["seq": 4])]), continues: true),
            VarlinkReply(
                error: TrialsInterface.error("NoSuchTrial", [("trial", "HARMONi-9"), ("didYouMean", "HARMONi-6")])),
            VarlinkReply(error: .permissionDenied()),
        ]
        for r in replies {
            XCTAssertEqual(try VarlinkReply(message: r.json), r)
            XCTAssertEqual(try VarlinkReply(message: JSONValue.parse(r.json.canonicalText)), r)
        }
        XCTAssertEqual(VarlinkReply().json.canonicalText, #"{"parameters":{}}"#)
        XCTAssertThrowsError(try VarlinkReply(message: ["parameters"])) {
            XCTAssertEqual(($0 as? VarlinkError)?.shortName, "MalformedRequest")
        }
    }

    func testAReplyCarriesItsError() {
        let e = TrialsInterface.error(
            "WrongExpectedVersion", [("trial", "HARMONi-9"), ("expected", 3), ("current", 4)])
        XCTAssertEqual(VarlinkReply(error: e).varlinkError, e)
        XCTAssertEqual(VarlinkReply(error: e).parameters, e.parameters)
        XCTAssertNil(VarlinkReply(parameters: JSONObject([("ok", true)])).varlinkError)
        XCTAssertEqual(
            e.description, #"org.trialtrack.Trials.WrongExpectedVersion {"current":4,"expected":3,"trial":"HARMONi-9"}"#
        )
        XCTAssertEqual(VarlinkError.expectedMore().description, "org.varlink.service.ExpectedMore")
    }

    func testQualifiedNamesSplitAtTheLastDot() {
        XCTAssertEqual(VarlinkCall(method: "org.trialtrack.Trials.Status").interface, "org.trialtrack.Trials")
        XCTAssertEqual(VarlinkCall(method: "org.trialtrack.Trials.Status").member, "Status")
        XCTAssertEqual(VarlinkCall(method: "Status").interface, "")
        XCTAssertEqual(VarlinkCall(method: "Status").member, "Status")
        XCTAssertEqual(VarlinkCall(method: "org.trialtrack.Trials.").member, "")
        XCTAssertEqual(VarlinkCall(method: "ünï.cödé.Mé").interface, "ünï.cödé")
        XCTAssertEqual(VarlinkCall(method: "ünï.cödé.Mé").member, "Mé")
        XCTAssertEqual(VarlinkError.methodNotFound("x").shortName, "MethodNotFound")
        XCTAssertEqual(TrialsError.storeFailed(reason: "disk full").varlinkError.shortName, "StoreFailed")
        XCTAssertEqual(VarlinkError("Bare").shortName, "Bare")
    }
}
