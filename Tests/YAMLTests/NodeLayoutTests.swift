import Diagnostics
import Testing

@testable import YAML

/// A node stores its range and weight compactly; what goes in comes out.
@Suite struct NodeLayoutTests {
    @Test func aNodeKeepsItsRangeAndWeight() {
        let range = SourceRange(
            file: "a/long/path/to/some/spec-file.yaml", start: SourcePosition(line: 1_000_000, column: 4_096, offset: 900_000_000),
            end: SourcePosition(line: 1_000_001, column: 1, offset: 1_073_741_824))
        var node = YAMLNode(.scalar("x", .plain), range: range)
        #expect(node.range == range)
        #expect(node.weight == 1)
        node.weight = 123_456_789
        #expect(node.weight == 123_456_789)
        let other = SourceRange(file: "b.yaml", start: SourcePosition(line: 2, column: 3, offset: 4), end: SourcePosition(line: 5, column: 6, offset: 7))
        node.range = other
        #expect(node.range == other)
        let list = YAMLNode(.sequence([node, node]), range: range)
        #expect(list.weight == 1 + 2 * 123_456_789)
    }

    @Test func aNodeIsSmallerThanItsParts() {
        // Content, a file name and six 32-bit positions: 64 bytes, the weight in the padding.
        #expect(MemoryLayout<YAMLNode>.stride <= 64)
    }

    @Test func keysAreFoundInSmallAndLargeMappings() {
        for count in [3, 15, 16, 40] {
            let keys = (0..<count).map { "k\($0)" }
            let text = keys.map { "\($0): 1\n" }.joined() + "k1: 2\n"
            let result = YAMLLoader.load(text: text, file: "t.yaml")
            #expect(result.diagnostics.map(\.message) == ["duplicate key 'k1'"])
            #expect(result.diagnostics.first?.range?.start.line == count + 1)
            #expect(result.diagnostics.first?.notes.first?.range?.start.line == 2)
        }
    }
}
