import Diagnostics
import Testing

@testable import YAML

@Suite struct LoaderTests {
    func load(_ text: String) -> YAMLLoader.Result { YAMLLoader.load(text: text, file: "t.yaml") }

    func codes(_ result: YAMLLoader.Result) -> [String] { result.diagnostics.map(\.code.rawValue) }

    @Test func composesNodesWithMarks() throws {
        let result = load("a: 1\nb:\n  - x\n  - 'y'\n")
        #expect(result.diagnostics.isEmpty)
        guard case .mapping(let pairs) = result.root?.content else {
            Issue.record("not a mapping")
            return
        }
        #expect(pairs.map(\.name) == ["a", "b"])
        #expect(pairs[1].key.range.start == SourcePosition(line: 2, column: 1, offset: pairs[1].key.range.start.offset))
        guard case .sequence(let items) = pairs[1].value.content else {
            Issue.record("not a sequence")
            return
        }
        #expect(items[1].range.start.line == 4)
        #expect(items[1].range.start.column == 5)
        guard case .scalar("y", .singleQuoted) = items[1].content else {
            Issue.record("quoted style lost")
            return
        }
    }

    /// libyaml marks the end of an input without a final line break one line past its last;
    /// a node there (the empty document `---`) is placed at the end of the last line instead.
    @Test func aMarkAtTheEndOfAnInputWithoutALineBreakIsOnItsLastLine() throws {
        for (text, line, column) in [("---", 1, 4), ("a: 1\nb:", 2, 3), ("x: [1,\n 2]", 2, 4), ("---\n", 2, 1)] {
            let result = YAMLLoader.load(text: text, file: "t.yaml")
            let root = try #require(result.root, "\(text)")
            #expect(root.range.end.line == line, "\(text)")
            #expect(root.range.end.column == column, "\(text)")
            #expect(root.range.start.line <= line, "\(text)")
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            #expect(root.range.end.line <= lines, "\(text)")
        }
    }

    @Test func duplicateKeysAreErrorsWithTheFirstPlace() {
        let result = load("a: 1\nb: 2\na: 3\n")
        #expect(codes(result) == ["E007"])
        #expect(result.diagnostics.first?.range?.start.line == 3)
        #expect(result.diagnostics.first?.notes.first?.range?.start.line == 1)
    }

    @Test func aliasesAndMergeKeysWork() {
        let result = load("base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\nlist: [*b]\n")
        #expect(result.diagnostics.isEmpty)
        guard case .mapping(let pairs) = result.root?.content, case .mapping(let thing) = pairs[1].value.content else {
            Issue.record("bad shape")
            return
        }
        #expect(thing.map(\.name).sorted() == ["x", "y"])
        #expect(thing.first { $0.name == "y" }?.value.scalar == "3")
    }

    @Test func aliasBombIsRefusedQuickly() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<12 {
            let previous = "*a\(level - 1)"
            text += "a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
        }
        #expect(codes(load(text)) == ["E006"])
    }

    @Test func deepNestingIsRefused() {
        let text = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(codes(load(text)) == ["E005"])
        let blocks = (0..<100).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n")
        #expect(codes(load(blocks)) == ["E005"])
    }

    @Test func invalidUTF8IsLocated() {
        var bytes = Array("a: b\nc: d".utf8)
        bytes.insert(0xC3, at: 8)
        bytes.insert(0x28, at: 9)
        let result = YAMLLoader.load(bytes: bytes, file: "t.yaml")
        #expect(codes(result) == ["E003"])
        #expect(result.diagnostics.first?.range?.start.line == 2)
        #expect(result.diagnostics.first?.range?.start.column == 4)
    }

    @Test func oversizedInputIsRefusedBeforeParsing() {
        var limits = YAMLLimits()
        limits.maxBytes = 10
        #expect(YAMLLoader.load(text: "a: 0123456789", file: "t", limits: limits).diagnostics.map(\.code) == [.inputTooLarge])
    }

    @Test(arguments: [
        ("", "E008"), ("# only a comment\n", "E008"), ("a: 1\n---\nb: 2\n", "E009"), ("a: [1, 2\n", "E004"),
        ("a: *nothing\n", "E011"), ("? [a, b]\n: c\n", "E010"), ("a: !!python/object x\n", "E010"), ("\"a\n", "E004"),
        ("a: b: c\n", "E004"), ("\t- x\n", "E004"),
    ])
    func malformedInputGivesOneLocatedError(text: String, code: String) {
        let result = load(text)
        #expect(codes(result) == [code])
        #expect(result.root == nil || code == "E010")
    }

    @Test func controlBytesAndNULDoNotCrash() {
        for byte in UInt8(0)..<32 {
            let result = YAMLLoader.load(bytes: [0x61, 0x3A, 0x20, byte, 0x62], file: "t")
            #expect(result.root != nil || !result.diagnostics.isEmpty)
        }
    }
}
