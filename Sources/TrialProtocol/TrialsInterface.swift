import TrialDomain

/// The project's Varlink interface: its name, its IDL (served verbatim) and its errors.
public enum TrialsInterface {
    public static let name = "org.trialtrack.Trials"

    /// The IDL text, as in Sources/TrialProtocol/org.trialtrack.Trials.varlink.
    public static let description = String(decoding: PackageResources.org_trialtrack_Trials_varlink, as: UTF8.self)

    /// The methods, as the IDL declares them.
    public static let methods = [
        "Status", "Log", "Append", "AppendMany", "Correct", "Retract", "Import", "Subscribe", "Upcoming", "Verify",
        "Rebuild", "Stats",
    ]

    /// The errors, as the IDL declares them.
    public static let errors = [
        "NoSuchTrial", "NoSuchEvent", "InvalidEvent", "WrongExpectedVersion", "Contradiction", "IdConflict",
        "IdentifierTaken", "NotAmendable", "WrongTrial", "InvalidImport", "InvalidDate", "SubscriberTooSlow",
        "RequestTooLarge", "MalformedRequest", "ShuttingDown", "StoreFailed",
    ]

    /// Methods that change the log: they need root or the writers group.
    public static let writeMethods: Set<String> = ["Append", "AppendMany", "Correct", "Retract", "Import", "Rebuild"]

    public static func method(_ member: String) -> String { "\(name).\(member)" }

    public static func error(_ member: String, _ parameters: [(String, JSONValue)] = []) -> VarlinkError {
        VarlinkError("\(name).\(member)", JSONObject(parameters))
    }

    public static func malformed(_ reason: String) -> VarlinkError { error("MalformedRequest", [("reason", .string(reason))]) }

    /// StoreFailed: the database could not be read or written; `reason` says what failed.
    public static func storeFailed(_ reason: String) -> VarlinkError { error("StoreFailed", [("reason", .string(reason))]) }

    /// The largest message accepted, NUL included.
    public static let maximumMessageBytes = 1 << 20

    /// The most events one `Log` call returns (its `limit` is 1 to this).
    public static let maximumLogLimit = 10_000

    /// `Upcoming`'s `within`: days ahead, up to a century (a bound, so that today plus it is a day).
    public static let withinDays: ClosedRange<Int64> = 0...36_500
}

/// The service's own interface, `org.varlink.service`.
public enum VarlinkService {
    public static let name = "org.varlink.service"
    public static let description = """
        # The Varlink Service Interface is provided by every varlink service. It
        # describes the service and the interfaces it implements.
        interface org.varlink.service

        # Get a list of all the interfaces a service provides and information
        # about the implementation.
        method GetInfo() -> (
          vendor: string,
          product: string,
          version: string,
          url: string,
          interfaces: []string
        )

        # Get the description of an interface that is implemented by this service.
        method GetInterfaceDescription(interface: string) -> (description: string)

        # The requested interface was not found.
        error InterfaceNotFound (interface: string)

        # The requested method was not found
        error MethodNotFound (method: string)

        # The interface defines the requested method, but the service does not
        # implement it.
        error MethodNotImplemented (method: string)

        # One of the passed parameters is invalid.
        error InvalidParameter (parameter: string)

        # Client is denied access
        error PermissionDenied ()

        # Method is expected to be called with 'more' set to true, but wasn't
        error ExpectedMore ()

        """
}
