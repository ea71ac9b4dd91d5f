/// The methods of org.trialtrack.Trials, in the IDL's order (a test compares them): what the
/// router dispatches on, and what says which calls need writing rights and which are queued
/// for the group committer.
public enum TrialsMethod: String, CaseIterable, Sendable {
    case status = "Status"
    case log = "Log"
    case append = "Append"
    case appendMany = "AppendMany"
    case correct = "Correct"
    case retract = "Retract"
    case importDocument = "Import"
    case subscribe = "Subscribe"
    case upcoming = "Upcoming"
    case verify = "Verify"
    case rebuild = "Rebuild"
    case stats = "Stats"
    case follow = "Follow"
    case unfollow = "Unfollow"
    case following = "Following"
    case importStudies = "ImportStudies"
    case recordSync = "RecordSync"
    case backup = "Backup"
    case export = "Export"

    /// The method named `member` (`Status`), if the interface has it.
    public init?(member: String) { self.init(rawValue: member) }

    /// The method a call is to, if it is one of the interface's.
    public init?(_ call: VarlinkCall) {
        guard call.interface == TrialsInterface.name else { return nil }
        self.init(rawValue: call.member)
    }

    /// The Varlink member name (`Status`).
    public var member: String { rawValue }

    /// The qualified name (`org.trialtrack.Trials.Status`).
    public var qualifiedName: String { TrialsInterface.method(rawValue) }

    /// Whether it changes the log: it needs root, trialsd's own user or the writers group.
    public var needsWriter: Bool {
        switch self {
        // Backup writes no event, but makes trialsd write a file where the caller says.
        case .append, .appendMany, .correct, .retract, .importDocument, .rebuild, .backup: true
        case .follow, .unfollow, .importStudies, .recordSync: true
        case .status, .log, .subscribe, .upcoming, .verify, .stats, .following, .export: false
        }
    }

    /// Whether its calls are validated on the event loop and queued for the group committer
    /// before the calls ahead of them are answered (their order is kept by the writer's queue).
    /// With `more` they still have one reply, so they are queued too.
    public var isQueued: Bool {
        switch self {
        case .append, .appendMany: true
        default: false
        }
    }

    /// Whether it answers only with `more`, one reply per event.
    public var isStreaming: Bool { self == .subscribe }
}
