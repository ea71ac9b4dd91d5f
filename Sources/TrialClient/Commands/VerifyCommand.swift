import ArgumentParser
import TrialDomain
import TrialProtocol

public struct VerifyCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Walk the hash chain and report the first broken seq.",
        discussion: "Exit status 1 when the chain is broken.")

    @Option(help: JSONMode.help)
    public var json: JSONMode = .off

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func execute(_ ctx: Context) throws {
        let reply = try ctx.session(global, wait: .work).call(.verify)
        if json.isOn {
            ctx.printJSON(reply, json)
        } else {
            ctx.writeOut(Render.verify(reply, style: ctx.style(global)))
        }
        if !VerifyResponse(parameters: reply).ok { throw TrialctlError.silent(.failure) }
    }
}
