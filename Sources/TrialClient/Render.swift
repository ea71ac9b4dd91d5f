import TrialDomain
import TrialProtocol

/// Pure renderers: reply parameters in, text out (each line ending in a newline), given a
/// style. Nothing here does I/O, so tests check the output exactly.
public enum Render {
    // MARK: - Shared pieces

    /// The colour of a status: green while it runs, grey before it starts, yellow when paused or
    /// unknown, red when stopped early, plain when completed.
    public static func color(of status: TrialStatus?) -> ANSIColor? {
        switch status {
        case .recruiting?, .activeNotRecruiting?, .enrollingByInvitation?, .available?, .approvedForMarketing?: .green
        case .notYetRecruiting?: .grey
        case .suspended?, .unknown?, .temporarilyNotAvailable?: .yellow
        case .terminated?, .withdrawn?, .noLongerAvailable?, .withheld?: .red
        case .completed?, nil: nil
        }
    }

    /// `recruiting since 2024-03`, `unknown since 2025 (last known: recruiting)`; `paint` is
    /// applied to the status word alone.
    static func statusText(_ s: TrialSummary, withWhy: Bool, paint: (String) -> String = { $0 }) -> String? {
        guard let status = s.status else { return nil }
        var t = paint(status.rawValue)
        if let since = s.statusSince { t += " since \(since)" }
        var notes: [String] = []
        if let l = s.lastKnownStatus { notes.append("last known: \(l.rawValue)") }
        if withWhy, let w = s.whyStopped { notes.append(w) }
        if !notes.isEmpty { t += " (" + notes.joined(separator: "; ") + ")" }
        return t
    }

    /// `as of 2025-06-01 (world time), as known at … (recording time)`, or nil for neither.
    static func pointInTime(asOf: String?, knownAt: String?) -> String? {
        var when: [String] = []
        if let asOf { when.append("as of \(asOf) (world time)") }
        if let knownAt { when.append("as known at \(knownAt) (recording time)") }
        return when.isEmpty ? nil : when.joined(separator: ", ")
    }

    /// The colour of an expectation's state: red when overdue, green when met, grey when
    /// superseded, none when pending.
    static func color(ofExpectation state: ExpectationState) -> ANSIColor? {
        switch state {
        case .overdue: .red
        case .met: .green
        case .superseded: .grey
        case .pending: nil
        }
    }

    /// `overdue`, with a warning sign on a terminal.
    static func overdueText(_ style: Style) -> String { "overdue" + (style.symbols ? " " + style.glyph(.warning) : "") }

    static func registryName(_ r: Registry) -> String {
        switch r {
        case .nct: "ClinicalTrials.gov"
        case .ctis: "EU CT"
        case .eudract: "EudraCT"
        case .sponsor: "sponsor"
        case .other: "other"
        }
    }

    static func lines(_ ls: [String]) -> String { ls.map { $0 + "\n" }.joined() }

    /// A line cut to the style's width (unchanged off a terminal).
    static func fit(_ line: String, _ style: Style) -> String {
        guard let w = style.width else { return line }
        return TextWidth.truncate(line, to: w, ellipsis: style.glyph(.ellipsis))
    }

    // MARK: - status (all trials)

    /// The table of every trial, like `systemctl list-units`.
    /// The title line and the header row come with `legend`; the footer apart (see Listing).
    public static func statusTable(
        _ trials: [TrialReply], style: Style, asOf: String? = nil, knownAt: String? = nil, legend: Bool = true
    ) -> Listing {
        var out: [String] = []
        if legend, let when = pointInTime(asOf: asOf, knownAt: knownAt) { out.append("Trials " + when + ":") }

        var columns = [
            Table.Column("TRIAL", minWidth: 8), Table.Column("ID", minWidth: 11), Table.Column("PHASE"),
            Table.Column("STATUS", shrinkPriority: 2, minWidth: 12),
            Table.Column("LAST MILESTONE", shrinkPriority: 1, minWidth: 16),
            Table.Column("NEXT", shrinkPriority: 1, minWidth: 12),
        ]
        if style.symbols { columns.insert(Table.Column("", minWidth: 1), at: 0) }
        var table = Table(columns, showHeader: legend)
        let sorted = trials.sorted { a, b in
            let (x, y) = (a.name.lowercased(), b.name.lowercased())
            return x == y ? a.summary.key < b.summary.key : x < y
        }
        for t in sorted {
            let s = t.summary
            let color = color(of: s.status)
            var row: [Table.Cell] = []
            if style.symbols { row.append(Table.Cell(style.glyph(s.status == nil ? .hollowBullet : .bullet), color)) }
            row.append(Table.Cell(t.name))
            row.append(Table.Cell(t.primaryID))
            let phase = Phase.display(s.phases)
            row.append(Table.Cell(phase.isEmpty ? "-" : phase))
            row.append(Table.Cell(statusText(s, withWhy: false) ?? "-", color))
            if let m = s.lastMilestone {
                row.append(Table.Cell("\(m.type.rawValue) \(m.occurred) \(m.text)"))
            } else {
                row.append(Table.Cell("-"))
            }
            if let n = s.nextExpected {
                let overdue = n.state == .overdue
                // On a terminal the mark comes first, so that truncation cannot hide it.
                let mark = overdue && style.symbols ? style.glyph(.warning) + " " : ""
                let words = MilestoneWords.expected(n.milestone, window: n.window.description)
                row.append(
                    Table.Cell(mark + words + (overdue ? " (overdue)" : ""), Render.color(ofExpectation: n.state)))
            } else {
                row.append(Table.Cell("-"))
            }
            table.add(row)
        }
        if !trials.isEmpty { out += table.render(style) }
        return Listing(body: lines(out), footer: Listing.count(trials.count, "trial", after: !out.isEmpty))
    }

