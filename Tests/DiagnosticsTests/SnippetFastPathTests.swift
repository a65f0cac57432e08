import Testing

@testable import Diagnostics

/// A line of printable ASCII is quoted without a string per character (`asciiSnippet`); the
/// text must be exactly what the general path gives, for short and long lines, ranges inside,
/// across and past the line's end, and ranges that go on to a later line.
@Suite struct SnippetFastPathTests {
    /// A small deterministic generator (this target has no test support module).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11 ^ state << 7
        }
    }

    @Test func asciiLinesAreQuotedAsTheGeneralPathQuotesThem() {
        var rng = Generator(state: 42)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789:-_{}[],.'\"#&*!|>%@`~=+/\\?")
        var lines: [String] = []
        for _ in 0..<400 {
            // Around the snippet width: short lines, lines just over, lines far over.
            let length = [0, 1, 5, 40, 118, 119, 120, 121, 122, 200, 700][Int.random(in: 0..<11, using: &rng)]
            lines.append(String((0..<length).map { _ in alphabet.randomElement(using: &rng)! }))
        }
        var sources = SourceFiles()
        sources.add(SourceFile(path: "a.yaml", text: lines.joined(separator: "\n") + "\n"))
        let renderer = DiagnosticRenderer(sources: sources)
        var checked = 0
        for (index, line) in lines.enumerated() {
            for _ in 0..<12 {
                let column = Int.random(in: 0...(line.count + 3), using: &rng)
                let sameLine = Bool.random(using: &rng)
                let endColumn = column + Int.random(in: -2...(line.count + 5), using: &rng)
                let range = SourceRange(
                    file: "a.yaml", start: SourcePosition(line: index + 1, column: column, offset: 0),
                    end: SourcePosition(line: index + 1 + (sameLine ? 0 : 1), column: endColumn, offset: 0))
                let fast = renderer.snippet(range, asciiFastPath: true)
                let general = renderer.snippet(range, asciiFastPath: false)
                #expect(fast == general, "line \(index + 1) (\(line.count) characters), columns \(column) to \(endColumn)")
                checked += 1
            }
        }
        #expect(checked == 4_800)
    }

    /// Lines the fast path leaves alone: a tab, a control character, anything beyond ASCII.
    @Test func otherLinesTakeTheGeneralPath() {
        var sources = SourceFiles()
        sources.add(SourceFile(path: "b.yaml", text: "a:\tb\nc: \u{7}\nd: é\n"))
        let renderer = DiagnosticRenderer(sources: sources)
        for line in 1...3 {
            let range = SourceRange(
                file: "b.yaml", start: SourcePosition(line: line, column: 1, offset: 0), end: SourcePosition(line: line, column: 5, offset: 0))
            #expect(renderer.snippet(range) == renderer.snippet(range, asciiFastPath: false))
        }
        let tab = SourceRange(file: "b.yaml", start: SourcePosition(line: 1, column: 1, offset: 0), end: SourcePosition(line: 1, column: 5, offset: 0))
        #expect(renderer.snippet(tab).contains("a: b"))
    }
}
