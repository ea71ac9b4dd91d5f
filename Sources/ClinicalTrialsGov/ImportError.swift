// ClinicalTrials.gov API v2 study JSON → trialtrack events (pure mapping and change detection).

/// Why a file cannot be imported: the file, the JSON path of the offending value
/// (`studies[2].protocolSection.statusModule.overallStatus`, or `$` for the whole document)
/// and the reason. Prints as one line, `FILE: PATH: REASON`.
public struct ImportError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var path: String
    public var reason: String

    public init(file: String, path: String, reason: String) {
        self.file = file
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(file): \(path): \(reason)" }
}

/// A value quoted for a one-line message: control characters become spaces, long text is cut.
func quoted(_ s: String, limit: Int = 60) -> String {
    var t = oneLine(s)
    if t.count > limit { t = String(t.prefix(limit)) + "…" }
    return "'\(t)'"
}

/// Text with every control character (newlines, tabs) turned into a space.
func oneLine(_ s: String) -> String {
    guard s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return s }
    return String(
        String.UnicodeScalarView(s.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
}

extension String {
    /// Trimmed as TrialDomain trims payload strings (white space at both ends).
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
