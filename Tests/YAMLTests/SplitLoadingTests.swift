import Diagnostics
import Foundation
import TestSupport
import Testing

@testable import YAML

/// A large file is composed in two parts at once (`YAMLLoader.loadInTwo`), cut at a key of the
/// top-level mapping. The joined document must be the one the whole file composes to, node for
/// node and range for range, at every cut it accepts; every cut it cannot join exactly is
/// refused, and the file is then composed whole.
@Suite struct SplitLoadingTests {
    /// Everything a node holds: content, style, weight and range, children in order.
    static func dump(_ node: YAMLNode, into text: inout String, depth: Int = 0) {
        let range = node.range
        text += String(repeating: " ", count: depth)
        text += "\(range.file) \(range.start.line):\(range.start.column)@\(range.start.offset)-"
        text += "\(range.end.line):\(range.end.column)@\(range.end.offset) w\(node.weight) "
        switch node.content {
        case .scalar(let value, let style):
            text += "scalar \(style) \(value.debugDescription)\n"
        case .sequence(let items):
            text += "sequence\n"
            for item in items { dump(item, into: &text, depth: depth + 1) }
        case .mapping(let pairs):
            text += "mapping\n"
            for pair in pairs {
                dump(pair.key, into: &text, depth: depth + 1)
                dump(pair.value, into: &text, depth: depth + 2)
            }
        }
    }

    static func dump(_ result: YAMLLoader.Result) -> String {
        var text = result.diagnostics.map(\.message).joined(separator: "\n") + "\n"
        if let root = result.root { dump(root, into: &text) }
        return text
    }

    /// Every line start that `splitPoint` could choose: a line beginning with a letter or `_`.
    static func candidateCuts(_ bytes: [UInt8]) -> [Int] {
        (1..<max(bytes.count, 1)).filter { index in
            bytes[index - 1] == UInt8(ascii: "\n") && (bytes[index] == UInt8(ascii: "_") || (bytes[index] | 0x20 >= 0x61 && bytes[index] | 0x20 <= 0x7A))
        }
    }

    /// Tries every candidate cut of `text`: each joined result must equal the whole file's.
    /// Returns how many cuts were joined.
    @discardableResult
    static func checkEveryCut(_ text: String, file: String = "split.yaml", limits: YAMLLimits = YAMLLimits()) -> Int {
        let bytes = Array(text.utf8)
        let whole = dump(YAMLLoader.load(bytes: bytes, file: file, limits: limits, stream: false, splitAbove: .max))
        var joined = 0
        for cut in candidateCuts(bytes) {
            guard let parts = YAMLLoader.loadInTwo(bytes: bytes, file: file, limits: limits, cut: cut) else { continue }
            joined += 1
            let split = dump(parts)
            #expect(split == whole, "cut at byte \(cut) of:\n\(text)")
            if split != whole { break }
        }
        return joined
    }

