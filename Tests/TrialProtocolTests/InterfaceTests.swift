import Foundation
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
        XCTAssertEqual(Self.declared("method", in: idl), TrialsInterface.methods)
        XCTAssertTrue(TrialsInterface.writeMethods.isSubset(of: TrialsInterface.methods))
    }

    func testTheIDLDeclaresExactlyTheErrorsRaised() throws {
        let idl = try String(contentsOfFile: Self.idlPath, encoding: .utf8)
        let declared = Self.declared("error", in: idl)
        XCTAssertEqual(declared, TrialsInterface.errors)
        XCTAssertEqual(Set(declared).count, declared.count, "an error declared twice")

        // The errors the daemon's code raises: TrialsInterface.error("Name", …), malformed(…) and storeFailed(…).
        var raised = Set<String>()
        let sources = URL(fileURLWithPath: Repository.path("Sources"))
        for module in ["TrialsDaemon", "TrialProtocol"] {
            let directory = sources.appendingPathComponent(module)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".swift") {
                let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                for part in text.components(separatedBy: "TrialsInterface.error(\"").dropFirst() {
                    raised.insert(String(part.prefix { $0 != "\"" }))
                }
                if text.contains("TrialsInterface.malformed(") { raised.insert("MalformedRequest") }
                if text.contains("TrialsInterface.storeFailed(") { raised.insert("StoreFailed") }
            }
        }
        XCTAssertEqual(raised, Set(declared))
    }

    func testTheServiceInterfaceIsTheStandardOne() {
        let idl = VarlinkService.description
        XCTAssertEqual(Self.declared("method", in: idl), ["GetInfo", "GetInterfaceDescription"])
        XCTAssertEqual(
            Self.declared("error", in: idl),
            ["InterfaceNotFound", "MethodNotFound", "MethodNotImplemented", "InvalidParameter", "PermissionDenied", "ExpectedMore"])
        for e in [VarlinkError.interfaceNotFound("x"), .methodNotFound("x"), .invalidParameter("x"), .permissionDenied(), .expectedMore()] {
            XCTAssertTrue(e.name.hasPrefix(VarlinkService.name + "."), e.name)
            XCTAssertTrue(Self.declared("error", in: idl).contains(e.shortName), e.name)
        }
    }
}
