import TrialDomain

/// A picture of trials over world time, as a self-contained SVG document
/// (`trialctl timeline … -o x.svg`).
///
/// One row per trial, labelled with its acronym (else its key) and NCT number, in the order
/// given, each row the same height (the picture grows with the trials: 3 read at a glance, 50
/// still read row by row). In each row:
/// - **status periods** as coloured bands, from each `status-changed` entry of the timeline to
///   the next, the last to today; the colours are Okabe and Ito's palette, told apart with
///   colour blindness, and each band carries its status as text where it fits and as a tooltip;
/// - **milestones** as dark markers, a shape per kind (readout ◆, interim analysis ◇,
///   presentation ○, publication ●, registration □, regulatory △/▲), with a short label
///   (`OS HR 0.78`, `IA PFS HR 0.51`, `ASCO 2026`); a date known only to its month, quarter,
///   half or year is drawn at the middle of its window with a whisker across it;
/// - **forecasts** as hollow windows spanning their partial date: dashed while pending, solid
///   once met; overdue and slipped (superseded by a later forecast) ones struck through.
///
/// A year axis with ticks above (and below, past eight rows), light year and quarter grid
/// lines, a dashed line at today, and a legend of what is drawn. Every element has a `<title>`
/// (a tooltip in browsers) with the whole text; labels that would collide are left to it.
/// No external fonts, images, scripts or links: generic `sans-serif`, and inline attributes.
public enum TimelineSVG {
    /// Fixed measures, in SVG user units (pixels at 100%).
    public enum Layout {
        public static let margin = 16.0
        public static let labelWidth = 196.0
        public static let headerHeight = 46.0
        public static let axisHeight = 24.0
        public static let rowHeight = 64.0
    }

    /// The document for `trials` (one row each, in this order) as of `today`.
    public static func render(_ trials: [TrialView], today: Day) -> String {
        var r = Renderer(trials: trials, today: today)
        return r.document()
    }

}

/// One drawing: measures the range, then writes the parts in order.
private struct Renderer {
    typealias L = TimelineSVG.Layout
    let trials: [TrialView]
    let today: Day
    let firstYear: Int
    let lastYear: Int
    let rangeStart: Day
    let rangeEnd: Day  // exclusive: 1 January after the last year
    let yearWidth: Double
    let plotLeft: Double
    let plotWidth: Double
    let width: Double
    let rowsTop: Double
    let rowsBottom: Double
    var out = ""

    init(trials: [TrialView], today: Day) {
        self.trials = trials
        self.today = today
        var lo = today.components.year, hi = lo
        for t in trials {
            for e in t.timeline {
                lo = min(lo, e.occurred.start.components.year)
                hi = max(hi, e.occurred.end.components.year)
            }
            for x in t.expectations {
                lo = min(lo, x.window.start.components.year)
                hi = max(hi, x.window.end.components.year)
            }
            if let s = t.summary.statusSince { lo = min(lo, s.start.components.year) }
        }
        firstYear = lo
        lastYear = hi
        rangeStart = Day(year: lo, month: 1, day: 1)!
        rangeEnd = Day(year: hi + 1, month: 1, day: 1)!
        let years = Double(hi - lo + 1)
        yearWidth = min(180, max(60, 1200 / years))
        plotLeft = L.margin + L.labelWidth
        plotWidth = years * yearWidth
        width = plotLeft + plotWidth + L.margin + 8
        rowsTop = L.headerHeight + L.axisHeight
        rowsBottom = rowsTop + Double(trials.count) * L.rowHeight
    }

    /// The x of a day's start.
    func x(_ d: Day) -> Double {
        plotLeft + Double(d.daysSinceEpoch - rangeStart.daysSinceEpoch)
            / Double(rangeEnd.daysSinceEpoch - rangeStart.daysSinceEpoch) * plotWidth
    }

    var plotRight: Double { plotLeft + plotWidth }