    // MARK: - status TRIAL

    /// One trial, like `systemctl status`: a headline, labelled fields, the timeline and the
    /// expected milestones.
    public static func statusDetail(_ t: TrialReply, style: Style, asOf: String? = nil, knownAt: String? = nil)
        -> String
    {
        let s = t.summary
        let reg = s.registration
        var out: [String] = []
        let color = color(of: s.status)
        let bullet = style.paint(style.glyph(s.status == nil ? .hollowBullet : .bullet), color)
        out.append(fit("\(bullet) \(t.name)" + (reg.map { " - \($0.title)" } ?? ""), style))

        var fields: [(label: String, value: String, continuation: [String])] = []
        func field(_ label: String, _ value: String, continuation: [String] = []) {
            fields.append((label, value, continuation))
        }
        if let when = pointInTime(asOf: asOf, knownAt: knownAt) { field("Showing", when) }
        field("Key", s.key)
        if let ids = reg?.identifiers, !ids.isEmpty {
            field("Identifiers", ids.map { "\($0.id) (\(registryName($0.registry)))" }.joined(separator: ", "))
        }
        if let r = reg {
            if let sp = r.sponsor {
                field(
                    "Sponsor",
                    sp + (r.collaborators.isEmpty ? "" : " (with " + r.collaborators.joined(separator: ", ") + ")"))
            } else if !r.collaborators.isEmpty {
                field("Collaborators", r.collaborators.joined(separator: ", "))
            }
            if !r.conditions.isEmpty { field("Conditions", r.conditions.joined(separator: ", ")) }
            let phase = Phase.display(r.phases)
            if !phase.isEmpty { field("Phase", phase) }
            let arms = r.arms.map { a -> String in
                var x = a.label
                if let ty = a.type { x += " (\(ty.rawValue))" }
                if !a.interventions.isEmpty { x += ": " + a.interventions.joined(separator: ", ") }
                return x
            }
            if let first = arms.first { field("Arms", first, continuation: Array(arms.dropFirst())) }
            if !r.primaryEndpoints.isEmpty {
                field("Endpoints", r.primaryEndpoints.joined(separator: ", ") + " (primary)")
            }
        }
        field("Status", statusText(s, withWhy: true) { style.paint($0, color) } ?? "none recorded")
        if let e = s.enrollment { field("Enrollment", "\(e.count) (\(e.type.rawValue))") }
        var dates: [String] = []
        func date(_ name: String, _ d: StudyDate?) {
            guard let d else { return }
            dates.append("\(name) \(d.date)" + (d.type.map { " (\($0.rawValue))" } ?? ""))
        }
        date("start", s.dates.start)
        date("primary completion", s.dates.primaryCompletion)
        date("completion", s.dates.completion)
        if !dates.isEmpty { field("Dates", dates.joined(separator: ", ")) }
        field("Version", "\(s.version) (last seq \(s.lastSeq))")
        // Labels right-aligned like systemctl status, one column in from the longest.
        let labelWidth = (fields.map { TextWidth.of($0.label) }.max() ?? 0) + 2
        for f in fields {
            out.append(fit(TextWidth.pad(f.label + ":", to: labelWidth, right: true) + " " + f.value, style))
            for c in f.continuation { out.append(fit(String(repeating: " ", count: labelWidth + 1) + c, style)) }
        }

        if let timeline = t.timeline, !(timeline.isEmpty && t.retracted.isEmpty) {
            out.append("")
            out.append(style.paint("Timeline:", .bold))
            out += timelineLines(timeline, retracted: t.retracted, style: style)
        }
        if let xs = t.expectations, !xs.isEmpty {
            out.append("")
            out.append(style.paint("Expected:", .bold))
            out += expectationLines(xs, style: style)
        }
        return lines(out)
    }

