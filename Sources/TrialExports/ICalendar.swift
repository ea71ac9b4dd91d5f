import TrialDomain

/// One expected milestone as a calendar shows it: a forecast (`milestone-expected`) of one
/// trial, with what the calendar needs to name it and to keep its identity across refreshes.
public struct CalendarMilestone: Equatable, Sendable {
    /// The trial's stream key (stable for the trial's life; part of the event's UID).
    public var trialKey: String
    /// What a person calls the trial: its acronym, else its key (`TrialSummary.displayName`).
    public var displayName: String
    /// The trial's NCT number, if a registration gave one.
    public var nctNumber: String?
    /// What is expected (`readout:OS`), worded by `MilestoneWording` (`OS readout`).
    public var milestone: MilestoneSpec
    /// When: the window of days the forecast names (`2026-H1`).
    public var window: PartialDate
    /// Where the forecast stands: pending, met, overdue or superseded (slipped).
    public var state: ExpectationState
    /// The seq of the `milestone-expected` event: with the trial key, the event's UID.
    public var seq: Int64
    /// Where the forecast comes from, as recorded.
    public var source: String?
    /// When the forecast was made (the event's `occurred`).
    public var madeOn: PartialDate

    public init(
        trialKey: String, displayName: String, nctNumber: String? = nil, milestone: MilestoneSpec, window: PartialDate,
        state: ExpectationState, seq: Int64, source: String? = nil, madeOn: PartialDate
    ) {
        self.trialKey = trialKey
        self.displayName = displayName
        self.nctNumber = nctNumber
        self.milestone = milestone
        self.window = window
        self.state = state
        self.seq = seq
        self.source = source
        self.madeOn = madeOn
    }

    /// One of `trial`'s forecasts.
    public init(trial: TrialSummary, expectation e: Expectation) {
        self.init(
            trialKey: trial.key, displayName: trial.displayName, nctNumber: trial.nctNumber, milestone: e.milestone,
            window: e.window, state: e.state, seq: e.seq, source: e.source, madeOn: e.madeOn)
    }

    /// Every forecast of a trial, superseded ones included (a calendar then shows them
    /// cancelled rather than losing them; filter on `state` to leave them out).
    public static func all(of view: TrialView) -> [CalendarMilestone] {
        view.expectations.map { CalendarMilestone(trial: view.summary, expectation: $0) }
    }

    /// `HARMONi-3: OS readout`, with the state when it is not pending: `(overdue)`, `(met)`,
    /// `(slipped)`.
    public var summary: String {
        var s = "\(displayName): \(MilestoneWording.phrase(milestone))"
        switch state {
        case .pending: break
        case .met: s += " (met)"
        case .overdue: s += " (overdue)"
        case .superseded: s += " (slipped)"
        }
        return s
    }
}

/// An iCalendar (RFC 5545) file of expected milestones, for calendar applications to import or
/// subscribe to (`trialctl upcoming --ical`).
///
/// Each milestone is one all-day `VEVENT` spanning its window: `DTSTART;VALUE=DATE` is the
/// window's first day and `DTEND;VALUE=DATE` the day after its last (RFC 5545 §3.6.1: the end
/// is exclusive), so `2026-H1` runs 20260101 to 20260701, `2026` a whole year, `2026-06-02`
/// one day.
///
/// - **UID** `expectation-<seq>-<trial key>@trialtrack`: the same forecast has the same UID in
///   every export, so a calendar that refreshes its subscription updates the event instead of
///   adding a second one; a new forecast (a slip is recorded as one) is a new event.
/// - **STATUS**: a pending or overdue forecast is `TENTATIVE` (expected, not certain; an
///   overdue one is still awaited, so it is not cancelled: its SUMMARY says `(overdue)`); a met
///   one `CONFIRMED` (it happened); a superseded one `CANCELLED` (that window no longer
///   stands: a later forecast, its own event, replaced it — calendars strike it through).
/// - **SEQUENCE** follows the state, which only ever moves forward (pending 0 → overdue 1 →
///   met or superseded 2), so a client sees each change as a revision of the event without
///   trialtrack keeping a counter.
/// - **TRANSP:TRANSPARENT**: a milestone does not make anyone busy.
/// - Lines end in CRLF and are folded at 75 octets, never inside a UTF-8 character; text
///   values escape `\`, `;`, `,` and line breaks, and drop other control characters.
public enum ICalendar {
    /// The whole `VCALENDAR`, events in the order given. `now` is the DTSTAMP of every event
    /// (when this export was made); `calendarName` is shown by clients as the calendar's name
    /// (`X-WR-CALNAME`, RFC 7986's `NAME`). With no milestones the calendar has no component,
    /// which RFC 5545's grammar does not allow but clients read as an empty calendar (Python's
    /// icalendar does): better than an invented placeholder event in someone's calendar.
    public static func render(_ milestones: [CalendarMilestone], now: Timestamp, calendarName: String) -> String {
        var w = Writer()
        w.line("BEGIN:VCALENDAR")
        w.line("VERSION:2.0")
        w.line("PRODID:-//trialtrack//TrialExports//EN")
        w.line("CALSCALE:GREGORIAN")
        w.line("METHOD:PUBLISH")
        w.line("NAME:" + escapeText(calendarName))
        w.line("X-WR-CALNAME:" + escapeText(calendarName))
        // How often a subscribed client should fetch again (RFC 7986, and Outlook's older
        // name): forecasts change in days, not minutes.
        w.line("REFRESH-INTERVAL;VALUE=DURATION:PT12H")
        w.line("X-PUBLISHED-TTL:PT12H")
        let stamp = dateTime(now)
        for m in milestones {
            w.line("BEGIN:VEVENT")
            w.line("UID:" + escapeText(uid(m)))
            w.line("DTSTAMP:" + stamp)
            w.line("DTSTART;VALUE=DATE:" + date(m.window.start))
            w.line("DTEND;VALUE=DATE:" + date(m.window.end.adding(days: 1)))
            w.line("SUMMARY:" + escapeText(m.summary))
            w.line("DESCRIPTION:" + escapeText(description(m)))
            w.line("STATUS:" + status(m.state))
            w.line("SEQUENCE:\(sequence(m.state))")
            w.line("TRANSP:TRANSPARENT")
            w.line("CATEGORIES:" + escapeText(m.milestone.type.rawValue))
            if let url = webURL(m.source) { w.line("URL:" + url) }
            w.line("END:VEVENT")
        }
        w.line("END:VCALENDAR")
        return w.text
    }

