import Foundation
import TrialDomain
import TrialProtocol
import TrialTestSupport
import XCTest

/// The IDL file against what TrialProtocol declares and the daemon raises.
final class InterfaceTests: XCTestCase {
    private static let idlPath = Repository.path("Sources/TrialProtocol/org.trialtrack.Trials.varlink")

    /// The names declared by lines beginning `keyword ` (`method Status(`, `error NoSuchTrial (`).
    private static func declared(_ keyword: String, in idl: String) -> [String] {
        idl.split(separator: "\n").compactMap { line in
            guard line.hasPrefix(keyword + " ") else { return nil }
            return String(line.dropFirst(keyword.count + 1).prefix { $0 != " " && $0 != "(" })
        }
    }

    func testTheEmbeddedDescriptionIsTheFile() throws {
        let file = try String(contentsOfFile: Self.idlPath, encoding: .utf8)
        XCTAssertEqual(TrialsInterface.description, file)
        XCTAssertTrue(file.split(separator: "\n").contains("interface \(TrialsInterface.name)"))
    }

    func testTheIDLDeclaresExactlyTheMethodsServed() throws {
        let idl = try String(contentsOfFile: Self.idlPath, encoding: .utf8)
        XCTAssertEqual(Self.declared("method", in: idl), TrialsMethod.allCases.map(\.member))
        // The IDL's header names the methods that need writing rights.
        let writers = TrialsMethod.allCases.filter(\.needsWriter).map(\.member)
        XCTAssertEqual(
            writers,
            [
                "Append", "AppendMany", "Correct", "Retract", "Import", "Rebuild", "Follow", "Unfollow",
                "ImportStudies", "RecordSync", "Backup",
            ])
        XCTAssertEqual(TrialsMethod.allCases.filter(\.isQueued), [.append, .appendMany])
        for m in TrialsMethod.allCases {
            XCTAssertEqual(TrialsMethod(VarlinkCall(method: m.qualifiedName)), m)
        }
        XCTAssertNil(TrialsMethod(VarlinkCall(method: "org.varlink.service.Status")))
    }

    /// One of each error of the interface, as trialsd raises them.
    static let examples: [TrialsError] = [
        .noSuchTrial(trial: "HARMONi-9", didYouMean: "HARMONi-6"), .noSuchEvent(seq: 99),
        .invalidEvent(index: 1, field: "payload.status", reason: "r"),
        .wrongExpectedVersion(trial: "T", expected: 2, current: 3), .contradiction(trial: "T", seq: 4, reason: "r"),
        .idConflict(id: "i", seq: 1), .identifierTaken(identifier: "NCT1", trial: "T"),
        .notAmendable(seq: 1, reason: "r"),
        .wrongTrial(seq: 1, trial: "T", given: "U"), .invalidImport(file: "f", path: "p", reason: "r"),
        .invalidDate(parameter: "asOf", reason: "r"), .subscriberTooSlow(lastSeq: 1, backlog: 2),
        .requestTooLarge(limit: 3),
        .malformedRequest(reason: "r"), .shuttingDown, .storeFailed(reason: "r"),
        .invalidFollow(target: "t", reason: "r"),
        .backupFailed(path: "/p", reason: "r"),
        .malformedRequest(reason: "r"), .shuttingDown, .storeFailed(reason: "r"),
        .invalidFilter(parameter: "phases", value: "5", valid: ["3"]),
    ]

    func testTheIDLDeclaresExactlyTheErrorsRaised() throws {
        let idl = try String(contentsOfFile: Self.idlPath, encoding: .utf8)
        let declared = Self.declared("error", in: idl)
        XCTAssertEqual(declared, TrialsError.Name.allCases.map(\.rawValue))
        XCTAssertEqual(Set(declared).count, declared.count, "an error declared twice")

        // Every error the contract raises is one of them, and reads back as it was.
        var raised = Set<String>()
        for e in Self.examples {
            let wire = e.varlinkError
            XCTAssertTrue(wire.name.hasPrefix(TrialsInterface.name + "."), wire.name)
            raised.insert(wire.shortName)
            XCTAssertEqual(TrialsError(wire), e)
        }
        XCTAssertEqual(raised, Set(declared))
        // Parameters in the IDL's order, `index` first.
        XCTAssertEqual(
            TrialsError.contradiction(index: 2, trial: "T", seq: 4, reason: "r").varlinkError,
            TrialsInterface.error("Contradiction", [("index", 2), ("trial", "T"), ("reason", "r"), ("seq", 4)]))
    }

    func testTheServiceInterfaceIsTheStandardOne() {
        let idl = VarlinkService.description
        XCTAssertEqual(Self.declared("method", in: idl), ["GetInfo", "GetInterfaceDescription"])
        XCTAssertEqual(VarlinkService.Method.allCases.map(\.rawValue), ["GetInfo", "GetInterfaceDescription"])
        XCTAssertEqual(
            Self.declared("error", in: idl),
            [
                "InterfaceNotFound", "MethodNotFound", "MethodNotImplemented", "InvalidParameter", "PermissionDenied",
                "ExpectedMore",
            ])
        let standard: [TrialsError] = [
            .interfaceNotFound(interface: "x"), .methodNotFound(method: "x"), .methodNotImplemented(method: "x"),
            .invalidParameter(parameter: "x"), .permissionDenied(writersGroup: "g"), .expectedMore,
        ]
        for e in standard.map(\.varlinkError) + [
            VarlinkError.interfaceNotFound("x"), .methodNotFound("x"), .invalidParameter("x"), .permissionDenied(),
            .expectedMore(),
        ] {
            XCTAssertTrue(e.name.hasPrefix(VarlinkService.name + "."), e.name)
            XCTAssertTrue(Self.declared("error", in: idl).contains(e.shortName), e.name)
            XCTAssertEqual(TrialsError(e).varlinkError, e)
        }
    }
}
