import ArgumentParser
import ClinicalTrialsGov
import Foundation
import TrialDomain
import TrialProtocol

/// Issue 27 point 4: which one way of reading JSON. Times the project's strict parser with its
/// readers (`Node` for a registry record, `Parameters` and `FieldReader` for a Varlink call)
/// beside Foundation's `JSONDecoder` into `Codable` structs of the same fields.
struct JSONBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json",
        abstract:
            "Decode ClinicalTrials.gov records and Varlink calls: the project's parser and readers beside JSONDecoder + Codable.",
        discussion: """
            For each ClinicalTrials.gov record given (default: demo/ctgov/*.json) and for a Status and \
            an Append call, prints µs per decode, median of the passes: (a) JSONDecoder into Codable \
            structs of the fields the import reads (strings only, no mapping); (b) JSONValue.parse \
            alone; (c) JSONValue.parse and the reader into the domain's types (a Study; a \
            StatusRequest; an AppendRequest and its NewEvent). Build with -c release.
            """)

    @Argument(help: "ClinicalTrials.gov v2 records (JSON files).") var records: [String] = []
    @Option(help: "Passes; the median is printed.") var passes = 7
    @Option(help: "Minimum time per pass, in ms.") var milliseconds = 300

    func run() throws {
        var files = records
        if files.isEmpty {
            let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../../demo/ctgov").standardized
            files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
                .sorted()
                .map { dir.appendingPathComponent($0).path }
        }
        print("µs per decode, median of \(passes) passes (lower is better)")
        print("input                          bytes   JSONDecoder  parse only  parse+reader  reader/Codable")
        for f in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: f))
            let bytes = [UInt8](data)
            let name = URL(fileURLWithPath: f).lastPathComponent
            // Check both sides read the same record before timing them.
            let coded = try JSONDecoder().decode(CTStudy.self, from: data)
            let study = try StudyDocument.parse(bytes, file: name)[0]
            precondition(coded.protocolSection.identificationModule.nctId == study.nctId)
            let a = try time { _ = try JSONDecoder().decode(CTStudy.self, from: data) }
            let p = try time { _ = try JSONValue.parse(bytes) }
            let b = try time { _ = try StudyDocument.parse(bytes, file: name) }
            row(name, bytes.count, a, p, b)
        }

        let status = Array(
            #"{"method":"org.trialtrack.Trials.Status","parameters":{"trial":"HARMONi-2","asOf":"2025-06-30"}}"#.utf8)
        let statusData = Data(status)
        _ = try JSONDecoder().decode(Call<StatusParameters>.self, from: statusData)
        let sa = try time { _ = try JSONDecoder().decode(Call<StatusParameters>.self, from: statusData) }
        let sp = try time { _ = try JSONValue.parse(status) }
        let sb = try time {
            let call = try JSONValue.parse(status)
            _ = try StatusRequest(parameters: call["parameters"]!.objectValue!)
        }
        row("Status call", status.count, sa, sp, sb)

        let append = Array(
            #"{"method":"org.trialtrack.Trials.Append","parameters":{"event":{"trial":"HARMONi-2","type":"status-changed","occurred":"2024-05","source":"https://clinicaltrials.gov/study/NCT05899608","payload":{"status":"recruiting"}}}}"#
                .utf8)
        let appendData = Data(append)
        let today = Day("2026-01-01")!
        _ = try JSONDecoder().decode(Call<AppendParameters>.self, from: appendData)
        let aa = try time { _ = try JSONDecoder().decode(Call<AppendParameters>.self, from: appendData) }
        let ap = try time { _ = try JSONValue.parse(append) }
        let ab = try time {
            let call = try JSONValue.parse(append)
            let r = try AppendRequest(parameters: call["parameters"]!.objectValue!)
            _ = try NewEvent(json: r.event, today: today)
        }
        row("Append call", append.count, aa, ap, ab)

        // Strictness, as each side reads a Status call's parameters.
        print("\nstrictness (a Status call's parameters):")
        for text in [#"{"trial":"a","trial":"b"}"#, #"{"trail":"HARMONi-2"}"#, #"{"trial":7}"#] {
            let coded: String
            do {
                coded =
                    "accepted, trial \(String(describing: try JSONDecoder().decode(StatusParameters.self, from: Data(text.utf8)).trial))"
            } catch {
                coded = "refused: \(error)"
            }
            let ours: String
            do { ours = "accepted: \(try StatusRequest(parameters: try JSONValue.parse(text).objectValue!))" } catch {
                ours = "refused: \(error)"
            }
            print("  \(text)\n    JSONDecoder: \(coded)\n    ours: \(ours)")
        }
    }

    func row(_ name: String, _ n: Int, _ a: Double, _ p: Double, _ b: Double) {
        let padded = name.count < 28 ? name + String(repeating: " ", count: 28 - name.count) : name
        print(padded + String(format: " %7d %12.2f %11.2f %13.2f %15.2f", n, a, p, b, b / a))
    }

    /// µs per call: the median of `passes` passes, each repeating `body` for `milliseconds`.
    func time(_ body: () throws -> Void) rethrows -> Double {
        var results: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<max(1, passes) {
            var n = 0
            let start = clock.now
            var elapsed = Duration.zero
            repeat {
                for _ in 0..<10 { try body() }
                n += 10
                elapsed = clock.now - start
            } while elapsed < .milliseconds(milliseconds)
            let (s, atto) = elapsed.components
            results.append((Double(s) * 1e6 + Double(atto) / 1e12) / Double(n))
        }
        return results.sorted()[results.count / 2]
    }
}

