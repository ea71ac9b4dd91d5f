@testable import TrialClient
import TrialDomain
import TrialProtocol
import XCTest

final class ErrorTests: XCTestCase {
    func trials(_ name: String, _ p: KeyValuePairs<String, JSONValue> = [:]) -> VarlinkError {
        TrialsInterface.error(name, p.map { ($0.key, $0.value) })
    }

    func say(_ e: VarlinkError, _ context: ErrorContext = ErrorContext()) -> String {
        ErrorText.describe(e, context: context).message
    }

    func testASentenceForEveryErrorOfTheInterface() {
        XCTAssertEqual(say(trials("NoSuchTrial", ["trial": "HARMONi-9"])), "no such trial: HARMONi-9")
        XCTAssertEqual(say(trials("NoSuchEvent", ["seq": 99])), "no such event: seq 99")
        XCTAssertEqual(
            say(
                trials(
                    "InvalidEvent",
                    ["field": "payload.status", "reason": "'paused' is not one of: not-yet-recruiting, recruiting"])),
            "invalid event: payload.status: 'paused' is not one of: not-yet-recruiting, recruiting")
        XCTAssertEqual(
            say(trials("InvalidEvent", ["field": "", "reason": "expected an object, got an array"])),
            "invalid event: expected an object, got an array")
        XCTAssertEqual(
            say(trials("WrongExpectedVersion", ["trial": "HARMONi-2", "expected": 2, "current": 3])),
            "HARMONi-2 is at version 3, not 2")
        XCTAssertEqual(
            say(trials("WrongExpectedVersion", ["trial": "HARMONi-2", "expected": 0, "current": 3])),
            "HARMONi-2 already exists (at version 3), not new as expected")
        XCTAssertEqual(
            say(
                trials(
                    "Contradiction", ["trial": "NCT07264075", "reason": "a withdrawn trial (seq 13) has no results"])),
            "contradiction: NCT07264075: a withdrawn trial (seq 13) has no results")
        XCTAssertEqual(
            say(
                trials(
                    "Contradiction",
                    ["trial": "NCT07264075", "seq": 20, "reason": "cannot be recruiting after completed (seq 19)"])),
            "contradiction: NCT07264075 (at seq 20): cannot be recruiting after completed (seq 19)")
        XCTAssertEqual(
            say(trials("IdConflict", ["id": "8f0c1d2e-0000-4000-8000-000000000001", "seq": 43])),
            "event id 8f0c1d2e-0000-4000-8000-000000000001 was already used by seq 43 with different content")
        XCTAssertEqual(
            say(trials("IdentifierTaken", ["identifier": "NCT05499390", "trial": "HARMONi-2"])),
            "NCT05499390 already identifies another trial, HARMONi-2")
        XCTAssertEqual(
            say(trials("NotAmendable", ["seq": 16, "reason": "trialsd wrote it"])),
            "seq 16 cannot be amended: trialsd wrote it")
        XCTAssertEqual(
            say(trials("WrongTrial", ["seq": 7, "trial": "HARMONi-6", "given": "HARMONi-2"])),
            "seq 7 belongs to HARMONi-6, not HARMONi-2")
        XCTAssertEqual(
            say(
                trials(
                    "InvalidImport",
                    [
                        "file": "NCT02552212.json", "path": "protocolSection.statusModule.overallStatus",
                        "reason": "'PAUSED' is not a status",
                    ])),
            "NCT02552212.json: protocolSection.statusModule.overallStatus: 'PAUSED' is not a status")
        XCTAssertEqual(
            say(trials("InvalidImport", ["file": "<stdin>", "path": "", "reason": "no studies"])), "<stdin>: no studies"
        )
        XCTAssertEqual(
            say(trials("InvalidDate", ["parameter": "asOf", "reason": "'2025-13-01' is not a real date"])),
            "invalid --as-of: '2025-13-01' is not a real date")
        XCTAssertEqual(
            say(trials("SubscriberTooSlow", ["lastSeq": 4711, "backlog": 10000])),
            "trialsd dropped this subscriber after it fell 10000 events behind; resume with --since 4711")
        XCTAssertEqual(
            say(trials("RequestTooLarge", ["limit": 1_048_576])), "the request is larger than trialsd accepts (1.0M)")
        XCTAssertEqual(
            say(trials("RequestTooLarge", ["limit": 1_048_576]), ErrorContext(batchFile: "big.jsonl")),
            "the request is larger than trialsd accepts (1.0M); split the file")
        XCTAssertEqual(
            say(trials("MalformedRequest", ["reason": "unknown field 'x' in the call"])),
            "trialsd refused the request as malformed: unknown field 'x' in the call")
        XCTAssertEqual(say(trials("ShuttingDown")), "trialsd is shutting down; try again in a moment")
        XCTAssertEqual(
            say(trials("StoreFailed", ["reason": "SQLite error 13: database or disk is full"])),
            "trialsd could not use its database (nothing was written): SQLite error 13: database or disk is full; see journalctl -u trialsd"
        )
        // BackupError's line, as it is: it names the path and what to do.
        XCTAssertEqual(
            say(
                trials(
                    "BackupFailed",
                    [
                        "path": "/srv/t.db",
                        "reason":
                            "cannot back up to /srv/t.db: it exists; remove it, give another path, or ask to overwrite it",
                    ])),
            "cannot back up to /srv/t.db: it exists; remove it, give another path, or ask to overwrite it")
        XCTAssertEqual(
            say(trials("InvalidFilter", ["parameter": "phases", "value": "5", "valid": ["3", "4"]])),
            "--phase 5: the phases are 3, 4")
        XCTAssertEqual(
            say(trials("InvalidFilter", ["parameter": "sponsors", "value": "...", "valid": []])),
            "--sponsor ...: give a name with a letter or digit")
    }

