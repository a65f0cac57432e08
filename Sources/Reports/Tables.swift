/// Aligned text columns, the one padding rule of every text report: each cell is padded with
/// spaces to its column's width (the last one too), a cell wider than its column is kept whole.
public struct TextTable: Sendable {
    public var indent: String
    public var widths: [Int]

    public init(indent: String = "", widths: [Int]) {
        self.indent = indent
        self.widths = widths
    }

    /// One line: the indent, then every cell padded to its column, then a newline.
    public func row(_ cells: [String]) -> String {
        indent + zip(cells, widths).map { Self.pad($0, to: $1) }.joined() + "\n"
    }

    /// `text` followed by spaces up to `width` characters.
    public static func pad(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}

/// Markdown tables: `| a | b |` rows and their `|---|---|` separator.
public enum MarkdownTable {
    public static func row(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |\n" }

    public static func separator(columns: Int) -> String { "|" + String(repeating: "---|", count: columns) + "\n" }
}
