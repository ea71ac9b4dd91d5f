import TrialDomain

/// The incremental search of `/api/v2/studies`, as issue 28 specifies it:
///
/// - `filter.advanced=AREA[LastUpdatePostDate]RANGE[<date>,MAX]`, the date being the watermark
///   (the last successful sync) minus a day's overlap;
/// - `filter.ids=NCT…,NCT…` for followed trials;
/// - `query.term=…` for a followed query;
/// - `pageSize=1000`; `countTotal=true` on the first page only;
/// - `pageToken=…` on each later page, after the first page's parameters unchanged.
public struct StudiesQuery: Equatable, Sendable {
    /// The last successful sync's watermark; nil for a first sync (everything that matches).
    public var changedSince: Day?
    /// Followed trials' NCT ids (empty: no id filter).
    public var ids: [String]
    /// A followed ClinicalTrials.gov search expression (nil: none).
    public var term: String?
    public var pageSize: Int
    /// Days subtracted from the watermark, so that a record posted late on the watermark's day
    /// (or in another time zone) is not missed. Importing a record twice writes nothing.
    public var overlapDays: Int

    public init(
        changedSince: Day? = nil, ids: [String] = [], term: String? = nil, pageSize: Int = 1000, overlapDays: Int = 1
    ) {
        self.changedSince = changedSince
        self.ids = ids
        self.term = term
        self.pageSize = pageSize
        self.overlapDays = overlapDays
    }

    /// The date in the `RANGE[…,MAX]` filter: the watermark minus the overlap.
    public var rangeStart: Day? { changedSince?.adding(days: -overlapDays) }

    /// The first page's parameters, in order; a later page's are these (without `countTotal`)
    /// followed by `pageToken`.
    public func parameters(pageToken: String? = nil) -> [(String, String)] {
        var items: [(String, String)] = []
        if let start = rangeStart {
            items.append(("filter.advanced", "AREA[LastUpdatePostDate]RANGE[\(start),MAX]"))
        }
        if !ids.isEmpty { items.append(("filter.ids", ids.joined(separator: ","))) }
        if let term, !term.isEmpty { items.append(("query.term", term)) }
        items.append(("pageSize", String(pageSize)))
        if let pageToken {
            items.append(("pageToken", pageToken))
        } else {
            items.append(("countTotal", "true"))
        }
        return items
    }

    /// The page's full URL under a site: the first page without a token, later pages with one.
    public func url(site: CTGovSite, pageToken: String? = nil) -> String {
        site.studiesURL + "?" + PercentEncoding.query(parameters(pageToken: pageToken))
    }
}