    func testEveryErrorTheIDLDeclaresHasASentence() {
        let names = TrialsInterface.description.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("error ") else { return nil }
            return String(line.dropFirst(6).prefix { $0 != " " && $0 != "(" })
        }
        XCTAssertEqual(names.count, TrialsError.Name.allCases.count)
        for name in names {
            let m = say(trials(name))
            XCTAssertFalse(m.hasPrefix("trialsd answered"), "\(name) has no sentence")
        }
        XCTAssertEqual(
            say(trials("SomethingNew", ["x": 1])), #"trialsd answered org.trialtrack.Trials.SomethingNew {"x":1}"#)
    }

    func testVarlinkServiceErrors() {
        XCTAssertEqual(
            say(.permissionDenied(), ErrorContext(action: "recording")),
            "permission denied: recording needs root, the user trialsd runs as, or membership in its writers group (trialsd --writers-group NAME, default trialsd)"
        )
        // trialsd names its writers group (or that it has none).
        XCTAssertEqual(
            say(
                VarlinkError("org.varlink.service.PermissionDenied", JSONObject([("writersGroup", "trialsd")])),
                ErrorContext(action: "recording")),
            "permission denied: recording needs root, the user trialsd runs as, or membership in its writers group trialsd (trialsd --writers-group NAME)"
        )
        XCTAssertEqual(
            say(
                VarlinkError("org.varlink.service.PermissionDenied", JSONObject([("writersGroup", "")])),
                ErrorContext(action: "recording")),
            "permission denied: recording needs root or the user trialsd runs as; trialsd names no writers group (start it with --writers-group NAME)"
        )
        XCTAssertEqual(
            say(.permissionDenied(), ErrorContext(action: "rebuilding the projections")),
            "permission denied: rebuilding the projections needs root, the user trialsd runs as, or membership in its writers group (trialsd --writers-group NAME, default trialsd)"
        )
        XCTAssertEqual(say(.invalidParameter("limit")), "invalid value for --limit")
        XCTAssertEqual(say(.invalidParameter("knownAt")), "invalid value for --known-at")
        XCTAssertEqual(
            say(.methodNotFound("org.trialtrack.Trials.Upcoming")),
            "trialsd does not know org.trialtrack.Trials.Upcoming (is it an older version?)")
        XCTAssertEqual(
            say(
                .interfaceNotFound("org.trialtrack.Trials"),
                ErrorContext(socket: .init(path: "/run/x", origin: .option))),
            "the service at /run/x does not serve org.trialtrack.Trials; is it trialsd?")
        XCTAssertEqual(
            say(VarlinkError("org.varlink.service.MethodNotImplemented", JSONObject([("method", "Rebuild")]))),
            "trialsd does not implement Rebuild")
        XCTAssertEqual(say(.expectedMore()), "protocol error: trialsd expected a streaming call")
    }

