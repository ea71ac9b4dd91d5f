import TrialDomain

/// What a listing command prints: its rows (with the header row, unless --no-legend) for
/// standard output, and a footer ("3 trials listed.", where to continue) apart, for standard
/// error: a footer in standard output would be read by `| wc -l` or `| cut` as one more row.
/// --no-legend drops the footer too.
public struct Listing: Equatable, Sendable {
    /// Lines, each ending in a newline.
    public var body: String
    /// Lines, each ending in a newline; empty for none.
    public var footer: String

    public init(body: String, footer: String = "") {
        self.body = body
        self.footer = footer
    }

    /// `3 trials listed.`, after a blank line when rows came before it (on a terminal both
    /// streams show, and the blank line parts them, as systemctl's legend is parted).
    static func count(_ n: Int, _ noun: String, after rows: Bool) -> String {
        (rows ? "\n" : "") + Wording.count(n, noun) + " listed.\n"
    }
}

extension Context {
    /// The body as `emit` writes it (through the pager when long on a terminal); the footer
    /// to standard error, unless `legend` is off.
    public func emit(_ listing: Listing, _ g: GlobalOptions, legend: Bool) {
        if !listing.body.isEmpty { emit(listing.body, g) }
        if legend, !listing.footer.isEmpty { writeErr(listing.footer) }
    }
}
