/// Renders diagnostics the way compilers do:
///
///     shop.yaml:12:5: error[E101]: unknown key 'segmnt' in workload 'web'
///        12 |     segmnt: frontend
///           |     ^~~~~~
///           = help: did you mean 'segment'?
///
/// Everything printed is one line per line: messages go through `SafeText.message` (again,
/// for text that did not come through `Diagnostic`), and a quoted source line has its control
/// characters escaped and, when it is long, is shown as a window around the range.
public struct DiagnosticRenderer: Sendable {
    public var sources: SourceFiles

    /// Widest quoted source line, in characters; a longer one is shown around the range.
    public static let maxSnippetWidth = 120

    public init(sources: SourceFiles) { self.sources = sources }

    public func render(_ diagnostic: Diagnostic) -> String {
        render(
            diagnostic.severity, code: diagnostic.code.rawValue, diagnostic.message, at: diagnostic.range,
            notes: diagnostic.notes, help: diagnostic.help)
    }

    /// Renders anything reported the way diagnostics are, under a code of its own: a lint
    /// finding is `warning[PAL102]: …` with the same place, snippet, help and notes.
    public func render(
        _ severity: Diagnostic.Severity, code: String, _ message: String, at range: SourceRange?,
        notes: [Diagnostic.Note] = [], help: String? = nil
    ) -> String {
        var out = ""
        let prefix = range.map { "\($0): " } ?? ""
        out += "\(prefix)\(severity.rawValue)[\(SafeText.message(code))]: \(SafeText.message(message))\n"
        if let range { out += snippet(range) }
        if let help { out += "      = help: \(SafeText.message(help))\n" }
        for note in notes {
            let notePrefix = note.range.map { "\($0): " } ?? ""
            out += "\(notePrefix)note: \(SafeText.message(note.message))\n"
            if let range = note.range { out += snippet(range) }
        }
        return out
    }

    public func render(_ diagnostics: [Diagnostic]) -> String {
        // Each file found its line starts when it was read: quoting a line costs that line.
        var out = ""
        for diagnostic in diagnostics { out += render(diagnostic) }
        return out
    }

    /// The quoted source line and a caret under the range (to its end on that line).
    public func snippet(_ range: SourceRange) -> String { snippet(range, asciiFastPath: true) }

    /// `snippet`, with or without the path for printable ASCII lines (`asciiSnippet`), which a
    /// test holds to the same text as the general one.
    func snippet(_ range: SourceRange, asciiFastPath: Bool) -> String {
        guard let file = sources[range.file], let line = file.line(range.start.line) else { return "" }
        let number = String(range.start.line)
        let gutter = String(repeating: " ", count: max(number.count, 4))
        if asciiFastPath, let ascii = asciiSnippet(line, range, number: number, gutter: gutter) { return ascii }
        // Columns count Unicode scalars, as libyaml's marks do.
        let scalars = Array(line.unicodeScalars)
        let start = max(0, range.start.column - 1)
        let end: Int
        if range.end.line == range.start.line, range.end.column - 1 > start {
            end = min(range.end.column - 1, scalars.count)
        } else {
            end = start + 1
        }
        // What each character looks like: tabs as one space (so that the caret lines up),
        // control characters escaped.
        let shown = scalars.map { $0 == "\t" ? " " : SafeText.escape($0) }
        var from = 0
        var to = scalars.count
        if shown.reduce(0, { $0 + $1.unicodeScalars.count }) > Self.maxSnippetWidth {
            // A window around the start of the range, with `…` where the line goes on.
            from = min(max(0, start - Self.maxSnippetWidth / 4), scalars.count)
            var width = 0
            to = from
            while to < scalars.count, width + shown[to].unicodeScalars.count <= Self.maxSnippetWidth - 2 {
                width += shown[to].unicodeScalars.count
                to += 1
            }
        }
        func width(_ slice: Range<Int>) -> Int {
            slice.reduce(0) { $0 + (shown.indices.contains($1) ? shown[$1].unicodeScalars.count : 1) }
        }
        let lead = from > 0 ? "…" : ""
        let text = lead + shown[from..<to].joined() + (to < scalars.count ? "…" : "")
        let caretColumn = lead.count + width(from..<max(from, start))
        let underlineEnd = to < scalars.count ? min(end, to) : end
        let underlineWidth = max(1, width(start..<max(start, underlineEnd)))
        return framed(number, gutter, text, caretColumn: caretColumn, underlineWidth: underlineWidth)
    }

    /// The quoted line under its number, and the caret and underline below it.
    private func framed(_ number: String, _ gutter: String, _ text: String, caretColumn: Int, underlineWidth: Int) -> String {
        let underline = "^" + String(repeating: "~", count: underlineWidth - 1)
        let pad = String(repeating: " ", count: max(0, 4 - number.count))
        return "\(pad)\(number) | \(text)\n\(gutter) | \(String(repeating: " ", count: caretColumn))\(underline)\n"
    }

    /// `snippet` of a line of printable ASCII only (no tab, no control character: nothing is
    /// escaped), where every character is one byte and one column wide: the same text, without
    /// making a string of each character (a lint of a large estate renders tens of thousands).
    /// Nil for any other line.
    private func asciiSnippet(_ line: Substring, _ range: SourceRange, number: String, gutter: String) -> String? {
        let bytes = line.utf8
        guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let count = bytes.count
        let start = max(0, range.start.column - 1)
        let end = range.end.line == range.start.line && range.end.column - 1 > start ? min(range.end.column - 1, count) : start + 1
        var from = 0
        var to = count
        if count > Self.maxSnippetWidth {
            from = min(max(0, start - Self.maxSnippetWidth / 4), count)
            to = from + min(count - from, Self.maxSnippetWidth - 2)
        }
        let lead = from > 0 ? "…" : ""
        let first = bytes.index(bytes.startIndex, offsetBy: from)
        let text = lead + String(line[first..<bytes.index(first, offsetBy: to - from)]) + (to < count ? "…" : "")
        let caretColumn = lead.count + max(0, start - from)
        let underlineEnd = to < count ? min(end, to) : end
        return framed(number, gutter, text, caretColumn: caretColumn, underlineWidth: max(1, underlineEnd - start))
    }
}
