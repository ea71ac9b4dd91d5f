// Text helpers the readers share with TrialDomain (`package`: for this package's targets only).

extension String {
    /// Whether it has at most `n` characters. A character is one byte at least, so they are
    /// counted (a walk over grapheme clusters) only when the bytes pass `n`.
    package func hasAtMost(characters n: Int) -> Bool { utf8.count <= n || count <= n }

    package var trimmingSpaces: String {
        // Fast path: no white space at either end (the common case).
        // (The last byte by index: `utf8.last` went through a generic, unspecialised getter.)
        let u = utf8
        if let f = u.first, f > 0x20, f < 0x80 {
            let l = u[u.index(before: u.endIndex)]
            if l > 0x20, l < 0x80 { return self }
        }
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
