import Foundation

/// The registry's site root (`https://clinicaltrials.gov` unless `--api-url URL` or
/// `TRIALTRACK_CTGOV_URL` says otherwise) and the URLs the client reads under it.
public struct CTGovSite: Equatable, Sendable, CustomStringConvertible {
    public static let defaultRoot = "https://clinicaltrials.gov"
    public static let environmentVariable = "TRIALTRACK_CTGOV_URL"

    /// The root without a trailing slash, e.g. `https://clinicaltrials.gov` or
    /// `http://127.0.0.1:8080/stand-in`.
    public let root: String

    /// A root given by a person: http or https, a host, an optional path; no query or fragment.
    public init(root text: String) throws(RegistryError) {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        func invalid(_ why: String) -> RegistryError {
            RegistryError(url: text, kind: .invalidURL, reason: "not a usable site root: \(why)")
        }
        guard let components = URLComponents(string: trimmed) else { throw invalid("not a URL") }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw invalid("the scheme must be http or https")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("no host") }
        guard components.query == nil, components.fragment == nil else { throw invalid("a query or fragment") }
        root = trimmed
    }

    /// The root from the command line's `--api-url`, else `TRIALTRACK_CTGOV_URL`, else the default.
    /// An empty value counts as not given.
    public static func resolve(
        apiURL: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RegistryError) -> CTGovSite {
        if let apiURL, !apiURL.isEmpty { return try CTGovSite(root: apiURL) }
        if let env = environment[environmentVariable], !env.isEmpty { return try CTGovSite(root: env) }
        return try CTGovSite(root: defaultRoot)
    }

    public var description: String { root }

    /// `/api/v2/studies`, without a query (see `StudiesQuery.url`).
    public var studiesURL: String { root + "/api/v2/studies" }
    /// `/api/v2/version`.
    public var versionURL: String { root + "/api/v2/version" }
    /// `/api/int/studies/{nctId}/history`.
    public func historyURL(nctId: String) -> String {
        root + "/api/int/studies/" + PercentEncoding.component(nctId) + "/history"
    }
    /// `/api/int/studies/{nctId}/history/{version}` (versions are numbered from 0).
    public func historyURL(nctId: String, version: Int) -> String {
        historyURL(nctId: nctId) + "/\(version)"
    }
}
