import Testing

@testable import Diagnostics

@Suite struct DiagnosticsTests {
    func range(_ file: String, _ line: Int, _ column: Int, length: Int = 1) -> SourceRange {
        SourceRange(
            file: file, start: SourcePosition(line: line, column: column, offset: 0),
            end: SourcePosition(line: line, column: column + length, offset: 0))
    }

    @Test(
        arguments: [
            ("segmnt", ["segment", "secrets", "replicas"], "segment"),
            ("replica", ["replicas", "ports"], "replicas"),
            ("xyz", ["segment", "ports"], nil),
            ("a", ["ab", "b"], "ab"),
            ("WEB", ["web"], "web"),
        ] as [(String, [String], String?)])
    func suggestsOnlyCloseNames(name: String, candidates: [String], expected: String?) {
        #expect(closestMatch(to: name, in: candidates) == expected)
    }

    @Test func editDistanceIsLevenshtein() {
        #expect(editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(editDistance(Array(""), Array("abc")) == 3)
        #expect(editDistance(Array("flaw"), Array("lawn")) == 2)
    }

    @Test func bagSortsBySourceOrderAndDropsRepeats() {
        var bag = DiagnosticBag()
        bag.report(.error(.unknownKey, "b", at: range("a.yaml", 5, 3)))
        bag.report(.error(.unknownKey, "a", at: range("a.yaml", 2, 9)))
        bag.report(.error(.unreadableFile, "no place", at: nil))
        bag.report(.error(.unknownKey, "a", at: range("a.yaml", 2, 9)))
        bag.report(.warning(.unknownKey, "c", at: range("a.yaml", 2, 1)))
        #expect(bag.sorted.map(\.message) == ["no place", "c", "a", "b"])
        #expect(bag.hasErrors)
    }

    @Test func rendersCaretUnderTheRangeAndNotes() {
        var sources = SourceFiles()
        sources.add(SourceFile(path: "s.yaml", text: "version: 1\n\tname: Shop\r\nlast"))
        let diagnostic = Diagnostic.error(
            .invalidName, "'Shop' is not a valid policy name", at: range("s.yaml", 2, 8, length: 4),
            notes: [.init("first defined here", at: range("s.yaml", 3, 1, length: 4)), .init("no place")],
            help: "write 'shop'")
        let text = DiagnosticRenderer(sources: sources).render(diagnostic)
        #expect(
            text == """
                s.yaml:2:8: error[E201]: 'Shop' is not a valid policy name
                   2 |  name: Shop
                     |        ^~~~
                      = help: write 'shop'
                s.yaml:3:1: note: first defined here
                   3 | last
                     | ^~~~
                note: no place

                """)
    }

    @Test func everyCodeIsInTheTableExactlyOnceInCaseOrder() {
        let counts = Dictionary(grouping: DiagnosticCode.table, by: \.code).mapValues(\.count)
        for code in DiagnosticCode.allCases {
            #expect(counts[code] == 1, "\(code.rawValue) is in DiagnosticCode.table \(counts[code] ?? 0) times")
        }
        #expect(DiagnosticCode.table.map(\.code) == DiagnosticCode.allCases, "the table is not in the order of the cases")
        for entry in DiagnosticCode.table {
            #expect(!entry.summary.isEmpty && !entry.explanation.isEmpty, "\(entry.code.rawValue) says nothing")
            #expect(entry.code.metadata == entry && entry.code.summary == entry.summary && entry.code.explanation == entry.explanation)
        }
    }

    @Test func rendersAnyCodeTheWayItRendersDiagnostics() {
        var sources = SourceFiles()
        sources.add(SourceFile(path: "s.yaml", text: "workloads:\n  site: {image: nginx}\n"))
        let renderer = DiagnosticRenderer(sources: sources)
        let diagnostic = Diagnostic.warning(.unknownKey, "m", at: range("s.yaml", 2, 3, length: 4), notes: [.init("n")], help: "h")
        #expect(renderer.render(.warning, code: "E101", "m", at: diagnostic.range, notes: [.init("n")], help: "h") == renderer.render(diagnostic))
        #expect(
            renderer.render(.note, code: "PAL202", "site: no AppArmor profile", at: range("s.yaml", 2, 3, length: 4)) == """
                s.yaml:2:3: note[PAL202]: site: no AppArmor profile
                   2 |   site: {image: nginx}
                     |   ^~~~

                """)
        #expect(renderer.render(.error, code: "PAL101", "no place", at: nil) == "error[PAL101]: no place\n")
    }

    @Test func linesPastTheEndRenderWithoutSnippet() {
        var sources = SourceFiles()
        sources.add(SourceFile(path: "s.yaml", text: "a: 1\n"))
        let text = DiagnosticRenderer(sources: sources).render(.error(.yamlSyntax, "bad", at: range("s.yaml", 9, 1)))
        #expect(text == "s.yaml:9:1: error[E004]: bad\n")
        #expect(SourceFile(path: "x", text: "a\nb\n").line(3) == "")
        #expect(SourceFile(path: "x", text: "a\nb\n").line(4) == nil)
    }

    /// The lines a source file finds (eight bytes at a time) are those of splitting the text at
    /// every LF, CR LF and lone CR, for texts with breaks at every place in a word of eight.
    @Test func linesAreThoseOfSplittingAtEveryLineBreak() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "bc", "\n", "\r", "\r\n", "é", "🙂", "defghijklmnopq", "\n\n", "\r\r"]
        for length in 0..<200 {
            var text = ""
            for _ in 0..<(length % 40) { text += pieces.randomElement(using: &generator) ?? "" }
            if length % 2 == 0 { text += String(repeating: "x", count: length % 9) }
            var expected: [Substring] = []
            var start = text.startIndex
            var index = text.startIndex
            while index < text.endIndex {
                let character = text[index]
                if character == "\n" || character == "\r" || character == "\r\n" {
                    expected.append(text[start..<index])
                    start = text.index(after: index)
                }
                index = text.index(after: index)
            }
            expected.append(text[start...])
            let file = SourceFile(path: "x", text: text)
            #expect(file.lineCount == expected.count, "\(text.debugDescription)")
            for (number, line) in expected.enumerated() { #expect(file.line(number + 1) == line, "\(text.debugDescription)") }
            #expect(file.line(expected.count + 1) == nil)
        }
    }
}
