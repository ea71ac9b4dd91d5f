import TrialDomain

/// One event of the log as a feed shows it: the event, the trial's name and, when known, how
/// much the change matters.
public struct FeedEntry: Equatable, Sendable {
    /// How much a change matters, in ClinicalTrialsGov's `ChangeSeverity` words (the same raw
    /// values, so `FeedEntry.Severity(rawValue: severity.rawValue)` maps one to the other).
    public enum Severity: String, CaseIterable, Sendable {
        case minor, notable, critical
    }

    public var event: RecordedEvent
    /// What a person calls the trial: its acronym, else its key (`TrialSummary.displayName`).
    public var trialName: String
    /// How much the change matters, if a classification was made.
    public var severity: Severity?

    public init(event: RecordedEvent, trialName: String, severity: Severity? = nil) {
        self.event = event
        self.trialName = trialName
        self.severity = severity
    }

    /// `HARMONi-A: readout — PFS, primary endpoint met`: the trial, the event's type and its
    /// one line (`EventText.describe`).
    public var title: String { "\(trialName): \(event.type.rawValue) — \(EventText.describe(event.payload))" }
}

/// An Atom feed (RFC 4287) of recorded events, for feed readers (`trialctl log --atom`).
///
/// - Each event is one `entry` whose `id` is `urn:uuid:<event id>` (event ids are UUIDs, fixed
///   when recorded), so a reader that fetches the feed again recognises the entries it has;
///   an id that is not a UUID (only a fixture makes one) falls back to
///   `<feedID>#event-<seq>`, as stable.
/// - `title` is the one-line message (`FeedEntry.title`); `updated` and `published` the
///   recording time (the event never changes once recorded); `author` who recorded it.
/// - `category` elements: the severity (`critical`, `notable`, `minor`; scheme
///   `urn:trialtrack:severity`) when known, and the event type (scheme `urn:trialtrack:type`).
/// - The source becomes `<link rel="related">` only when it is an http(s) URL; it is always
///   in the text content, with the results, the occurred date, the trial and the seq.
/// - Text is XML-escaped; characters XML 1.0 forbids (most C0 controls) become U+FFFD.
public enum AtomFeed {
    public static let severityScheme = "urn:trialtrack:severity"
    public static let typeScheme = "urn:trialtrack:type"

    /// The feed document, entries in the order given (feed readers sort by `updated`; the
    /// newest first is the custom). `feedID` is the feed's permanent IRI
    /// (`urn:uuid:…`, or the feed's URL); `updated` the last time the feed changed (usually the
    /// newest event's recording time); `selfURL`, if given, where the feed is fetched from.
    public static func render(
        _ events: [FeedEntry], feedID: String, title: String, updated: Timestamp, selfURL: String?
    ) -> String {
        var x = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        x += "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
        x += "  <id>\(XMLText.content(feedID))</id>\n"
        x += "  <title type=\"text\">\(XMLText.content(title))</title>\n"
        x += "  <updated>\(updated)</updated>\n"
        if let selfURL {
            x += "  <link rel=\"self\" type=\"application/atom+xml\" href=\"\(XMLText.attribute(selfURL))\"/>\n"
        }
        // Every entry names its author; the feed's is the default RFC 4287 asks for when a feed
        // has no entries to name one.
        x += "  <author><name>trialtrack</name></author>\n"
        x += "  <generator>trialtrack</generator>\n"
        for e in events { x += entry(e, feedID: feedID) }
        x += "</feed>\n"
        return x
    }

    /// The entry's id: `urn:uuid:<event id>`.
    public static func entryID(_ e: RecordedEvent, feedID: String) -> String {
        if let uuid = NewEvent.normalisedUUID(e.id) { return "urn:uuid:\(uuid)" }
        return "\(feedID)#event-\(e.seq)"
    }

    static func entry(_ f: FeedEntry, feedID: String) -> String {
        let e = f.event
        var x = "  <entry>\n"
        x += "    <id>\(XMLText.content(entryID(e, feedID: feedID)))</id>\n"
        x += "    <title type=\"text\">\(XMLText.content(f.title))</title>\n"
        x += "    <updated>\(e.recorded)</updated>\n"
        x += "    <published>\(e.recorded)</published>\n"
        x +=
            "    <author><name>\(XMLText.content(e.recordedBy.isEmpty ? "trialtrack" : e.recordedBy))</name></author>\n"
        if let s = f.severity {
            x += "    <category scheme=\"\(severityScheme)\" term=\"\(s.rawValue)\" label=\"\(s.rawValue) change\"/>\n"
        }
        x += "    <category scheme=\"\(typeScheme)\" term=\"\(e.type.rawValue)\"/>\n"
        if let url = webURL(e.source) {
            x += "    <link rel=\"related\" href=\"\(XMLText.attribute(url))\"/>\n"
        }
        x += "    <content type=\"text\">\(XMLText.content(content(f)))</content>\n"
        x += "  </entry>\n"
        return x
    }

    /// The plain-text body: the message and any results, then one fact a line.
    static func content(_ f: FeedEntry) -> String {
        let e = f.event
        var lines = [EventText.describe(e.payload)]
        // Results in full, one a line (`PFS 7.1 vs 4.8 months, HR 0.46 (95% CI 0.34–0.62)`).
        switch e.payload {
        case .readout(let r): lines += r.results.map { "Result: " + $0.summary }
        case .interimAnalysis(let i): lines += i.results.map { "Result: " + $0.summary }
        default: break
        }
        lines.append("")
        lines.append("Trial: \(f.trialName)" + (f.trialName == e.trial ? "" : " (\(e.trial))"))
        lines.append("Occurred: \(e.occurred)")
        lines.append("Type: \(e.type.rawValue)")
        if let s = f.severity { lines.append("Severity: \(s.rawValue)") }
        lines.append("Seq: \(e.seq) (version \(e.version) of the trial)")
        lines.append("Recorded: \(e.recorded) by \(e.recordedBy)")
        if let s = e.source { lines.append("Source: \(s)") }
        return lines.joined(separator: "\n")
    }
}
