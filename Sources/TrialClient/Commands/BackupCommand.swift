import ArgumentParser
import TrialDomain
import TrialProtocol

/// `trialctl backup PATH`: a consistent copy of the database, made by trialsd.
public struct BackupCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Have trialsd copy its database to a file, while it goes on recording.",
        discussion: """
            trialsd copies the database to PATH with SQLite's online backup: the copy is the log \
            as of the moment the backup starts, however long it takes, and recording goes on \
            meanwhile. The copy is written beside PATH, its hash chain verified (every hash \
            recomputed), synced, and only then put at PATH; on any failure nothing is left there. \
            It is a database trialsd opens as it is (trialsd --database PATH).

            trialsd writes the file, as its own user, so PATH must be absolute and its directory \
            one trialsd may write to: under systemd (ProtectSystem=strict, PrivateTmp=yes) that \
            is /var/lib/trialsd/backups, made by the unit, or a directory given to trialsd with \
            ReadWritePaths= in a drop-in; /tmp is trialsd's own there, not yours. An existing \
            file is refused unless --overwrite. Backing up needs root, the user trialsd runs \
            as, or membership in its writers group.

            Prints: backed up to PATH: seq N, head hash H, SIZE in SECONDS.

            Examples:
              trialctl backup --overwrite /tmp/trials-backup.db
            """)

    @Argument(
        help: ArgumentHelp("Where trialsd writes the copy: an absolute path.", valueName: "path"), completion: .file())
    public var path: String

    @Flag(help: "Replace the file at PATH if there is one.")
    public var overwrite = false

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws {
        guard path.hasPrefix("/") else {
            throw UsageError(
                "PATH: give an absolute path, not '\(path)': trialsd writes the copy, in a directory it may write to (e.g. /var/lib/trialsd/backups)"
            )
        }
    }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global, action: "backing up", wait: .work)
        let reply = try session.call(.backup, BackupRequest(path: path, overwrite: overwrite).parameters)
        if json.isOn { return ctx.printJSON(reply, json) }
        let r = try Reply.read(BackupResponse.self, reply)
        ctx.writeOut(
            "backed up to \(path): seq \(r.lastSeq), head hash \(r.headHash), \(Format.bytes(r.bytes)) in \(Format.duration(seconds: r.seconds))\n"
        )
    }
}
