/// An aligned table like `systemctl list-units`: a header in capitals (underlined with colour
/// on), columns padded to their widest cell by display width and separated by one space, the
/// last column never padded. With a width, shrinkable columns give up room (highest priority
/// first, down to their minimum) and their cells end in `…`.
public struct Table {
    public struct Column {
        public var title: String
        public var alignRight: Bool
        /// nil: never shrunk. Otherwise columns shrink in tiers, lowest number first; columns
        /// of one tier share the shrinking.
        public var shrinkPriority: Int?
        public var minWidth: Int

        public init(_ title: String, alignRight: Bool = false, shrinkPriority: Int? = nil, minWidth: Int = 8) {
            self.title = title
            self.alignRight = alignRight
            self.shrinkPriority = shrinkPriority
            self.minWidth = minWidth
        }
    }

    public struct Cell {
        public var text: String
        public var color: ANSIColor?

        public init(_ text: String, _ color: ANSIColor? = nil) {
            self.text = text
            self.color = color
        }
    }

    public var columns: [Column]
    public var rows: [[Cell]] = []
    public var showHeader: Bool

    public init(_ columns: [Column], showHeader: Bool = true) {
        self.columns = columns
        self.showHeader = showHeader
    }

    public mutating func add(_ row: [Cell]) {
        precondition(row.count == columns.count, "a row needs one cell per column")
        rows.append(row)
    }

    /// The widths each column gets in `style`.
    public func widths(_ style: Style) -> [Int] {
        var widths = columns.map { showHeader ? TextWidth.of($0.title) : 0 }
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], TextWidth.of(cell.text)) }
        }
        guard let limit = style.width else { return widths }
        var total = widths.reduce(0, +) + max(0, widths.count - 1)
        // Tiers by priority; within a tier the widest column gives up a column at a time, so
        // that the room left is shared evenly.
        let tiers = Set(columns.compactMap(\.shrinkPriority)).sorted()
        for tier in tiers where total > limit {
            let members = columns.indices.filter { columns[$0].shrinkPriority == tier }
            func floor(_ i: Int) -> Int { max(columns[i].minWidth, showHeader ? TextWidth.of(columns[i].title) : 1) }
            while total > limit {
                guard let widest = members.filter({ widths[$0] > floor($0) }).max(by: { widths[$0] < widths[$1] })
                else { break }
                widths[widest] -= 1
                total -= 1
            }
        }
        return widths
    }

    /// The lines, without trailing newlines.
    public func render(_ style: Style) -> [String] {
        let widths = widths(style)
        let ellipsis = style.glyph(.ellipsis)
        var lines: [String] = []
        func line(_ cells: [Cell], header: Bool) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let last = i == cells.count - 1
                var text = cell.text
                if TextWidth.of(text) > widths[i] { text = TextWidth.truncate(text, to: widths[i], ellipsis: ellipsis) }
                let padded =
                    last && !columns[i].alignRight
                    ? text : TextWidth.pad(text, to: widths[i], right: columns[i].alignRight)
                if header {
                    parts.append(padded)
                } else if let color = cell.color, style.color, !text.isEmpty {
                    // Paint the text, not the padding.
                    let fill = String(repeating: " ", count: max(0, TextWidth.of(padded) - TextWidth.of(text)))
                    parts.append(
                        columns[i].alignRight ? fill + style.paint(text, color) : style.paint(text, color) + fill)
                } else {
                    parts.append(padded)
                }
            }
            var s = parts.joined(separator: " ")
            while s.last == " " { s.removeLast() }
            if header { s = style.paint(s, .underline) }
            return s
        }
        if showHeader { lines.append(line(columns.map { Cell($0.title) }, header: true)) }
        for row in rows { lines.append(line(row, header: false)) }
        return lines
    }
}
