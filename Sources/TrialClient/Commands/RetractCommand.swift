import ArgumentParser
import TrialDomain
import TrialProtocol

public struct RetractCommand: TrialctlCommand {
    public static let configuration = CommandConfiguration(
        commandName: "retract",
        abstract: "Withdraw an earlier event, saying why.",
        discussion: "The original event stays in the log; the trial's state is folded without it.")

    @Argument(help: ArgumentHelp("The seq of the event to retract.", valueName: "seq"))
    public var seq: Int64

    @OptionGroup public var amendment: AmendmentOptions

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func validate() throws { try amendment.validate(seq: seq) }

    public func execute(_ ctx: Context) throws {
        let session = try ctx.session(global, action: "recording")
        try amendment.send(.retract, amendment.parameters(seq: seq), session, ctx)
    }
}