    mutating func document() -> String {
        let bottomAxis = trials.count > 8
        let legendTop = rowsBottom + (bottomAxis ? L.axisHeight : 0) + 28
        let legend = legendItems()
        let legendLines = layoutLegend(legend, top: legendTop)
        let height = legendTop + Double(legendLines) * 20 + L.margin
        out.reserveCapacity(4096 + trials.count * 3000)
        out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out +=
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-labelledby=\"title\">\n"
        out +=
            "<title id=\"title\">Trial timeline, \(trials.count) \(trials.count == 1 ? "trial" : "trials"), as of \(today)</title>\n"
        out +=
            "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#FFFFFF\"/>\n"
        header()
        grid()
        axis(baseline: L.headerHeight + 15, tickTop: L.headerHeight + 19, tickBottom: rowsTop, position: "top")
        for (i, t) in trials.enumerated() { row(t, index: i) }
        if bottomAxis {
            axis(baseline: rowsBottom + 20, tickTop: rowsBottom, tickBottom: rowsBottom + 5, position: "bottom")
        }
        todayLine(labelY: rowsBottom + (bottomAxis ? L.axisHeight : 0) + 14)
        drawLegend(legend, top: legendTop)
        out += "</svg>\n"
        return out
    }

    mutating func header() {
        out +=
            "<text class=\"heading\" x=\"\(n(L.margin))\" y=\"22\" font-size=\"16\" font-weight=\"bold\" fill=\"#000000\">Trial timeline</text>\n"
        let sub =
            "\(trials.count) \(trials.count == 1 ? "trial" : "trials") · as of \(today) · status bands, milestones, forecasts (hollow)"
        out +=
            "<text class=\"subheading\" x=\"\(n(L.margin))\" y=\"38\" fill=\"#444444\">\(XMLText.content(sub))</text>\n"
    }

    mutating func grid() {
        out += "<g class=\"grid\">\n"
        for (i, _) in trials.enumerated() where i % 2 == 1 {
            let y = rowsTop + Double(i) * L.rowHeight
            out += "<rect x=\"0\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(L.rowHeight))\" fill=\"#F3F3F3\"/>\n"
        }
        for year in firstYear...lastYear {
            for q in 0..<4 where q > 0 && yearWidth >= 100 {
                let xq = x(Day(year: year, month: q * 3 + 1, day: 1)!)
                out +=
                    "<line x1=\"\(n(xq))\" y1=\"\(n(rowsTop))\" x2=\"\(n(xq))\" y2=\"\(n(rowsBottom))\" stroke=\"#E4E4E4\" stroke-width=\"1\"/>\n"
            }
        }
        for year in firstYear...(lastYear + 1) {
            let xy = x(Day(year: year, month: 1, day: 1)!)
            out +=
                "<line x1=\"\(n(xy))\" y1=\"\(n(rowsTop))\" x2=\"\(n(xy))\" y2=\"\(n(rowsBottom))\" stroke=\"#BBBBBB\" stroke-width=\"1\"/>\n"
        }
        out +=
            "<line x1=\"0\" y1=\"\(n(rowsBottom))\" x2=\"\(n(width))\" y2=\"\(n(rowsBottom))\" stroke=\"#BBBBBB\" stroke-width=\"1\"/>\n"
        out += "</g>\n"
    }

    mutating func axis(baseline: Double, tickTop: Double, tickBottom: Double, position: String) {
        out += "<g class=\"axis\" data-position=\"\(position)\">\n"
        out +=
            "<line x1=\"\(n(plotLeft))\" y1=\"\(n(position == "top" ? tickBottom : tickTop))\" x2=\"\(n(plotRight))\" y2=\"\(n(position == "top" ? tickBottom : tickTop))\" stroke=\"#000000\" stroke-width=\"1\"/>\n"
        for year in firstYear...(lastYear + 1) {
            let xy = x(Day(year: year, month: 1, day: 1)!)
            out +=
                "<line class=\"year-tick\" data-year=\"\(year)\" x1=\"\(n(xy))\" y1=\"\(n(tickTop))\" x2=\"\(n(xy))\" y2=\"\(n(tickBottom))\" stroke=\"#000000\" stroke-width=\"1\"/>\n"
            if year <= lastYear {
                let mid = xy + yearWidth / 2
                out +=
                    "<text class=\"year-label\" x=\"\(n(mid))\" y=\"\(n(baseline))\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\" fill=\"#000000\">\(year)</text>\n"
            }
        }
        out += "</g>\n"
    }

