import TrialDomain

/// A Varlink error: a qualified name and its parameters
/// (`org.trialtrack.Trials.NoSuchTrial {"trial": "NCT00000000"}`).
public struct VarlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    public var name: String
    public var parameters: JSONObject

    public init(_ name: String, _ parameters: JSONObject = JSONObject()) {
        self.name = name
        self.parameters = parameters
    }

    /// The error's short name (`NoSuchTrial`).
    public var shortName: String { splitQualifiedName(name).member }

    public var description: String {
        parameters.count == 0 ? name : "\(name) \(JSONValue.object(parameters).canonicalText)"
    }

    // The standard errors of org.varlink.service.
    public static func interfaceNotFound(_ interface: String) -> VarlinkError {
        VarlinkError("org.varlink.service.InterfaceNotFound", JSONObject([("interface", .string(interface))]))
    }
    public static func methodNotFound(_ method: String) -> VarlinkError {
        VarlinkError("org.varlink.service.MethodNotFound", JSONObject([("method", .string(method))]))
    }
    public static func invalidParameter(_ parameter: String) -> VarlinkError {
        VarlinkError("org.varlink.service.InvalidParameter", JSONObject([("parameter", .string(parameter))]))
    }
    public static func permissionDenied() -> VarlinkError { VarlinkError("org.varlink.service.PermissionDenied") }
    public static func expectedMore() -> VarlinkError { VarlinkError("org.varlink.service.ExpectedMore") }
}

/// A qualified Varlink name split at its last dot, on the UTF-8 bytes (a dot is never part of
/// a larger character): `org.trialtrack.Trials.Status` → (`org.trialtrack.Trials`, `Status`);
/// a name without a dot is all member.
func splitQualifiedName(_ name: String) -> (interface: String, member: String) {
    guard let dot = name.utf8.lastIndex(of: UInt8(ascii: ".")) else { return ("", name) }
    return (String(name[..<dot]), String(name[name.utf8.index(after: dot)...]))
}

/// A method call: `{"method": "org.trialtrack.Trials.Status", "parameters": {...}, "more": true}`.
public struct VarlinkCall: Equatable, Sendable {
    public let method: String
    public var parameters: JSONObject
    /// No reply is wanted.
    public var oneway: Bool
    /// Several replies are wanted (`continues` on all but the last).
    public var more: Bool
    /// The interface part of the method name ("" when it has no dot). Split once, beside
    /// `method`: a server asks for both several times a call.
    public let interface: String
    /// The method's short name.
    public let member: String

    public init(method: String, parameters: JSONObject = JSONObject(), oneway: Bool = false, more: Bool = false) {
        self.method = method
        (interface, member) = splitQualifiedName(method)
        self.parameters = parameters
        self.oneway = oneway
        self.more = more
    }

    /// Reads a call from a message; what is wrong is a MalformedRequest or InvalidParameter.
    public init(message: JSONValue) throws(VarlinkError) {
        guard case .object(let o) = message else {
            throw TrialsError.malformedRequest(reason: "a call must be a JSON object, not \(message.kindName)")
                .varlinkError
        }
        for m in o.members {
            switch m.key {
            case "method", "parameters", "oneway", "more", "upgrade": continue
            default: throw TrialsError.malformedRequest(reason: "unknown field '\(m.key)' in the call").varlinkError
            }
        }
        guard case .string(let method)? = o["method"], !method.isEmpty else {
            throw TrialsError.malformedRequest(reason: "the call has no \"method\" string").varlinkError
        }
        let parameters: JSONObject
        switch o["parameters"] {
        case nil, .null?: parameters = JSONObject()
        case .object(let p)?: parameters = p
        case let other?:
            throw TrialsError.malformedRequest(reason: "\"parameters\" must be an object, not \(other.kindName)")
                .varlinkError
        }
        func flag(_ k: String) throws(VarlinkError) -> Bool {
            switch o[k] {
            case nil, .null?: return false
            case .bool(let b)?: return b
            case let other?:
                throw TrialsError.malformedRequest(reason: "\"\(k)\" must be a boolean, not \(other.kindName)")
                    .varlinkError
            }
        }
        let oneway = try flag("oneway"), more = try flag("more")
        if try flag("upgrade") {
            throw TrialsError.malformedRequest(reason: "connection upgrades are not supported").varlinkError
        }
        self.init(method: method, parameters: parameters, oneway: oneway, more: more)
    }

    public var json: JSONValue {
        var o = JSONObject([("method", .string(method))])
        if parameters.count > 0 { o["parameters"] = .object(parameters) }
        if oneway { o["oneway"] = .bool(true) }
        if more { o["more"] = .bool(true) }
        return .object(o)
    }
}

/// A reply: parameters, or an error; `continues` while more replies follow.
public struct VarlinkReply: Equatable, Sendable {
    public var parameters: JSONObject
    public var continues: Bool
    public var error: String?

    public init(parameters: JSONObject = JSONObject(), continues: Bool = false, error: String? = nil) {
        self.parameters = parameters
        self.continues = continues
        self.error = error
    }

    public init(error: VarlinkError) {
        self.init(parameters: error.parameters, continues: false, error: error.name)
    }

    public init(message: JSONValue) throws(VarlinkError) {
        guard case .object(let o) = message else {
            throw TrialsError.malformedRequest(reason: "a reply must be a JSON object").varlinkError
        }
        parameters = o["parameters"]?.objectValue ?? JSONObject()
        if case .bool(let c)? = o["continues"] { continues = c } else { continues = false }
        error = o["error"]?.stringValue
    }

    public var json: JSONValue {
        var o = JSONObject()
        o["parameters"] = .object(parameters)
        if continues { o["continues"] = .bool(true) }
        if let error { o["error"] = .string(error) }
        return .object(o)
    }

    /// The error this reply carries, if any.
    public var varlinkError: VarlinkError? { error.map { VarlinkError($0, parameters) } }
}
