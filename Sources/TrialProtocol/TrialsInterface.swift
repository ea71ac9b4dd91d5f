import TrialDomain

/// The project's Varlink interface: its name, its IDL (served verbatim) and its errors.
public enum TrialsInterface {
    public static let name = "org.trialtrack.Trials"

    /// The IDL text, as in Sources/TrialProtocol/org.trialtrack.Trials.varlink.
    public static let description = String(decoding: PackageResources.org_trialtrack_Trials_varlink, as: UTF8.self)

    /// The methods are `TrialsMethod`'s cases, the errors `TrialsError.Name`'s.

    public static func method(_ member: String) -> String { "\(name).\(member)" }

    /// An error of the interface by its short name, for tests and tools that look at the wire;
    /// trialsd and trialctl make and read errors as `TrialsError`.
    public static func error(_ member: String, _ parameters: [(String, JSONValue)] = []) -> VarlinkError {
        VarlinkError("\(name).\(member)", JSONObject(parameters))
    }

    /// The largest message accepted, NUL included.
    public static let maximumMessageBytes = 1 << 20

    /// The most events one `Log` call returns (its `limit` is 1 to this).
    public static var maximumLogLimit: Int { LogRequest.maximumLimit }

    /// `Upcoming`'s `within`: days ahead.
    public static var withinDays: ClosedRange<Int64> { UpcomingRequest.withinDays }
}

/// The service's own interface, `org.varlink.service`.
public enum VarlinkService {
    public static let name = "org.varlink.service"

    /// Its methods.
    public enum Method: String, CaseIterable, Sendable {
        case getInfo = "GetInfo"
        case getInterfaceDescription = "GetInterfaceDescription"
    }
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