    mutating func todayLine(labelY: Double) {
        let xt = x(today)
        out += "<g class=\"today\" data-day=\"\(today)\">\n"
        out += "<title>today, \(today)</title>\n"
        out +=
            "<line class=\"today-line\" x1=\"\(n(xt))\" y1=\"\(n(rowsTop - 4))\" x2=\"\(n(xt))\" y2=\"\(n(rowsBottom + 4))\" stroke=\"#000000\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\"/>\n"
        let anchor = xt > plotRight - 60 ? "end" : (xt < plotLeft + 60 ? "start" : "middle")
        out +=
            "<text x=\"\(n(xt))\" y=\"\(n(labelY))\" text-anchor=\"\(anchor)\" font-weight=\"bold\" fill=\"#000000\">today \(today)</text>\n"
        out += "</g>\n"
    }

    // MARK: A trial's row

    struct Label {
        var text: String
        var centre: Double
        var lanes: [Double]  // baselines, in order of preference
        var colour: String
        var cssClass: String
        var seq: Int64
    }

    mutating func row(_ t: TrialView, index: Int) {
        let y0 = rowsTop + Double(index) * L.rowHeight
        let s = t.summary
        out += "<g class=\"trial\" data-key=\"\(XMLText.attribute(s.key))\">\n"
        // The label: name, NCT number (else the key when the name is the acronym), status.
        var caption = s.displayName
        if let title = s.title { caption += " — " + title }
        out += "<title>\(XMLText.content(caption))</title>\n"
        out +=
            "<text class=\"trial-name\" x=\"\(n(L.margin))\" y=\"\(n(y0 + 21))\" font-size=\"13\" font-weight=\"bold\" fill=\"#000000\">\(XMLText.content(TimelineSVG.truncated(s.displayName, to: 26)))</text>\n"
        let second = s.nctNumber ?? (s.displayName == s.key ? nil : s.key)
        if let second {
            out +=
                "<text class=\"trial-id\" x=\"\(n(L.margin))\" y=\"\(n(y0 + 37))\" fill=\"#333333\">\(XMLText.content(TimelineSVG.truncated(second, to: 30)))</text>\n"
        }
        if let st = s.status {
            out +=
                "<text class=\"trial-status\" x=\"\(n(L.margin))\" y=\"\(n(y0 + 53))\" font-size=\"10\" fill=\"#444444\">\(XMLText.content(st.rawValue + (s.statusSince.map { " since \($0)" } ?? "")))</text>\n"
        }
        let placed = markerPlaces(t)
        statusBands(t, y0: y0, markers: placed.map(\.x))
        var labels: [Label] = []
        forecasts(t, y0: y0, labels: &labels)
        milestones(placed, y0: y0, labels: &labels)
        placeLabels(labels)
        out += "</g>\n"
    }

    /// Status periods: from each status change to the next; the last runs to today.
    mutating func statusBands(_ t: TrialView, y0: Double, markers: [Double]) {
        var changes: [(since: PartialDate, status: TrialStatus, seq: Int64)] = []
        for e in t.timeline {
            if case .statusChanged(let c) = e.payload { changes.append((e.occurred, c.status, e.seq)) }
        }
        if changes.isEmpty, let st = t.summary.status, let since = t.summary.statusSince { changes = [(since, st, 0)] }
        let end = today.adding(days: 1)
        for (i, c) in changes.enumerated() {
            let from = c.since.start
            let to = i + 1 < changes.count ? changes[i + 1].since.start : end
            guard from < to else { continue }
            let (x1, x2) = (x(from), x(min(to, rangeEnd)))
            let (fill, ink) = TimelineSVG.colour(of: c.status)
            let until = i + 1 < changes.count ? "until \(changes[i + 1].since)" : "to today"
            out += "<g class=\"status\" data-status=\"\(c.status.rawValue)\">"
            out += "<title>\(c.status.rawValue) from \(c.since) \(until)</title>"
            out +=
                "<rect x=\"\(n(x1))\" y=\"\(n(y0 + 18))\" width=\"\(n(max(1, x2 - x1)))\" height=\"14\" fill=\"\(fill)\"/>"
            // The status in words, where it fits between the markers that sit on the band.
            let text = c.status.rawValue
            let w = textWidth(text, size: 9)
            var at = x1 + 3
            for m in markers.sorted() where at < m + 9 && at + w > m - 9 { at = m + 10 }
            if at + w <= x2 - 3 {
                out += "<text x=\"\(n(at))\" y=\"\(n(y0 + 28.5))\" font-size=\"9\" fill=\"\(ink)\">\(text)</text>"
            }
            out += "</g>\n"
        }
    }

