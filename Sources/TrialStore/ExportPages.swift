/// A page of an export made a call at a time (trialsd's `Export`, which sends each page once
/// the one before it has been written to the peer, and so cannot hand `export(since:to:)` a
/// callback that waits).
public struct ExportPage: Equatable, Sendable {
    /// The lines, without their newlines, byte for byte those `export(since:to:)` writes.
    public var lines: [String]
    /// The seq of the last line; the `after` given when there is none.
    public var lastSeq: Int64
}