    func testABatchErrorNamesTheEventAndItsLine() {
        let e = trials("InvalidEvent", ["index": 2, "field": "payload.status", "reason": "'paused' is not one of: …"])
        XCTAssertEqual(
            say(e, ErrorContext(batchFile: "events.jsonl", batchLines: [1, 2, 3])),
            "event 3 of events.jsonl: invalid event: payload.status: 'paused' is not one of: …")
        XCTAssertEqual(
            say(e, ErrorContext(batchFile: "events.jsonl", batchLines: [1, 3, 5])),
            "event 3 of events.jsonl (line 5): invalid event: payload.status: 'paused' is not one of: …")
        XCTAssertEqual(say(e), "event 3: invalid event: payload.status: 'paused' is not one of: …")
        XCTAssertEqual(
            say(
                trials("WrongExpectedVersion", ["index": 0, "trial": "HARMONi-2", "expected": 2, "current": 3]),
                ErrorContext(batchFile: "<stdin>", batchLines: [4])),
            "event 1 of <stdin> (line 4): HARMONi-2 is at version 3, not 2")
    }

    func testExitStatuses() {
        XCTAssertEqual(ErrorText.describe(trials("NoSuchTrial", ["trial": "X"])).status, .noSuchTrial)
        XCTAssertEqual(ExitStatus.noSuchTrial.rawValue, 4)
        XCTAssertEqual(
            ErrorText.convert(ClientError.unreachable(path: "/run/trialsd/control", reason: "Connection refused"))
                .status, .unreachable)
        XCTAssertEqual(ExitStatus.unreachable.rawValue, 3)
        XCTAssertEqual(ErrorText.describe(trials("InvalidDate", ["parameter": "asOf", "reason": "r"])).status, .usage)
        XCTAssertEqual(ErrorText.describe(.invalidParameter("limit")).status, .usage)
        XCTAssertEqual(ExitStatus.usage.rawValue, 2)
        for name in [
            "NoSuchEvent", "InvalidEvent", "WrongExpectedVersion", "Contradiction", "IdConflict", "IdentifierTaken",
            "NotAmendable",
            "WrongTrial", "InvalidImport", "SubscriberTooSlow", "RequestTooLarge", "MalformedRequest", "ShuttingDown",
            "StoreFailed",
        ] {
            XCTAssertEqual(ErrorText.describe(trials(name)).status, .failure, name)
        }
        XCTAssertEqual(ErrorText.describe(.permissionDenied()).status, .failure)
        XCTAssertEqual(
            ErrorText.convert(ClientError.protocolViolation("trialsd closed the connection")),
            .failure("protocol error: trialsd closed the connection"))
        XCTAssertEqual(
            ErrorText.convert(ClientError.remote(trials("NoSuchTrial", ["trial": "X"]))).status, .noSuchTrial)
        XCTAssertEqual(
            ErrorText.convert(ClientError.timedOut(path: "/run/trialsd/control", after: .seconds(60))),
            TrialctlError(
                "trialsd at /run/trialsd/control did not answer within 60 s; is it stuck? (systemctl status trialsd)",
                status: .unreachable))
        XCTAssertEqual(ErrorText.convert(TrialDomain.ValidationError(field: "occurred", reason: "bad")).status, .usage)
        XCTAssertEqual(ExitStatus.success.rawValue, 0)
        XCTAssertEqual(ExitStatus.failure.rawValue, 1)
    }

    func testUnreachableSaysWhereItLooked() {
        func say(_ reason: String, _ origin: SocketLocator.Origin) -> String {
            ErrorText.convert(
                ClientError.unreachable(path: "/run/user/1000/trialsd/control", reason: reason),
                context: ErrorContext(socket: .init(path: "/run/user/1000/trialsd/control", origin: origin))
            ).message
        }
        XCTAssertEqual(
            say("No such file or directory", .user),
            "cannot reach trialsd at /run/user/1000/trialsd/control: No such file or directory; is trialsd running?")
        XCTAssertEqual(
            say("Connection refused", .environment),
            "cannot reach trialsd at /run/user/1000/trialsd/control: Connection refused (from TRIALCTL_SOCKET); is trialsd running?"
        )
        XCTAssertEqual(
            say("Permission denied", .system),
            "cannot reach trialsd at /run/user/1000/trialsd/control: Permission denied; connecting needs access to the socket (its group)"
        )
        XCTAssertEqual(
            say("the path is too long for a Unix socket", .option),
            "cannot reach trialsd at /run/user/1000/trialsd/control: the path is too long for a Unix socket (given with --socket); give a shorter path with --socket PATH"
        )
    }
}