    /// Forecasts: hollow windows; slipped (superseded) and overdue ones struck through.
    mutating func forecasts(_ t: TrialView, y0: Double, labels: inout [Label]) {
        for e in t.expectations {
            let x1 = x(e.window.start), x2 = max(x(e.window.end.adding(days: 1)), x1 + 3)
            let colour: String, dash: String, state: String
            switch e.state {
            case .pending: (colour, dash, state) = ("#0072B2", " stroke-dasharray=\"4 2\"", "expected")
            case .met: (colour, dash, state) = ("#009E73", "", e.overdueSeq == nil ? "met" : "met late")
            case .overdue: (colour, dash, state) = ("#D55E00", "", "overdue")
            case .superseded: (colour, dash, state) = ("#777777", "", "slipped")
            }
            let words = MilestoneWording.phrase(e.milestone)
            out += "<g class=\"forecast\" data-seq=\"\(e.seq)\" data-state=\"\(e.state.rawValue)\">"
            out +=
                "<title>\(XMLText.content("\(words) expected \(e.window) (\(state)); forecast of \(e.madeOn), seq \(e.seq)" + (e.source.map { "; \($0)" } ?? "")))</title>"
            out +=
                "<rect x=\"\(n(x1))\" y=\"\(n(y0 + 36))\" width=\"\(n(x2 - x1))\" height=\"11\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"\(dash)/>"
            if e.state == .overdue || e.state == .superseded {
                out +=
                    "<line class=\"strike\" x1=\"\(n(x1 - 2))\" y1=\"\(n(y0 + 41.5))\" x2=\"\(n(x2 + 2))\" y2=\"\(n(y0 + 41.5))\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>"
            }
            out += "</g>\n"
            let suffix = e.state == .pending ? "" : " (\(state))"
            labels.append(
                Label(
                    text: TimelineSVG.truncated(words, to: 22) + suffix, centre: (x1 + x2) / 2,
                    lanes: [y0 + 59, y0 + 13],
                    colour: e.state == .pending ? "#00507D" : (e.state == .overdue ? "#A33F00" : "#444444"),
                    cssClass: "forecast-label", seq: e.seq))
        }
    }

    /// Where each milestone's marker goes: its day, or the middle of a longer window; a marker
    /// that would cover one already placed moves right until both show.
    func markerPlaces(_ t: TrialView) -> [(entry: TimelineEntry, x: Double)] {
        var placed: [(entry: TimelineEntry, x: Double)] = []
        for e in t.timeline where e.type != .statusChanged {
            var cx: Double
            if case .day = e.occurred.precision {
                cx = x(e.occurred.start)
            } else {
                cx = (x(e.occurred.start) + x(e.occurred.end.adding(days: 1))) / 2
            }
            while placed.contains(where: { abs($0.x - cx) < 11 }) { cx += 12 }
            placed.append((e, cx))
        }
        return placed
    }

    /// Milestones (all but status changes, which the bands show) as markers.
    mutating func milestones(_ placed: [(entry: TimelineEntry, x: Double)], y0: Double, labels: inout [Label]) {
        let cy = y0 + 25
        for (e, cx) in placed {
            let precise: Bool
            if case .day = e.occurred.precision { precise = true } else { precise = false }
            let x1 = x(e.occurred.start), x2 = x(e.occurred.end.adding(days: 1))
            out += "<g class=\"milestone\" data-seq=\"\(e.seq)\" data-type=\"\(e.type.rawValue)\">"
            out += "<title>\(XMLText.content("\(e.occurred) — \(e.type.rawValue): \(e.text)"))</title>"
            if !precise {
                out +=
                    "<path class=\"whisker\" d=\"M\(n(x1)) \(n(cy - 3))v6M\(n(x1)) \(n(cy))H\(n(x2))M\(n(x2)) \(n(cy - 3))v6\" stroke=\"#222222\" stroke-width=\"1.2\" fill=\"none\"/>"
            }
            out += Renderer.marker(e.type, x: cx, y: cy)
            out += "</g>\n"
            labels.append(
                Label(
                    text: TimelineSVG.shortLabel(e.payload), centre: cx, lanes: [y0 + 13, y0 + 59], colour: "#000000",
                    cssClass: "milestone-label", seq: e.seq))
        }
    }

