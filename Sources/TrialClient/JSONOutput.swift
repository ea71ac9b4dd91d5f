import ArgumentParser
import TrialDomain

/// `--json=short|pretty|off`, as systemctl's: `short` is one line of canonical JSON, `pretty`
/// the same indented over lines, `off` the text for a person. Plain `--json` means `short`
/// (TrialctlMain rewrites it as `--json=short` before parsing), so scripts written for the
/// flag keep working.
public enum JSONMode: String, CaseIterable, ExpressibleByArgument, Sendable {
    case short, pretty, off

    /// Whether JSON is printed at all.
    public var isOn: Bool { self != .off }

    static let help = ArgumentHelp(
        "Print trialsd's reply as JSON: short (one line, the default of plain --json), pretty, or off.",
        valueName: "short|pretty|off")

    /// `value` as this mode prints it, with the final newline.
    public func text(_ value: JSONValue) -> String {
        switch self {
        case .short, .off: return value.canonicalText + "\n"
        case .pretty: return PrettyJSON.text(value) + "\n"
        }
    }
}

/// JSON indented by two spaces a level, keys in canonical order (the scalars as canonical
/// text): for a person reading a reply.
enum PrettyJSON {
    static func text(_ value: JSONValue, indent: Int = 0) -> String {
        var out = ""
        write(value, indent: indent, to: &out)
        return out
    }

    static func write(_ value: JSONValue, indent: Int, to out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                write(item, indent: indent + 1, to: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "]"
        case .object(let o) where o.count > 0:
            out += "{\n"
            for (i, m) in o.enumerated() {
                out += pad + JSONValue.string(m.key).canonicalText + ": "
                write(m.value, indent: indent + 1, to: &out)
                out += i == o.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        default:
            out += value.canonicalText
        }
    }
}