    /// `expectation-123-HARMONi-3@trialtrack`: the seq (unique in the log) and the trial key,
    /// its bytes outside `A-Z a-z 0-9 - .` percent-encoded so the UID stays one plain token.
    public static func uid(_ m: CalendarMilestone) -> String {
        var key = ""
        for b in m.trialKey.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."):
                key.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                key.unicodeScalars.append("%")
                key.unicodeScalars.append(hex[Int(b >> 4)])
                key.unicodeScalars.append(hex[Int(b & 15)])
            }
        }
        return "expectation-\(m.seq)-\(key)@trialtrack"
    }

    static func status(_ s: ExpectationState) -> String {
        switch s {
        case .pending, .overdue: "TENTATIVE"
        case .met: "CONFIRMED"
        case .superseded: "CANCELLED"
        }
    }

    static func sequence(_ s: ExpectationState) -> Int {
        switch s {
        case .pending: 0
        case .overdue: 1
        case .met, .superseded: 2
        }
    }

    static func description(_ m: CalendarMilestone) -> String {
        var lines: [String] = []
        lines.append("Trial: " + m.displayName + (m.displayName == m.trialKey ? "" : " (\(m.trialKey))"))
        if let nct = m.nctNumber { lines.append("NCT number: \(nct) (https://clinicaltrials.gov/study/\(nct))") }
        lines.append(
            "Expected: \(MilestoneWording.phrase(m.milestone)) (\(m.milestone)) in \(m.window.humanDescription) (\(m.window))"
        )
        let state: String
        switch m.state {
        case .pending: state = "pending"
        case .met: state = "met"
        case .overdue: state = "overdue: the window passed without it"
        case .superseded: state = "slipped: a later forecast replaced this one"
        }
        lines.append("State: " + state)
        lines.append("Forecast made: \(m.madeOn) (seq \(m.seq))")
        if let s = m.source { lines.append("Source: " + s) }
        return lines.joined(separator: "\n")
    }

    /// `20260101`.
    static func date(_ d: Day) -> String {
        let (y, m, dd) = d.components
        return pad(y, 4) + pad(m, 2) + pad(dd, 2)
    }

    /// `20261121T193724Z` (UTC; iCalendar has no fractions of a second).
    static func dateTime(_ t: Timestamp) -> String {
        let dayMicros: Int64 = 86_400_000_000
        let rem = (t.microseconds % dayMicros + dayMicros) % dayMicros
        let secs = Int(rem / 1_000_000)
        return date(t.day) + "T" + pad(secs / 3600, 2) + pad(secs / 60 % 60, 2) + pad(secs % 60, 2) + "Z"
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// A TEXT value (RFC 5545 §3.3.11): `\` `;` `,` escaped, a line break (LF, CRLF or CR) as
    /// `\n`, other control characters dropped (TEXT allows none but tab).
    public static func escapeText(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var lastWasCR = false
        for u in s.unicodeScalars {
            defer { lastWasCR = u == "\r" }
            switch u {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case ";": out.append(contentsOf: "\\;".unicodeScalars)
            case ",": out.append(contentsOf: "\\,".unicodeScalars)
            case "\r": out.append(contentsOf: "\\n".unicodeScalars)
            case "\n": if !lastWasCR { out.append(contentsOf: "\\n".unicodeScalars) }
            case "\t": out.append(u)
            default:
                if u.value < 0x20 || u.value == 0x7F || (0x80...0x9F).contains(u.value) { continue }
                out.append(u)
            }
        }
        return String(out)
    }

    /// A content line folded (RFC 5545 §3.1): at most 75 octets a line, CRLF and a space before
    /// each continuation, cut only between UTF-8 characters. Lines end in CRLF.
    public static func fold(_ line: String) -> String {
        let bytes = Array(line.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 37 + 2)
        var i = 0
        var limit = 75  // the first line; continuations carry a leading space, so 74 more
        while bytes.count - i > limit {
            var cut = i + limit
            while cut > i, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }  // back to a character's first byte
            out.append(contentsOf: bytes[i..<cut])
            out.append(contentsOf: [13, 10, 32])
            i = cut
            limit = 74
        }
        out.append(contentsOf: bytes[i...])
        out.append(contentsOf: [13, 10])
        return String(decoding: out, as: UTF8.self)
    }

    private struct Writer {
        var text = ""
        mutating func line(_ l: String) { text += ICalendar.fold(l) }
    }
}
