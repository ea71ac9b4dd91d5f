import TrialDomain

/// The pages of one search, fetched as they are asked for: the first with the query's
/// parameters and `countTotal=true`, each later one with the same parameters plus the previous
/// page's `nextPageToken`, until a page comes without a token (an empty page, or a token after
/// a full last page, are handled as any other). A caller imports each page before asking for
/// the next, so a failure part-way loses nothing already completed.
public struct StudiesPager: Sendable {
    public let site: CTGovSite
    public let query: StudiesQuery
    let fetcher: PoliteFetcher
    private var token: String?
    private var done = false
    private var seenTokens: Set<String> = []
    /// The first page's `totalCount`, once it has come.
    public private(set) var totalCount: Int?
    /// Pages fetched so far.
    public private(set) var pagesFetched = 0

    init(site: CTGovSite, query: StudiesQuery, fetcher: PoliteFetcher) {
        self.site = site
        self.query = query
        self.fetcher = fetcher
    }

    /// The next page, or nil after the last.
    public mutating func next() async throws(RegistryError) -> StudiesPage? {
        guard !done else { return nil }
        let url = query.url(site: site, pageToken: token)
        let page = try StudiesPage.decode(try await fetcher.get(url), url: url)
        if pagesFetched == 0 { totalCount = page.totalCount }
        pagesFetched += 1
        if let next = page.nextPageToken {
            // A server that hands back a token it gave before would page for ever.
            guard seenTokens.insert(next).inserted else {
                done = true
                throw AnswerShape(url: url).unexpected(
                    "nextPageToken \"\(next)\" was already given for an earlier page")
            }
            token = next
        } else {
            done = true
        }
        return page
    }

    /// Every study of every page, in order (for small searches and tests; `sync` pages itself).
    public mutating func all() async throws(RegistryError) -> [JSONValue] {
        var studies: [JSONValue] = []
        while let page = try await next() { studies += page.studies }
        return studies
    }
}
