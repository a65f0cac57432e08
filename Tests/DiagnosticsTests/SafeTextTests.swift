import Testing

@testable import Diagnostics

/// Whatever the input holds, a diagnostic prints as short lines in the `FILE:LINE:COL:` format:
/// control characters from the input are escaped and long values abbreviated.
@Suite struct SafeTextTests {
    func range(_ file: String, _ line: Int, _ column: Int, length: Int = 1) -> SourceRange {
        SourceRange(
            file: file, start: SourcePosition(line: line, column: column, offset: 0),
            end: SourcePosition(line: line, column: column + length, offset: 0))
    }

    @Test func controlCharactersInMessagesAreEscaped() {
        let diagnostic = Diagnostic.error(
            .invalidImage, "'ngi\nnx:1.25\u{1b}[31m' is not a valid image reference", at: range("s.yaml", 4, 16),
            notes: [.init("see\r'here'")], help: "not\u{0}this\u{202E}")
        #expect(diagnostic.message == "'ngi\\nnx:1.25\\u{1b}[31m' is not a valid image reference")
        #expect(diagnostic.help == "not\\0this\\u{202e}")
        #expect(diagnostic.notes.first?.message == "see\\r'here'")
        let text = DiagnosticRenderer(sources: SourceFiles()).render(diagnostic)
        #expect(text.split(separator: "\n").count == 3, "\(text)")
        #expect(text.hasPrefix("s.yaml:4:16: error[E601]: 'ngi\\nnx:1.25\\u{1b}[31m' is not a valid image reference\n"))
        #expect(!text.unicodeScalars.contains { $0 != "\n" && SafeText.needsEscape($0) })
    }

    @Test func escapesEveryKindOfControl() {
        #expect(SafeText.escaped("a\tb") == "a\\tb")
        #expect(SafeText.escaped("\u{7F}\u{85}\u{2028}\u{2066}\u{FEFF}") == "\\u{7f}\\u{85}\\u{2028}\\u{2066}\\u{feff}")
        #expect(SafeText.escaped("plain é 名前 ✓") == "plain é 名前 ✓")
    }

    @Test func longQuotedValuesAreAbbreviatedWithTheirLength() {
        let name = String(repeating: "a", count: 1_000_000)
        let diagnostic = Diagnostic.error(
            .unknownReference, "unknown workload '\(name)' in a flow", at: range("s.yaml", 6, 12),
            help: "did you mean 'web'?")
        let abbreviated = "'" + String(repeating: "a", count: 60) + "…' (1,000,000 characters)"
        #expect(diagnostic.message == "unknown workload \(abbreviated) in a flow")
        #expect(diagnostic.help == "did you mean 'web'?")
        #expect(SafeText.quoted(name) == abbreviated)
        #expect(SafeText.quoted("a\nb") == "'a\\nb'")
        // Apostrophes inside a value do not end it.
        let withApostrophes = "o'neil " + String(repeating: "x", count: 100) + " it's"
        #expect(SafeText.message("'\(withApostrophes)' is not valid").hasSuffix("…' (112 characters) is not valid"))
    }

    @Test func shortMessagesAndApostrophesAreLeftAlone() {
        for message in [
            "unknown key 'replica' in a workload", "the segment's workloads' ports", "'-' alone", "it's 'x' and 'y'",
            "names are lower-case letters, digits and '-', start with a letter, end with a letter or digit, at most 40 characters",
        ] {
            #expect(SafeText.message(message) == message)
        }
    }

    @Test func aLongUnquotedMessageIsCut() {
        let message = SafeText.message("value " + String(repeating: "b ", count: 5_000))
        #expect(message.count == SafeText.maxMessage)
        #expect(message.hasSuffix("… (10,006 characters)"))
        #expect(SafeText.message(message) == message, "applying it twice changes nothing")
    }