    /// The shape of a kind of milestone, centred on (x, y).
    static func marker(_ type: EventType, x: Double, y: Double) -> String {
        let dark = "#222222", light = "#FFFFFF"
        func diamond(_ fill: String) -> String {
            "<path d=\"M\(n(x)) \(n(y - 6.5))L\(n(x + 6.5)) \(n(y))L\(n(x)) \(n(y + 6.5))L\(n(x - 6.5)) \(n(y))Z\" fill=\"\(fill)\" stroke=\"\(fill == dark ? light : dark)\" stroke-width=\"1.5\"/>"
        }
        func circle(_ fill: String) -> String {
            "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"4.5\" fill=\"\(fill)\" stroke=\"\(fill == dark ? light : dark)\" stroke-width=\"1.5\"/>"
        }
        func triangle(_ fill: String) -> String {
            "<path d=\"M\(n(x)) \(n(y - 6))L\(n(x + 6)) \(n(y + 5))L\(n(x - 6)) \(n(y + 5))Z\" fill=\"\(fill)\" stroke=\"\(fill == dark ? light : dark)\" stroke-width=\"1.5\"/>"
        }
        switch type {
        case .readout: return diamond(dark)
        case .interimAnalysis: return diamond(light)
        case .presented: return circle(light)
        case .published: return circle(dark)
        case .regulatorySubmission: return triangle(light)
        case .regulatoryDecision: return triangle(dark)
        default:
            return
                "<rect x=\"\(n(x - 4.5))\" y=\"\(n(y - 4.5))\" width=\"9\" height=\"9\" fill=\"\(light)\" stroke=\"\(dark)\" stroke-width=\"1.5\"/>"
        }
    }

    /// Labels left to right, each in the first lane where it does not run into the one before;
    /// one that fits nowhere is left to its marker's tooltip.
    mutating func placeLabels(_ labels: [Label]) {
        var laneEnd: [Double: Double] = [:]
        let sorted = labels.enumerated().sorted { a, b in
            a.element.centre == b.element.centre ? a.offset < b.offset : a.element.centre < b.element.centre
        }
        for (_, l) in sorted {
            let w = textWidth(l.text, size: 10)
            var left = l.centre - w / 2
            left = max(plotLeft - 6, min(left, plotRight + 6 - w))
            for lane in l.lanes where left >= (laneEnd[lane] ?? -Double.infinity) + 6 {
                laneEnd[lane] = left + w
                out +=
                    "<text class=\"\(l.cssClass)\" data-seq=\"\(l.seq)\" x=\"\(n(left))\" y=\"\(n(lane))\" font-size=\"10\" fill=\"\(l.colour)\">\(XMLText.content(l.text))</text>\n"
                break
            }
        }
    }

    // MARK: Legend

    enum LegendItem {
        case status(TrialStatus)
        case marker(EventType, String)
        case whisker
        case forecast(ExpectationState, String)
        case today

        var text: String {
            switch self {
            case .status(let s): s.rawValue
            case .marker(_, let t): t
            case .whisker: "date known to a month, quarter or year"
            case .forecast(_, let t): t
            case .today: "today"
            }
        }
    }

