import ArgumentParser
import TrialDomain
import TrialProtocol

/// `trialctl export`: the log as JSONL, for `trialsd --restore` and other programs.
public struct ExportCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the log as JSON lines, one event a line, for trialsd --restore.",
        discussion: """
            Every event, oldest first, up to the last one recorded when the export starts, one \
            JSON object a line, exactly as the log holds it (its hash included): \
            trialsd --restore FILE --database NEW.db makes a database of it again, checking \
            every hash as it reads. --since SEQ writes only the events after seq SEQ (to add to \
            an earlier export; a restore needs the whole log). trialsd sends the log in pages, \
            each read once the one before has been written: an export of any size takes little \
            memory on either side. Anyone who may read the log may export it.

            -o FILE writes to FILE, put in place once complete, instead of standard output.

            Examples:
              trialctl export -o /tmp/log.jsonl
              trialctl export --since 10 > /dev/null
            """)

    @Option(parsing: .unconditional, help: ArgumentHelp("Only the events after this seq.", valueName: "seq"))
    public var since: Int64?

    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    public var outputFile: String?

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        if let since, since < 0 { throw UsageError("--since: a seq is 0 or more, not \(since)") }
    }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global, wait: .work)
        let sink = try ExportSink(outputFile, ctx)
        var text = ""
        try session.pages(.export, ExportRequest(since: since).parameters, list: "lines") {
            lines, _ throws(TrialctlError) in
            text.removeAll(keepingCapacity: true)
            for line in lines {
                guard let s = line.stringValue else {
                    throw .failure("protocol error: an Export reply with a line that is not a string")
                }
                text += s
                text += "\n"
            }
            if !text.isEmpty { try sink.write(text) }
        }
        try sink.finish()
    }
}
