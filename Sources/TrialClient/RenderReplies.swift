import TrialDomain
import TrialProtocol

/// The one-line and few-line answers of verify, rebuild, stats and the commands that record.
extension Render {
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
