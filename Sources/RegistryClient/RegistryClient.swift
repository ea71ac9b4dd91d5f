import TrialDomain

/// The ClinicalTrials.gov HTTP API as `trialctl sync` and `trialctl backfill` read it: the
/// site's URLs (`CTGovSite`), the incremental search (`StudiesQuery`, paged by `StudiesPager`),
/// a polite fetcher (`PoliteFetcher`: one request a second, `Retry-After`, capped backoff) and
/// the decoders of the four answers. It knows nothing of trialsd, Varlink or the log.
///
/// ## The HTTP client: FoundationNetworking's URLSession
///
/// Chosen over AsyncHTTPClient and over libcurl called directly, because it does everything
/// needed at no build cost:
///
/// - **Build cost.** URLSession ships in the toolchain (FoundationNetworking, on libcurl and
///   the system's CA store), so nothing new is compiled. AsyncHTTPClient would add 2.5–4.5
///   minutes to a clean build on this machine (swift-nio-ssl's BoringSSL, nio-http2,
///   nio-extras) for one GET a second. libcurl directly would mean a new system-library target,
///   `libcurl4-openssl-dev` and hand-written callbacks for what URLSession already wraps.
/// - **Per-request timeout**: a response slower than it fails with `URLError.timedOut`,
///   retried like a 5xx. (On Linux FoundationNetworking reads it from the session's
///   `timeoutIntervalForRequest`, in whole seconds, not from `URLRequest.timeoutInterval`,
///   which it ignores: the tests showed it, so `URLSessionTransport` keeps a session per timeout.)
/// - **Retry-After**: `HTTPURLResponse.value(forHTTPHeaderField:)`.
/// - **User-Agent**: set per request; URLSession's own default is replaced, not appended to.
/// - **A body cut short**: libcurl reports fewer bytes than `Content-Length` before the close
///   as an error (`CURLE_PARTIAL_FILE`, which reaches URLSession's caller as a `URLError`
///   whose text is "transfer closed with N bytes remaining to read"; the tests stage it), and
///   `URLSessionTransport` also compares the body with `Content-Length` itself when the body
///   was not compressed, so a short body never passes as a whole one. A body that is whole by
///   its length but is not JSON fails in the decoders.
/// - **TLS**: libcurl with the system's CA bundle (Debian's `ca-certificates`), as the issue asks.
///
/// The transport sits behind `HTTPTransport`, so a different client can replace it without
/// touching the fetcher's politeness or the decoders.
///
/// ## What a caller does
///
/// ```swift
/// let site = try CTGovSite.resolve(apiURL: options.apiURL)        // flag, env, default
/// let client = RegistryClient(site: site, fetcher: PoliteFetcher(userAgent: RegistryClient.userAgent(version: trialtrackVersion)))
/// var pager = client.studies(StudiesQuery(changedSince: watermark, ids: followedIds))
/// while let page = try await pager.next() { … each of page.studies … }
/// ```
public struct RegistryClient: Sendable {
    public let site: CTGovSite
    public let fetcher: PoliteFetcher

    public init(site: CTGovSite, fetcher: PoliteFetcher) {
        self.site = site
        self.fetcher = fetcher
    }

    /// `trialtrack/0.2.0 (clinical-trial event log; trialctl sync)`: names the
    /// program and its version, as the registry asks of automated clients.
    public static func userAgent(version: String) -> String {
        "trialtrack/\(version) (clinical-trial event log; trialctl sync)"
    }

    /// `GET /api/v2/version`: the API's version and when the registry's data was last refreshed.
    public func version() async throws(RegistryError) -> RegistryVersion {
        let url = site.versionURL
        return try RegistryVersion.decode(try await fetcher.get(url), url: url)
    }

    /// The pages of an incremental search, fetched one at a time as `next()` is called.
    public func studies(_ query: StudiesQuery) -> StudiesPager {
        StudiesPager(site: site, query: query, fetcher: fetcher)
    }

    /// `GET /api/int/studies/{nctId}/history`: the versions the registry lists for a study.
    public func history(of nctId: String) async throws(RegistryError) -> StudyHistory {
        let url = site.historyURL(nctId: nctId)
        return try StudyHistory.decode(try await fetcher.get(url), url: url)
    }

    /// `GET /api/int/studies/{nctId}/history/{version}`: one version of a study in full.
    public func historyVersion(of nctId: String, version: Int) async throws(RegistryError) -> HistoryVersion {
        let url = site.historyURL(nctId: nctId, version: version)
        return try HistoryVersion.decode(try await fetcher.get(url), url: url)
    }
}