    @Test func everySampleJoinsToTheWholeDocumentAtEveryTopLevelKey() throws {
        let samples = repositoryRoot.appendingPathComponent("samples")
        let names = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names.count >= 5)
        for name in names {
            let text = try String(contentsOf: samples.appendingPathComponent(name), encoding: .utf8)
            let joined = Self.checkEveryCut(text, file: "samples/\(name)")
            // Each sample has several top-level sections, so some cuts join.
            #expect(joined >= 3, "\(name): \(joined) cuts joined")
        }
    }

    @Test func randomSpecsJoinToTheWholeDocument() {
        var rng = SeededGenerator(seed: 77)
        var joined = 0
        for _ in 0..<60 {
            joined += Self.checkEveryCut(RandomSpec.generate(&rng))
        }
        #expect(joined > 100)
    }

    /// Constructs near a cut that end where the whole file ends them: block scalars, plain and
    /// quoted multi-line scalars, comments and blank lines, empty values, non-ASCII text, CRLF
    /// line breaks, anchors and aliases within a part, explicit keys, a document start marker.
    @Test func constructsNearTheCutJoinExactly() {
        let documents = [
            "a: |\n  line one\n  line two\n\nb: >-\n  folded\n  text\nc: 1\n",
            "a: plain\n  continued\n  again\nb: \"quoted\n  on two lines\"\nc: 'single\n  too'\n",
            "# comment\na: 1\n\n# between\n\nb:\n  - x\n  - y\nc:\nd: {k: v}\n",
            "a: é ü 漢字 😀\nb: [ö, ä]\nc: \"ß\"\n",
            "a: 1\r\nb:\r\n  c: 2\r\nd: 3\r\n",
            "a: &anchor {k: v}\nb: *anchor\nc: &other [1, 2]\nd: *other\n",
            "? a\n: 1\nb: 2\n? c\nd: 4\n",
            "---\na: 1\nb: 2\n",
            "%YAML 1.1\n---\na: 1\nb:\n- x\n- y\nc: 3\n",
            "a:\n  b:\n    c:\n      d: 1\ne: 2\nf:\n  - g: 3\n    h: 4\n",
            "_private: 1\nZ: 2\nlower: 3\n",
        ]
        for text in documents {
            #expect(Self.checkEveryCut(text) >= 1, "\(text)")
        }
    }

    /// Cuts that cannot be joined exactly are refused (and the file is then composed whole).
    @Test func cutsThatCannotJoinAreRefused() {
        let refused: [(String, String)] = [
            ("a: 1\nb: 2\na: 3\n", "a key in both parts: the whole file reports the duplicate"),
            ("a: &x 1\nb: *x\n", "an alias to an anchor of the other part"),
            ("a: 1\n...\nb: 2\n", "the first part ends its document with '...'"),
            ("<<: {z: 1}\na: 1\nb: 2\n", "a merge key merges over the whole mapping"),
            ("a: \"open\nb: close\"\n", "a quoted scalar open across the cut"),
            ("a: [1,\nb, 2]\n", "a flow sequence open across the cut"),
            ("- a\nb: 1\n", "the first part's root is a sequence"),
            ("  a: 1\nb: 2\n", "the first part's root is not at the first column"),
            ("{a: 1}\nb: 2\n", "the first part's root is a flow mapping"),
            ("a: 1\rb: 2\nc: 3\n", "a line break libyaml counts and the cut does not"),
            ("a: 1\nb: !!int 2\n", "an error in a part"),
            ("a: 1\n---\nb: 2\n", "a second document"),
        ]
        for (text, why) in refused {
            let bytes = Array(text.utf8)
            for cut in Self.candidateCuts(bytes) where text.utf8.prefix(cut).last == UInt8(ascii: "\n") {
                let parts = YAMLLoader.loadInTwo(bytes: bytes, file: "refused.yaml", limits: YAMLLimits(), cut: cut)
                let whole = YAMLLoader.load(bytes: bytes, file: "refused.yaml", limits: YAMLLimits(), stream: false, splitAbove: .max)
                // A refusal, or (where this cut avoids the problem) the whole file's document.
                if let parts { #expect(Self.dump(parts) == Self.dump(whole), "\(why): cut at \(cut)") }
            }
            // The cut at the problem is refused.
            let cut = Self.problemCut(text)
            #expect(YAMLLoader.loadInTwo(bytes: bytes, file: "refused.yaml", limits: YAMLLimits(), cut: cut) == nil, "\(why)")
        }
    }

    /// The cut these cases are about: the start of the last line that begins with `b` (or a
    /// letter at all).
    static func problemCut(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        let cuts = candidateCuts(bytes)
        return cuts.last { bytes[$0] == UInt8(ascii: "b") } ?? cuts.last ?? 1
    }

    @Test func aliasesOfBothPartsCountTogetherAgainstTheLimit() {
        var limits = YAMLLimits()
        limits.maxAliasNodes = 5
        let text = "a: &x [1, 2]\nb: [*x]\nc: &y [3, 4]\nd: [*y]\n"
        let bytes = Array(text.utf8)
        let cut = Array(text.utf8).indices.first { $0 > 0 && bytes[$0 - 1] == UInt8(ascii: "\n") && bytes[$0] == UInt8(ascii: "c") }!
        // Each part alone reaches 3 nodes through its alias; together 6, over the limit of 5.
        #expect(YAMLLoader.loadInTwo(bytes: bytes, file: "aliases.yaml", limits: limits, cut: cut) == nil)
        limits.maxAliasNodes = 6
        #expect(YAMLLoader.loadInTwo(bytes: bytes, file: "aliases.yaml", limits: limits, cut: cut) != nil)
    }

    @Test func theCutIsTheTopLevelKeyNearestTheMiddle() {
        let text = "a: 1\n" + String(repeating: "  # padding\n", count: 20) + "b: 2\n" + String(repeating: "  # padding\n", count: 3) + "c: 3\n"
        let bytes = Array(text.utf8)
        let point = bytes.withUnsafeBufferPointer { YAMLLoader.splitPoint(in: $0) }
        let b = bytes.indices.first { bytes[$0] == UInt8(ascii: "b") }
        #expect(point == b)
        // No cut in a file without a final line break, or with no key line but the first.
        let unterminated = Array("a: 1\nb: 2".utf8)
        #expect(unterminated.withUnsafeBufferPointer { YAMLLoader.splitPoint(in: $0) } == nil)
        let oneKey = Array("a:\n  - 1\n  - 2\n".utf8)
        #expect(oneKey.withUnsafeBufferPointer { YAMLLoader.splitPoint(in: $0) } == nil)
    }

    /// Above the threshold, `load` composes in two parts: a file of many top-level keys, each
    /// with a large value, loads to the document it loads to whole.
    @Test func loadSplitsLargeFilesAndGetsTheSameDocument() {
        var text = ""
        for section in 0..<8 {
            text += "section\(section):\n"
            for item in 0..<2_000 { text += "  - {name: item\(item), ports: [tcp/\(item % 65_535 + 1)], note: \"é \(section)\"}\n" }
        }
        let bytes = Array(text.utf8)
        #expect(bytes.count > YAMLLoader.splitThreshold)
        #expect(bytes.withUnsafeBufferPointer { YAMLLoader.splitPoint(in: $0) } != nil)
        #expect(YAMLLoader.loadInTwo(bytes: bytes, file: "large.yaml", limits: YAMLLimits()) != nil)
        let split = YAMLLoader.load(bytes: bytes, file: "large.yaml")
        let whole = YAMLLoader.load(bytes: bytes, file: "large.yaml", limits: YAMLLimits(), stream: false, splitAbove: .max)
        #expect(Self.dump(split) == Self.dump(whole))
    }
}
