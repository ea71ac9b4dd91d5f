import ArgumentParser
import TrialDomain
import TrialProtocol

public struct RebuildCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Drop the projections and rebuild them from the log.")

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ ctx: Context) throws {
        let reply = try ctx.session(global, action: "rebuilding the projections", wait: .work).call(.rebuild)
        if json.isOn { return ctx.printJSON(reply, json) }
        ctx.writeOut(Render.rebuilt(reply))
    }
}
