import Diagnostics
import Spec
import TestSupport
import Testing
import YAML

/// Specs the fuzz targets (`Fuzz/`, docs/fuzzing.md) and the mutation tests found the front end
/// mishandling, each as the smallest spec that shows it. A test that still fails is disabled
/// until its fix lands; `Fuzz/Sources/FuzzSupport/KnownIssues.swift` keeps the fuzz targets
/// off it until then.
@Suite struct FuzzRegressionTests {
    /// Found by `MutationTests.mutatedIncludeGraphsNeverCrash`: a flow collection cut off at
    /// the end of a file without a final newline is reported at line 3, column 1 of a
    /// two-line file (libyaml's end mark), where the renderer has no line to show. It belongs
    /// at the end of the last line.
    @Test
    func syntaxErrorAtTheEndOfAFileWithoutANewlineIsOnItsLastLine() throws {
        for text in ["version: 1\nflows: [{from: a", "version: 1\nname: {a: b", "a: [1, 2"] {
            let result = YAMLLoader.load(text: text, file: "spec.yaml")
            let error = try #require(result.diagnostics.first { $0.severity == .error })
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(error.range?.start.line == lines.count, "\(text.debugDescription): \(error.range?.description ?? "-")")
            // The renderer shows the line the error is on.
            var sources = SourceFiles()
            sources.add(SourceFile(path: "spec.yaml", text: text))
            #expect(DiagnosticRenderer(sources: sources).render(error).contains(String(lines.last!)), "\(text.debugDescription)")
        }
    }

    /// Found by the `spec` and `pipeline` fuzz targets: libyaml counts a lone carriage return
    /// as a line break, as YAML does, but `SourceFile` splits lines at line feeds only, so in a
    /// file with a lone `\r` every diagnostic below it names a line the renderer cannot show
    /// (or shows the wrong one). The line a diagnostic names and the line it quotes must agree.
    @Test
    func diagnosticsBelowALoneCarriageReturnQuoteTheirLine() throws {
        for separator in ["\r", "\r\r\n"] {
            let text = "version: 1\(separator)name: t\nworkloads:\n  web: {image: nginx:1.25, ports: [tcp/99999]}\n"
            let output = compileSpec(text)
            let error = try #require(output.diagnostics.first { $0.severity == .error }, "\(output.diagnostics)")
            let range = try #require(error.range)
            let line = output.sources[range.file]?.line(range.start.line)
            #expect(
                line?.contains("tcp/99999") == true,
                "\(separator.debugDescription): \(error.code.rawValue) at \(range) quotes \(line.map { String($0) }.debugDescription)")
        }
    }

    /// The same ends of files with a final newline are reported on the empty line after the
    /// last one, which is in the file.
    @Test func syntaxErrorAtTheEndOfAFileWithANewlineIsInTheFile() throws {
        for text in ["version: 1\nflows: [{from: a\n", "a: [1, 2\n"] {
            let result = YAMLLoader.load(text: text, file: "spec.yaml")
            let error = try #require(result.diagnostics.first { $0.severity == .error })
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            #expect((1...lines).contains(error.range?.start.line ?? 0), "\(text.debugDescription): \(error.range?.description ?? "-")")
        }
    }

    /// Found by the `pipeline` target: a file that ends right after an opening bracket, or in a
    /// comment line inside an unclosed list, without a final newline, has its syntax error one
    /// line past its last line (`[` is reported at 2:1 of a one-line file); the renderer cannot
    /// quote it. Fixed with the loader's end mark clamped to the last line.
    @Test
    func syntaxErrorAtAnOpenEndIsInTheFile() throws {
        let cases = ["[", "{", "a: [", "version: 1\nworkloads: [", "a: [1,\n#", "a: {b", "a: 'x", "version: 1\nflows: [{from: a\n# the end"]
        for text in cases {
            let result = YAMLLoader.load(text: text, file: "spec.yaml")
            let error = try #require(result.diagnostics.first { $0.severity == .error })
            let source = SourceFile(path: "spec.yaml", text: text)
            #expect(source.line(error.range?.start.line ?? 0) != nil, "\(text.debugDescription): \(error.range?.description ?? "-")")
        }
    }
}
