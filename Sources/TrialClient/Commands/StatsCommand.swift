import ArgumentParser
import TrialDomain
import TrialProtocol

public struct StatsCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show figures about the log, the database and trialsd.")

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ ctx: Context) throws {
        let reply = try ctx.session(global).call(.stats)
        if json.isOn { return ctx.printJSON(reply, json) }
        ctx.emit(Render.stats(reply, style: ctx.style(global)), global)
    }
}
