import Diagnostics
import Testing

@testable import YAML

/// The JSON fast path composes exactly the nodes libyaml's composer gives (content, styles and
/// ranges), and leaves to libyaml whatever it does not take.
@Suite struct JSONLoaderTests {
    /// The node's whole shape and every range, as text, to compare two trees.
    func describe(_ node: YAMLNode) -> String {
        func at(_ position: SourcePosition) -> String { "\(position.line):\(position.column)/\(position.offset)" }
        let range = "@\(at(node.range.start))-\(at(node.range.end))"
        switch node.content {
        case .scalar(let text, let style): return "\(style)(\(text.debugDescription))\(range)"
        case .sequence(let items): return "[" + items.map(describe).joined(separator: ", ") + "]\(range)"
        case .mapping(let pairs): return "{" + pairs.map { describe($0.key) + ": " + describe($0.value) }.joined(separator: ", ") + "}\(range)"
        }
    }

    static let documents: [StructuredValue] = [
        .object([
            .init("name", "web"), .init("ports", [80, 443]), .init("ratio", .number("0.5")), .init("negative", -12), .init("on", true),
            .init("off", false), .init("none", .null), .init("empty list", .array([])), .init("empty object", .object([])),
            .init("nested", .object([.init("a", ["x", "y", .object([.init("b", "c")])])])),
        ]),
        .array(["quote\"s", "back\\slash", "line\nbreak\ttab\r\u{08}\u{0C}", "\u{01}\u{1F}\u{7F}", "ünïcødé → 🚀", "\u{2028}\u{2029}", "<<", ""]),
        .object((0..<40).map { StructuredValue.Entry("key-\($0)", .int($0)) }),
        .string("a lone string"),
        .int(7),
    ]

    @Test(arguments: documents.indices)
    func composesWhatLibyamlComposes(index: Int) throws {
        let value = Self.documents[index]
        for text in [JSONWriter.write(value), JSONWriter.compact(value)] {
            let fast = try #require(JSONLoader.load(text: text, file: "out.json"))
            let slow = try #require(YAMLLoader.load(text: text, file: "out.json").root)
            #expect(describe(fast) == describe(slow), "\(text)")
            #expect(fast.weight == slow.weight)
        }
    }

    @Test(arguments: [
        "", "  ", "{\"a\": 1} {}", "{\"a\": 1, \"a\": 2}", "{\"a\"\t: 1}", "{\"a\": \"x\\/y\"}", "{\"a\": \"\\ud800\"}", "[1,]", "[01]", "[1.]",
        "[NaN]", "{a: 1}", "['x']", "[\"\u{7F}\"]", "[\"\u{FFFE}\"]", "\u{FEFF}[1]", "[1]\r\n", "# comment\n[1]", "[tru]", "{\"a\" 1}",
    ])
    func leavesTheRestToLibyaml(text: String) {
        #expect(JSONLoader.load(text: text, file: "out.json") == nil)
    }

    @Test func duplicateKeysOfLargeObjectsAreLeftToLibyaml() {
        let keys = (0..<20).map { "\"k\($0)\": \($0)" } + ["\"k3\": 0"]
        #expect(JSONLoader.load(text: "{" + keys.joined(separator: ", ") + "}", file: "out.json") == nil)
    }

    @Test func nestingBeyondTheLimitIsLeftToLibyaml() {
        var limits = YAMLLimits()
        limits.maxDepth = 3
        #expect(JSONLoader.load(text: "[[[1]]]", file: "out.json", limits: limits) != nil)
        #expect(JSONLoader.load(text: "[[[[1]]]]", file: "out.json", limits: limits) == nil)
        #expect(YAMLLoader.load(text: "[[[[1]]]]", file: "out.json", limits: limits).root == nil)
    }
}
