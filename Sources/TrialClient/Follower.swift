import TrialDomain
import TrialProtocol

/// Follows the log with Subscribe: what `watch` and `log -f` print once the last events are
/// shown. Each event is one line (the streaming widths, not knowing the events to come), or
/// its JSON; when trialsd drops the subscriber for falling behind, it says so on standard
/// error and subscribes again after the last event printed.
struct Follower {
    var trial: String?
    var types: [String]
    /// Only the events of the trials it lets through, each judged by trialsd as it is when its
    /// event is sent.
    var filter = TrialFilter()
    var json: JSONMode
    /// Stop after this many events printed in all (the last events shown included).
    var count: Int?
    var global: GlobalOptions

    /// Prints one event.
    func print(_ event: EventReply, _ value: JSONValue, _ ctx: Context, _ style: Style) {
        if json.isOn {
            ctx.writeOut(json.text(value))
        } else {
            ctx.writeOut(Render.logLine(event, widths: .streaming, style: style) + "\n")
        }
    }

    /// Whether `printed` events leave room for more.
    func wantsMore(_ printed: Int) -> Bool { count.map { printed < $0 } ?? true }

    /// Prints the events after `since` (nil: from now on), then each new one, until `count`
    /// (or for ever); `printed` events were shown already.
    func run(_ ctx: Context, since: Int64?, printed alreadyPrinted: Int = 0) throws {
        let style = ctx.style(global, full: true)
        var position = since
        var printed = alreadyPrinted
        guard wantsMore(printed) else { return }
        while true {
            let session = try ctx.session(global, wait: .events)
            var p = JSONObject()
            if let position { p["since"] = .int(position) }
            if let trial { p["trial"] = .string(trial) }
            if !types.isEmpty { p["types"] = .array(types.map { .string($0) }) }
            filter.add(to: &p)
            do {
                try session.stream(.subscribe, p) { reply in
                    let value = try Reply.read(SubscribeResponse.self, reply).event
                    let event = try EventReply(json: value)
                    print(event, value, ctx, style)
                    position = event.seq
                    printed += 1
                    return wantsMore(printed)
                }
                return
            } catch ClientError.remote(let e) where TrialsError.Name(e) == .subscriberTooSlow {
                guard case .subscriberTooSlow(let lastSeq, let behind) = TrialsError(e) else {
                    throw ErrorText.convert(e)
                }
                let last = max(lastSeq, 0)  // -1: not said
                let backlog = behind < 0 ? "" : " (\(behind) events behind)"
                let resume = printed > alreadyPrinted ? (position ?? last) : max(last, position ?? last)
                ctx.writeErr(
                    "trialctl: trialsd dropped this watch for falling behind\(backlog); resuming after seq \(resume)\n")
                position = resume
            } catch {
                throw ErrorText.convert(error, context: session.context)
            }
        }
    }

    /// `log -f` and `watch`: the newest `lines` events of `query` (as `follow` prints them),
    /// then every new one.
    func run(_ ctx: Context, showingLast lines: Int, of query: LogQuery) throws {
        let reader = LogReader(session: try ctx.session(global), query: query)
        let (events, _, upper) = try reader.newest(lines)
        let style = ctx.style(global, full: true)
        var printed = 0
        for e in events where wantsMore(printed) {
            print(e, e.json, ctx, style)
            printed += 1
        }
        try run(ctx, since: upper, printed: printed)
    }
}
