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

    public static func verify(_ reply: JSONObject, style: Style) -> String {
        let r = VerifyResponse(parameters: reply)
        if r.ok {
            var head = r.headHash
            if style.width != nil, head.count > 12 { head = String(head.prefix(12)) + style.glyph(.ellipsis) }
            let mark = style.symbols ? style.paint(style.glyph(.check), .green) + " " : "OK: "
            if r.checked == 0 { return mark + "0 events, nothing to check\n" }
            return mark + "\(Wording.count(r.checked, "event")), hash chain intact, head \(head) (seq \(r.lastSeq))\n"
        }
        let mark = style.symbols ? style.paint(style.glyph(.cross), .red) + " " : "FAILED: "
        let at = r.firstBroken.map { "seq \($0): " } ?? ""
        let problem = r.problem ?? "the hash chain is broken"
        return mark + style.paint(at + problem, .red)
            + " (checked \(Wording.count(r.checked, "event")), last seq \(r.lastSeq))\n"
    }

    public static func rebuilt(_ reply: JSONObject) -> String {
        let r = RebuildResponse(parameters: reply)
        return
            "Rebuilt the projections of \(Wording.count(r.trials, "trial")) from \(Wording.count(Int(r.events), "event")) in \(Format.duration(seconds: r.seconds)).\n"
    }

    public static func stats(_ r: JSONObject, style: Style) -> String {
        var rows: [(String, String)] = []
        func int(_ k: String) -> Int64 { r[k]?.int64Value ?? 0 }
        if let db = r["database"]?.stringValue { rows.append(("Database", db)) }
        rows.append(
            ("Size", Format.bytes(int("databaseBytes")) + " (write-ahead log \(Format.bytes(int("walBytes"))))"))
        if case .array(let schema)? = r["schema"], !schema.isEmpty {
            let names = schema.compactMap(\.stringValue)
            rows.append(("Schema", names.last.map { "\($0) (\(Wording.count(names.count, "migration")))" } ?? "-"))
        }
        rows.append(("Events", "\(int("events"))"))
        rows.append(("Last seq", "\(int("lastSeq"))"))
        if let lr = r["lastRecorded"]?.stringValue { rows.append(("Last recorded", Format.recorded(lr))) }
        rows.append(("Trials", "\(int("trials"))"))
        func breakdown(_ key: String, _ label: String) {
            guard case .object(let o)? = r[key], o.count > 0 else { return }
            let kw = o.keys.map(TextWidth.of).max() ?? 0
            let nw = o.map { String($0.value.int64Value ?? 0).count }.max() ?? 0
            for (i, m) in o.enumerated() {
                rows.append(
                    (
                        i == 0 ? label : "",
                        TextWidth.pad(m.key + ":", to: kw + 1) + " "
                            + TextWidth.pad(String(m.value.int64Value ?? 0), to: nw, right: true)
                    ))
            }
        }
        if int("follows") > 0 {
            var text = Wording.count(int("follows"), "follow")
            if int("followsNeverSynced") > 0 { text += ", \(int("followsNeverSynced")) never synced" }
            if let at = r["oldestFollowSuccess"]?.stringValue {
                text += "; the least fresh synced \(Format.recorded(at))"
            }
            rows.append(("Following", text))
        }
        breakdown("eventsByType", "By type")
        breakdown("expectationsByState", "Expectations")
        if case .object(let c)? = r["checkpoints"] {
            let runs = Int(c["runs"]?.int64Value ?? 0), failures = Int(c["failures"]?.int64Value ?? 0)
            var text = runs == 0 ? "none yet" : Wording.count(runs, "checkpoint")
            if failures > 0 { text += ", \(failures) failed" }
            if let at = c["lastAt"]?.stringValue {
                if let problem = c["lastFailure"]?.stringValue {
                    text += "; the last, \(Format.recorded(at)): \(problem)"
                } else {
                    text +=
                        "; the last \(Format.recorded(at)), \(c["copiedPages"]?.int64Value ?? 0) of \(c["logPages"]?.int64Value ?? 0) pages copied"
                }
            }
            rows.append(("Checkpoints", text))
        }
        rows.append(("Connections", "\(int("connections"))"))
        rows.append(("Subscribers", "\(int("subscribers"))"))
        if let up = r["uptimeSeconds"]?.doubleValue { rows.append(("Uptime", Format.timespan(seconds: up))) }
        let lw = rows.map { TextWidth.of($0.0) }.max() ?? 0
        return lines(
            rows.map { label, value in
                (label.isEmpty
                    ? String(repeating: " ", count: lw + 2) : TextWidth.pad(label + ":", to: lw + 2, right: true)) + " "
                    + value
            })
    }

    // MARK: - record, correct, retract, import

    /// `Recorded seq 43: HARMONi-6 readout 2026-06-02 (version 5)`, or for a replay
    /// `Already recorded as seq 43 (same id and content)`.
    public static func recorded(_ e: EventReply, name: String? = nil, replayed: Bool = false) -> String {
        if replayed { return "Already recorded as seq \(e.seq) (same id and content)\n" }
        var what = "\(e.type) \(e.occurred)"
        if e.type == "corrected" || e.type == "retracted", let target = e.payload["target"]?.int64Value {
            what = "\(e.type) seq \(target)"
        }
        return "Recorded seq \(e.seq): \(name ?? e.trial) \(what) (version \(e.version))\n"
    }

    /// The `Append` reply.
    public static func appended(_ r: JSONObject) throws(TrialctlError) -> String {
        let reply = try Reply.read(AppendResponse.self, r)
        let e = try EventReply(json: reply.event)
        var name: String?
        if case .object(let t)? = reply.trial {
            name = t["registration"]?["acronym"]?.stringValue ?? t["key"]?.stringValue
        }
        return recorded(e, name: name, replayed: reply.replayed == true)
    }

    /// The `AppendMany` reply: one line per event.
    public static func appendedMany(_ r: JSONObject, replayed: (EventReply) -> Bool = { _ in false })
        throws(TrialctlError) -> String
    {
        try Reply.events(Reply.read(AppendManyResponse.self, r).events).map { recorded($0, replayed: replayed($0)) }
            .joined()
    }

    /// The `Import` reply: per trial, what was recorded.
    public static func imported(_ r: JSONObject, style: Style) throws(TrialctlError) -> String {
        var out: [String] = []
        for t in try Reply.read(ImportResponse.self, r).trials {
            let (trial, events, severities) = (t.trial, t.events, t.severities)
            if events.isEmpty {
                out.append("\(trial): unchanged")
                continue
            }
            let parts = events.enumerated().map { k, e -> String in
                let type = e["type"]?.stringValue ?? "?"
                guard k < severities.count, !severities[k].isEmpty else { return type }
                let sev = severities[k]
                let color: ANSIColor? = sev == "critical" ? .red : (sev == "notable" ? .yellow : nil)
                return type + " " + style.paint(sev, color)
            }
            out.append("\(trial): \(Wording.count(events.count, "event")) (" + parts.joined(separator: ", ") + ")")
        }
        if out.isEmpty { out.append("No studies in the document.") }
        return lines(out)
    }
}