    /// The timeline in world order, with the retracted milestones in their places, struck
    /// through (on a terminal) and marked `[retracted by seq N: reason]`.
    static func timelineLines(_ current: [TimelineEntry], retracted: [RetractedEntry] = [], style: Style) -> [String] {
        let withdrawn = Dictionary(retracted.map { ($0.entry.seq, $0) }, uniquingKeysWith: { a, _ in a })
        var entries = current
        if !retracted.isEmpty {
            // As the fold orders facts: by when they happened, then by seq.
            entries += retracted.map(\.entry)
            entries.sort { a, b in
                if a.occurred == b.occurred { return a.seq < b.seq }
                if a.occurred < b.occurred { return true }
                if b.occurred < a.occurred { return false }
                return a.seq < b.seq
            }
        }
        let dw = entries.map { $0.occurred.description.count }.max() ?? 0
        let tw = entries.map { $0.type.rawValue.count }.max() ?? 0
        let indent = 2 + dw + 1 + tw + 1
        var out: [String] = []
        let ellipsis = style.glyph(.ellipsis)
        for e in entries {
            let head =
                "  " + TextWidth.pad(e.occurred.description, to: dw) + " " + TextWidth.pad(e.type.rawValue, to: tw)
                + " "
            let retraction = withdrawn[e.seq]
            let suffix =
                retraction.map { " [retracted by seq \($0.by): \($0.reason)]" } ?? e.correctedBy.map {
                    " [corrected by seq \($0)]"
                } ?? ""
            var text = e.text
            if let w = style.width {
                text = TextWidth.truncate(text, to: max(8, w - indent - suffix.count), ellipsis: ellipsis)
            }
            out.append(
                head + style.paint(text, retraction != nil ? .struck : textColor(e.payload))
                    + style.paint(suffix, .grey))
            for line in resultLines(e.payload) where retraction == nil {
                var line = line
                if let w = style.width { line = TextWidth.truncate(line, to: max(8, w - indent), ellipsis: ellipsis) }
                out.append(String(repeating: " ", count: indent) + line)
            }
        }
        return out
    }

    /// One line per result. Of results that say their outcome type (a registry's posted
    /// results, dozens of them), only the primary ones, then one line counting the rest.
    static func resultLines(_ p: Payload) -> [String] {
        let all = results(p)
        guard all.contains(where: { $0.outcomeType != nil }) else { return all.map(\.summary) }
        let primary = all.filter { $0.outcomeType == .primary }
        var lines = primary.map(\.summary)
        let rest = all.count - primary.count
        if rest > 0 {
            lines.append("and \(rest) other outcome measure\(rest == 1 ? "" : "s") (status --json lists them)")
        }
        return lines
    }

    static func results(_ p: Payload) -> [EndpointResult] {
        switch p {
        case .interimAnalysis(let i): i.results
        case .readout(let r): r.results
        default: []
        }
    }

    /// Red for what calls for attention, bold for results, nothing for the rest.
    static func textColor(_ p: Payload) -> ANSIColor? {
        switch p {
        case .statusChanged(let s): s.status.isAlarming ? .red : nil
        case .interimAnalysis(let i): i.outcome.isAlarming ? .red : .bold
        case .readout(let r): r.outcome == .negative ? .red : .bold
        case .regulatoryDecision(let d): d.decision == .approved ? .green : .red
        default: nil
        }
    }

    static func expectationLines(_ xs: [Expectation], style: Style) -> [String] {
        let mw = xs.map { TextWidth.of($0.milestone.description) }.max() ?? 0
        let windows = xs.map { Format.window($0.window.description) }
        let ww = windows.map(TextWidth.of).max() ?? 0
        var out: [String] = []
        for (x, window) in zip(xs, windows) {
            let state: String =
                switch x.state {
                case .pending: "pending"
                case .overdue: overdueText(style)
                case .met:
                    "met by seq \(x.resolvedBy.map(String.init) ?? "?")" + (x.overdueSeq != nil ? " (late)" : "")
                        + (style.symbols ? " " + style.glyph(.check) : "")
                case .superseded: "superseded by seq \(x.resolvedBy.map(String.init) ?? "?")"
                }
            out.append(
                "  " + TextWidth.pad(x.milestone.description, to: mw) + " " + TextWidth.pad(window, to: ww) + " "
                    + style.paint(state, color(ofExpectation: x.state)))
        }
        return out
    }