    private func legendItems() -> [LegendItem] {
        var statuses: [TrialStatus] = []
        var types = Set<EventType>()
        for t in trials {
            for e in t.timeline {
                if case .statusChanged(let c) = e.payload, !statuses.contains(c.status) { statuses.append(c.status) }
                types.insert(e.type)
            }
            if let s = t.summary.status, !statuses.contains(s) { statuses.append(s) }
        }
        var items: [LegendItem] = TrialStatus.allCases.filter(statuses.contains).map { .status($0) }
        let markers: [(EventType, String)] = [
            (.readout, "readout"), (.interimAnalysis, "interim analysis"), (.presented, "presentation"),
            (.published, "publication"), (.registered, "registration"),
            (.regulatorySubmission, "regulatory submission"),
            (.regulatoryDecision, "regulatory decision"),
        ]
        items += markers.filter { types.contains($0.0) }.map { .marker($0.0, $0.1) }
        items.append(.whisker)
        items += [
            .forecast(.pending, "forecast"), .forecast(.met, "forecast met"), .forecast(.overdue, "overdue"),
            .forecast(.superseded, "slipped (a later forecast replaced it)"),
        ]
        items.append(.today)
        return items
    }

    private func itemWidth(_ item: LegendItem) -> Double { 26 + textWidth(item.text, size: 11) + 16 }

    /// How many lines the legend takes.
    private func layoutLegend(_ items: [LegendItem], top: Double) -> Int {
        var lines = 1, xx = L.margin
        for item in items {
            let w = itemWidth(item)
            if xx + w > width - L.margin, xx > L.margin { lines += 1; xx = L.margin }
            xx += w
        }
        return lines + 1  // and the heading
    }

    private mutating func drawLegend(_ items: [LegendItem], top: Double) {
        out += "<g class=\"legend\">\n"
        out += "<text x=\"\(n(L.margin))\" y=\"\(n(top))\" font-weight=\"bold\" fill=\"#000000\">Legend</text>\n"
        var xx = L.margin, y = top + 20
        for item in items {
            let w = itemWidth(item)
            if xx + w > width - L.margin, xx > L.margin { xx = L.margin; y += 20 }
            let cy = y - 4
            switch item {
            case .status(let s):
                out +=
                    "<rect x=\"\(n(xx))\" y=\"\(n(cy - 6))\" width=\"20\" height=\"12\" fill=\"\(TimelineSVG.colour(of: s).fill)\"/>"
            case .marker(let t, _):
                out += Renderer.marker(t, x: xx + 10, y: cy)
            case .whisker:
                out +=
                    "<path d=\"M\(n(xx)) \(n(cy - 3))v6M\(n(xx)) \(n(cy))H\(n(xx + 20))M\(n(xx + 20)) \(n(cy - 3))v6\" stroke=\"#222222\" stroke-width=\"1.2\" fill=\"none\"/>"
                out += Renderer.marker(.readout, x: xx + 10, y: cy)
            case .forecast(let s, _):
                let colour = ["pending": "#0072B2", "met": "#009E73", "overdue": "#D55E00", "superseded": "#777777"][
                    s.rawValue]!
                let dash = s == .pending ? " stroke-dasharray=\"4 2\"" : ""
                out +=
                    "<rect x=\"\(n(xx))\" y=\"\(n(cy - 5.5))\" width=\"20\" height=\"11\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"\(dash)/>"
                if s == .overdue || s == .superseded {
                    out +=
                        "<line x1=\"\(n(xx - 2))\" y1=\"\(n(cy))\" x2=\"\(n(xx + 22))\" y2=\"\(n(cy))\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>"
                }
            case .today:
                out +=
                    "<line x1=\"\(n(xx + 10))\" y1=\"\(n(cy - 8))\" x2=\"\(n(xx + 10))\" y2=\"\(n(cy + 8))\" stroke=\"#000000\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\"/>"
            }
            out += "<text x=\"\(n(xx + 26))\" y=\"\(n(y))\" fill=\"#000000\">\(XMLText.content(item.text))</text>\n"
            xx += w
        }
        out += "</g>\n"
    }
}

/// A width for text in the generic sans-serif face: an average advance of 0.58 em, on the
/// generous side, so that labels are kept apart.
private func textWidth(_ s: String, size: Double) -> Double { Double(s.count) * size * 0.58 }

/// A coordinate with at most one decimal: `12`, `12.5`.
private func n(_ v: Double) -> String {
    let t = Int((v * 10).rounded())
    let sign = t < 0 ? "-" : ""
    let a = abs(t)
    return a % 10 == 0 ? "\(sign)\(a / 10)" : "\(sign)\(a / 10).\(a % 10)"
}