// MARK: - The Codable side: the members StudyDocument reads, as JSONDecoder would give them.

struct Call<P: Decodable>: Decodable {
    var method: String
    var parameters: P
}

struct StatusParameters: Decodable {
    var trial: String?
    var asOf: String?
    var knownAt: String?
}

struct AppendParameters: Decodable {
    struct Event: Decodable {
        struct Payload: Decodable { var status: String }
        var trial: String?
        var type: String
        var occurred: String?
        var source: String?
        var id: String?
        var expectedVersion: Int64?
        var payload: Payload
    }
    var event: Event
}

struct CTStudy: Decodable {
    struct DateStruct: Decodable { var date: String; var type: String? }
    struct Named: Decodable { var name: String? }
    struct Identification: Decodable {
        struct OrgId: Decodable { var id: String? }
        struct SecondaryId: Decodable { var id: String?; var type: String?; var domain: String? }
        var nctId: String
        var nctIdAliases: [String]?
        var orgStudyIdInfo: OrgId?
        var secondaryIdInfos: [SecondaryId]?
        var acronym: String?
        var briefTitle: String?
        var officialTitle: String?
    }
    struct Status: Decodable {
        var overallStatus: String
        var lastKnownStatus: String?
        var whyStopped: String?
        var startDateStruct: DateStruct?
        var primaryCompletionDateStruct: DateStruct?
        var completionDateStruct: DateStruct?
        var statusVerifiedDate: String?
        var studyFirstPostDateStruct: DateStruct?
        var lastUpdatePostDateStruct: DateStruct
        var resultsFirstPostDateStruct: DateStruct?
    }
    struct Design: Decodable {
        struct Enrollment: Decodable { var count: Int64?; var type: String? }
        struct Info: Decodable {
            struct Masking: Decodable { var masking: String? }
            var allocation: String?
            var maskingInfo: Masking?
        }
        var phases: [String]?
        var enrollmentInfo: Enrollment?
        var designInfo: Info?
    }
    struct Arms: Decodable {
        struct Group: Decodable { var label: String; var type: String?; var interventionNames: [String]? }
        var armGroups: [Group]?
    }
    struct Outcomes: Decodable {
        struct Outcome: Decodable { var measure: String }
        var primaryOutcomes: [Outcome]?
    }
    struct Sponsors: Decodable {
        var leadSponsor: Named?
        var collaborators: [Named]?
    }
    struct Conditions: Decodable { var conditions: [String]? }
    struct ProtocolSection: Decodable {
        var identificationModule: Identification
        var statusModule: Status
        var designModule: Design?
        var armsInterventionsModule: Arms?
        var outcomesModule: Outcomes?
        var sponsorCollaboratorsModule: Sponsors?
        var conditionsModule: Conditions?
    }
    struct Measure: Decodable {
        struct Group: Decodable { var id: String?; var title: String? }
        struct Measurement: Decodable {
            var groupId: String?; var value: String?; var lowerLimit: String?; var upperLimit: String?
        }
        struct Category: Decodable { var title: String?; var measurements: [Measurement]? }
        struct Class: Decodable { var title: String?; var categories: [Category]? }
        struct Analysis: Decodable {
            var paramType: String?
            var paramValue: String?
            var ciNumSides: String?
            var ciPctValue: String?
            var ciLowerLimit: String?
            var ciUpperLimit: String?
            var pValue: String?
            var groupIds: [String]?
            var statisticalMethod: String?
        }
        var title: String
        var type: String?
        var unitOfMeasure: String?
        var dispersionType: String?
        var groups: [Group]?
        var classes: [Class]?
        var analyses: [Analysis]?
    }
    struct Results: Decodable {
        struct Module: Decodable { var outcomeMeasures: [Measure]? }
        var outcomeMeasuresModule: Module?
    }
    var protocolSection: ProtocolSection
    var hasResults: Bool?
    var resultsSection: Results?
}
