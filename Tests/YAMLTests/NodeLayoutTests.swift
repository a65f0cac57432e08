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

    /// The composer makes nodes from libyaml's marks directly; each must hold what the public
    /// initializer makes of its range and content (weights of aliases and merged mappings too).
    @Test func composedNodesMatchTheGenericInitializer() {
        let text = """
            base: &b {image: "r/a:1", ports: [tcp/80, udp/53]}
            list: &l [1, [2, 3], {k: v}]
            again: [*l, *b, *l]
            merged: {<<: *b, own: x, ports: [tcp/1]}
            block:
              - a
              - b: |
                  text
                c: 'quoted'
            """
        let result = YAMLLoader.load(text: text, file: "dir/some-long-file-name.yaml")
        #expect(result.diagnostics.isEmpty)
        guard let root = result.root else {
            Issue.record("no root")
            return
        }
        var count = 0
        func check(_ node: YAMLNode) {
            count += 1
            let generic = YAMLNode(node.content, range: node.range)
            #expect(generic.range == node.range)
            #expect(generic.weight == node.weight)
            #expect(node.range.file == "dir/some-long-file-name.yaml")
            switch node.content {
            case .scalar: break
            case .sequence(let items): items.forEach(check)
            case .mapping(let pairs):
                for pair in pairs {
                    check(pair.key)
                    check(pair.value)
                }
            }
        }
        check(root)
        #expect(count == root.weight)
        // Lines and columns are 1-based, offsets 0-based, as libyaml's marks plus one.
        guard case .mapping(let pairs) = root.content, let block = pairs.first(where: { $0.name == "block" }) else {
            Issue.record("no block")
            return
        }
        #expect(block.key.range.start == SourcePosition(line: 5, column: 1, offset: text.utf8.split(separator: 10).prefix(4).reduce(0) { $0 + $1.count + 1 }))
        #expect(block.value.range.start.line == 6)
        #expect(block.value.range.start.column == 3)
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