    @Test func aQuoteWithoutItsCloseDoesNotSlowItDown() {
        let text = String(repeating: " 'a", count: 200_000)
        #expect(SafeText.message(text).count == SafeText.maxMessage)
    }

    @Test func aOneMegabyteNameIsNotEchoedInFull() {
        let name = String(repeating: "a", count: 1_000_000)
        var sources = SourceFiles()
        sources.add(SourceFile(path: "s.yaml", text: "version: 1\nname: \(name)\n"))
        let diagnostic = Diagnostic.error(
            .invalidName, "'\(name)' is not a valid policy name", at: range("s.yaml", 2, 7, length: 1_000_000))
        let text = DiagnosticRenderer(sources: sources).render(diagnostic)
        #expect(text.utf8.count < 600, "\(text.utf8.count) bytes")
        let lines = text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("   2 | name: aaaa") && lines[1].hasSuffix("a…"))
        #expect(lines[2] == "     |       ^" + String(repeating: "~", count: 111))
    }

    @Test func aLongLineIsShownAroundTheRange() {
        let line = String(repeating: "x", count: 500) + "target" + String(repeating: "y", count: 500)
        var sources = SourceFiles()
        sources.add(SourceFile(path: "s.yaml", text: line))
        let snippet = DiagnosticRenderer(sources: sources).snippet(range("s.yaml", 1, 501, length: 6))
        let lines = snippet.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("   1 | …xxx"))
        #expect(lines[0].hasSuffix("y…"))
        #expect(lines[0].count <= 8 + DiagnosticRenderer.maxSnippetWidth)
        let caret = lines[1].firstIndex(of: "^").map { lines[1].distance(from: lines[1].startIndex, to: $0) }
        let shown = Array(lines[0])
        let target = (0..<(shown.count - 6)).first { String(shown[$0..<($0 + 6)]) == "target" }
        #expect(caret != nil && caret == target)
        #expect(lines[1].hasSuffix("^~~~~~"))
    }

    /// A lone carriage return ends a line, as it does for YAML: the rest is the next line.
    @Test func controlCharactersInQuotedLinesAndFileNamesAreEscaped() {
        var sources = SourceFiles()
        sources.add(SourceFile(path: "a\nb.yaml", text: "key: \u{1b}[2Jvalue\rmore\n"))
        let diagnostic = Diagnostic.error(.yamlSyntax, "bad", at: range("a\nb.yaml", 1, 9, length: 5))
        let text = DiagnosticRenderer(sources: sources).render(diagnostic)
        #expect(
            text == """
                a\\nb.yaml:1:9: error[E004]: bad
                   1 | key: \\u{1b}[2Jvalue
                     |              ^~~~~

                """)
    }

    @Test func manyDiagnosticsInALargeFileRenderInLinearTime() {
        let lines = 20_000
        var sources = SourceFiles()
        sources.add(SourceFile(path: "s.yaml", text: String(repeating: "- {from: a, to: b, ports: [tcp/1]}\n", count: lines)))
        let diagnostics = (1...lines).map { Diagnostic.error(.unknownReference, "unknown workload 'a'", at: range("s.yaml", $0, 10)) }
        let rendered = DiagnosticRenderer(sources: sources).render(diagnostics)
        #expect(rendered.split(separator: "\n").filter { $0.contains("unknown workload 'a'") }.count == lines)
    }

    @Test func suggestionsForAOneMegabyteNameAreCheap() {
        let name = String(repeating: "a", count: 1_000_000)
        let candidates = (0..<10_000).map { "name-\($0)" }
        #expect(closestMatch(to: name, in: candidates) == nil)
        #expect(editDistance(Array("abcdefgh".unicodeScalars), Array("stuvwxyz".unicodeScalars), atMost: 3) == 3)
        #expect(editDistance(Array("abcdefgh".unicodeScalars), Array("stuvwxyz".unicodeScalars)) == 8)
        #expect(closestMatch(to: "name-1x", in: candidates) == "name-1")
    }
}
