import ArgumentParser
import TrialDomain
import TrialProtocol

public struct ImportCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import ClinicalTrials.gov study records, recording only what changed.",
        discussion: """
            Each FILE holds ClinicalTrials.gov API v2 study JSON: one study, an array of studies, \
            or a page {"studies": [...]}; - reads standard input. Each file is imported all or \
            nothing; when one fails, the others are still imported and the exit status is 1. For \
            each trial, trialctl says what was recorded and how much it matters (critical, \
            notable, minor), or that it was unchanged.

            Example:
              curl -s https://clinicaltrials.gov/api/v2/studies/NCT07264075 \\
                  | trialctl import -
            """)

    @Argument(help: ArgumentHelp("Study JSON files (- for standard input).", valueName: "file"))
    public var files: [String] = []

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        guard !files.isEmpty else { throw UsageError("Missing expected argument '<file> ...' (- for standard input)") }
        guard files.filter({ $0 == "-" }).count <= 1 else {
            throw UsageError("standard input (-) can be read only once")
        }
    }

    /// Errors about one file's content: report them and go on with the next file.
    static let perFileErrors: Set<TrialsError.Name> = [
        .invalidImport, .invalidEvent, .contradiction, .identifierTaken, .wrongExpectedVersion, .requestTooLarge,
        .malformedRequest, .idConflict,
    ]

    /// The document sent for a file: an array is wrapped as {"studies": [...]}.
    public static func document(_ bytes: [UInt8], name: String) throws(TrialctlError) -> JSONObject {
        let v = try Input.json(bytes, name: name)
        switch v {
        case .object(let o): return o
        case .array(let a): return JSONObject([("studies", .array(a))])
        default:
            throw .failure("\(name): expected a study, an array of studies or {\"studies\": [...]}, got \(v.kindName)")
        }
    }

    /// What went wrong with file `name` alone (reading or parsing it, or an error in
    /// `perFileErrors`), as a sentence; any other error is thrown.
    static func fileError(_ error: Error, name: String, _ context: ErrorContext) throws(TrialctlError) -> TrialctlError
    {
        if let e = error as? TrialctlError { return e }
        guard case ClientError.remote(var e)? = error as? ClientError, let kind = TrialsError.Name(e),
            perFileErrors.contains(kind)
        else {
            throw ErrorText.convert(error, context: context)
        }
        var context = context
        context.batchFile = name
        if kind == .invalidImport { return ErrorText.describe(e, context: context) }
        // The index counts the events planned from the file, not its lines: name the file.
        e.parameters["index"] = nil
        var t = ErrorText.describe(e, context: context)
        t.message = "\(name): " + t.message
        return t
    }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global, action: "importing", wait: .work)
        var failed = false
        for file in files {
            let name = Input.displayName(file)
            let reply: JSONObject
            do {
                let document = try Self.document(try ctx.read(file), name: name)
                reply = try session.transport.call(
                    TrialsMethod.importDocument.qualifiedName,
                    ImportRequest(document: .object(document), file: name).parameters)
            } catch {
                // This file could not be read, parsed or imported: say so, and go on with the next.
                let e = try Self.fileError(error, name: name, session.context)
                if files.count == 1 { throw e }
                ctx.writeErr("trialctl: \(e.message)\n")
                failed = true
                continue
            }
            if json.isOn {
                ctx.printJSON(reply, json)
            } else {
                ctx.writeOut(try Render.imported(reply, style: ctx.style(global)))
            }
        }
        if failed { throw TrialctlError.silent(.failure) }
    }
}
