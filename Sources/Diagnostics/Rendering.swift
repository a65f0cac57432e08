/// Renders diagnostics the way compilers do:
///
///     shop.yaml:12:5: error[E101]: unknown key 'segmnt' in workload 'web'
///        12 |     segmnt: frontend
///           |     ^~~~~~
///           = help: did you mean 'segment'?
public struct DiagnosticRenderer: Sendable {
    public var sources: SourceFiles

    public init(sources: SourceFiles) { self.sources = sources }

    public func render(_ diagnostic: Diagnostic) -> String {
        render(diagnostic.severity, code: diagnostic.code.rawValue, diagnostic.message, at: diagnostic.range,
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
        out += "\(prefix)\(severity.rawValue)[\(code)]: \(message)\n"
        if let range { out += snippet(range) }
        if let help { out += "      = help: \(help)\n" }
        for note in notes {
            let notePrefix = note.range.map { "\($0): " } ?? ""
            out += "\(notePrefix)note: \(note.message)\n"
            if let range = note.range { out += snippet(range) }
        }
        return out
    }

    public func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(render).joined()
    }

    /// The quoted source line and a caret under the range (to its end on that line).
    public func snippet(_ range: SourceRange) -> String {
        guard let file = sources[range.file], let line = file.line(range.start.line) else { return "" }
        let number = String(range.start.line)
        let gutter = String(repeating: " ", count: max(number.count, 4))
        let text = line.replacingTabs()
        let startColumn = max(1, range.start.column)
        let endColumn: Int
        if range.end.line == range.start.line, range.end.column > startColumn {
            endColumn = min(range.end.column, text.count + 1)
        } else {
            endColumn = max(startColumn + 1, min(text.count + 1, startColumn + 1))
        }
        let underline = "^" + String(repeating: "~", count: max(0, endColumn - startColumn - 1))
        let pad = String(repeating: " ", count: max(0, 4 - number.count))
        return "\(pad)\(number) | \(text)\n\(gutter) | \(String(repeating: " ", count: startColumn - 1))\(underline)\n"
    }
}

extension Substring {
    /// Tabs shown as single spaces, so that the caret lines up with the character column.
    fileprivate func replacingTabs() -> String {
        String(map { $0 == "\t" ? " " : $0 })
    }
}
