/// "Did you mean …?": the closest of some names to what a person typed, as git and systemctl
/// suggest a command. Case is ignored; a name is close when at most a third of its characters
/// (and at most two) are changed, inserted, deleted or swapped with a neighbour.
public enum Suggestion {
    /// The closest candidate within reach, the first of equals; nil when none is close.
    public static func closest(to typed: String, among candidates: some Sequence<String>) -> String? {
        let t = Array(typed.lowercased().unicodeScalars)
        let reach = min(2, max(1, t.count / 3))
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let c = Array(candidate.lowercased().unicodeScalars)
            guard abs(c.count - t.count) <= reach, c != t else { continue }
            let d = distance(t, c, limit: best.map { min($0.distance - 1, reach) } ?? reach)
            if let d { best = (candidate, d) }
        }
        return best?.name
    }

    /// The optimal-string-alignment distance of `a` and `b`, or nil when it exceeds `limit`.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int? {
        guard limit >= 0 else { return nil }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) <= limit ? max(a.count, b.count) : nil }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var v = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { v = min(v, before[j - 2] + 1) }
                current[j] = v
                rowMinimum = min(rowMinimum, v)
            }
            if rowMinimum > limit { return nil }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count] <= limit ? previous[b.count] : nil
    }
}
