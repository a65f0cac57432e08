import Diagnostics
import Foundation
import Spec
import TestSupport
import Testing

/// Every file in `BadInputs/` starts with `# expect: CODE@LINE:COL, …`: the diagnostics the
/// spec must produce, all of them and in that order, each within a second. A diagnostic in
/// another file (an included one) is written `CODE@PATH:LINE:COL`, PATH relative to `BadInputs/`.
@Suite struct BadInputCorpusTests {
    static let folder = repositoryRoot.appendingPathComponent("Tests/SpecTests/BadInputs")

    /// Files that cannot carry a header comment.
    static let implicitExpectations = ["empty.yaml": "E008@1:1"]

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    static func expectations(for file: String) -> [String] {
        if let implicit = implicitExpectations[file] { return [implicit] }
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(file).path) else { return [] }
        let firstLine = String(decoding: data.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        guard firstLine.hasPrefix("# expect: ") else { return [] }
        return firstLine.dropFirst("# expect: ".count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @Test func corpusIsLarge() {
        #expect(Self.files.count >= 50)
    }

    @Test(arguments: files)
    func reportsLocatedErrors(file: String) {
        let expected = Self.expectations(for: file)
        #expect(!expected.isEmpty, "\(file) has no '# expect:' header")
        let path = Self.folder.appendingPathComponent(file).path
        let output = SpecCompiler.compile(path: path)
        let folder = Self.folder.path + "/"
        let actual = output.diagnostics.filter { $0.severity == .error }.map { diagnostic in
            guard let range = diagnostic.range else { return "\(diagnostic.code.rawValue)@-" }
            let file = range.file == path ? "" : range.file.replacingOccurrences(of: folder, with: "") + ":"
            return "\(diagnostic.code.rawValue)@\(file)\(range.start.line):\(range.start.column)"
        }
        #expect(actual == expected, "\(file): \(output.diagnostics.map(\.message))")
        #expect(output.policy == nil)
        #expect(output.readable)
    }
}