    // MARK: - log and watch

    /// Column widths of log lines.
    public struct LogWidths: Equatable, Sendable {
        public var seq: Int
        public var trial: Int
        public var type: Int
        public var occurred: Int

        public init(seq: Int, trial: Int, type: Int, occurred: Int) {
            self.seq = seq
            self.trial = trial
            self.type = type
            self.occurred = occurred
        }

        /// What `watch` uses, not knowing the events to come.
        public static let streaming = LogWidths(seq: 5, trial: 11, type: 18, occurred: 10)

        /// Wide enough for every one of `events`.
        public init(fitting events: [EventReply]) {
            seq = events.map { String($0.seq).count }.max() ?? 1
            trial = events.map { TextWidth.of($0.trial) }.max() ?? 0
            type = events.map { $0.type.count }.max() ?? 0
            occurred = events.map { $0.occurred.count }.max() ?? 0
        }
    }

    /// `  42 2026-06-02T10:00:00Z HARMONi-6 readout 2026-06-02 OS, primary endpoint met (ASCO 2026) (by alice)`
    public static func logLine(_ e: EventReply, widths: LogWidths, style: Style) -> String {
        let head =
            TextWidth.pad(String(e.seq), to: widths.seq, right: true) + " " + Format.recorded(e.recorded) + " "
            + TextWidth.pad(e.trial, to: widths.trial) + " " + TextWidth.pad(e.type, to: widths.type) + " "
            + TextWidth.pad(e.occurred, to: widths.occurred) + " "
        var by = e.recordedBy.isEmpty ? "" : " (by \(e.recordedBy))"
        let typed = e.typedPayload  // validated once, for the text and its colour
        var text = e.text(typed)
        if let w = style.width {
            // On a narrow terminal, what happened matters more than who recorded it.
            if w - TextWidth.of(head) - TextWidth.of(by) < min(24, TextWidth.of(text)) { by = "" }
            let room = w - TextWidth.of(head) - TextWidth.of(by)
            text = TextWidth.truncate(text, to: max(8, room), ellipsis: style.glyph(.ellipsis))
        }
        let color: ANSIColor?
        switch typed {
        case .milestoneOverdue?: color = .yellow
        case .corrected?, .retracted?: color = nil
        case let p?: color = textColor(p)
        case nil: color = nil
        }
        return style.paint(head, nil) + style.paint(text, color) + style.paint(by, .grey)
    }

    /// `log`'s events: aligned lines, in the order given; the footer says when there were
    /// none, or, when only the newest were shown (`-n`), how to see the ones before them
    /// (`--until` the first one's recording time: everything recorded before it).
    public static func log(_ events: [EventReply], earlierUntil: String? = nil, style: Style) -> Listing {
        if events.isEmpty { return Listing(body: "", footer: "-- No events --\n") }
        let widths = LogWidths(fitting: events)
        let body = lines(events.map { logLine($0, widths: widths, style: style) })
        guard let earlierUntil else { return Listing(body: body) }
        let hint =
            "-- \(Wording.count(events.count, "event")) shown, the newest; earlier ones: --until \(earlierUntil) --"
        return Listing(body: body, footer: style.paint(hint, .grey) + "\n")
    }

    // MARK: - upcoming

    public static func upcoming(_ items: [UpcomingReply], style: Style, legend: Bool = true) -> Listing {
        var table = Table(
            [
                Table.Column("WINDOW"), Table.Column("TRIAL"),
                Table.Column("MILESTONE", shrinkPriority: 2, minWidth: 14),
                Table.Column("STATE"), Table.Column("MADE ON"), Table.Column("SOURCE", shrinkPriority: 1, minWidth: 10),
            ], showHeader: legend)
        for u in items {
            table.add([
                Table.Cell(u.window), Table.Cell(u.name), Table.Cell(u.milestone),
                Table.Cell(u.state == .overdue ? overdueText(style) : u.state.rawValue, color(ofExpectation: u.state)),
                Table.Cell(u.madeOn.isEmpty ? "-" : u.madeOn), Table.Cell(u.source ?? "-"),
            ])
        }
        let out = items.isEmpty ? [] : table.render(style)
        return Listing(body: lines(out), footer: Listing.count(items.count, "milestone", after: !out.isEmpty))
    }

    // MARK: - verify, rebuild, stats

}
