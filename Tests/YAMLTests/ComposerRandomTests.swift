import Diagnostics
import TestSupport
import Testing

@testable import YAML

/// The composer keeps an open collection's children in one buffer of pending nodes and moves
/// them out when the collection ends. Random documents, nested and with repeated keys, must
/// compose into the tree they describe: items and pairs in order, the first of repeated keys
/// kept (each repeat reported), weights counting every node.
@Suite struct ComposerRandomTests {
    /// A document as generated: what it says, before repeated keys are dropped.
    indirect enum Tree {
        case scalar(String)
        case list([Tree])
        case map([(String, Tree)])

        /// The YAML text, in flow style.
        var text: String {
            switch self {
            case .scalar(let word): word
            case .list(let items): "[" + items.map(\.text).joined(separator: ", ") + "]"
            case .map(let pairs): "{" + pairs.map { "\($0.0): \($0.1.text)" }.joined(separator: ", ") + "}"
            }
        }

        /// The repeated keys in this subtree: each is reported.
        var repeats: Int {
            switch self {
            case .scalar: 0
            case .list(let items): items.reduce(0) { $0 + $1.repeats }
            case .map(let pairs):
                pairs.count - Set(pairs.map(\.0)).count + pairs.reduce(0) { $0 + $1.1.repeats }
            }
        }
    }

    static func randomTree(depth: Int, using rng: inout SeededGenerator) -> Tree {
        let words = ["a", "b", "c", "k1", "k2", "value", "x-y", "0", "true"]
        guard depth > 0, Int.random(in: 0..<3, using: &rng) != 0 else { return .scalar(words.randomElement(using: &rng)!) }
        let count = Int.random(in: 0...5, using: &rng)
        if Bool.random(using: &rng) {
            return .list((0..<count).map { _ in randomTree(depth: depth - 1, using: &rng) })
        }
        return .map((0..<count).map { _ in (words.randomElement(using: &rng)!, randomTree(depth: depth - 1, using: &rng)) })
    }

    /// Whether the composed node is the tree with repeated keys dropped (the first kept), and
    /// its weight the nodes it holds.
    static func matches(_ node: YAMLNode, _ tree: Tree) -> Bool {
        switch (node.content, tree) {
        case (.scalar(let text, _), .scalar(let word)):
            return text == word && node.weight == 1
        case (.sequence(let items), .list(let expected)):
            return items.count == expected.count && zip(items, expected).allSatisfy { matches($0, $1) }
                && node.weight == items.reduce(1) { $0 + $1.weight }
        case (.mapping(let pairs), .map(let expected)):
            var seen: Set<String> = []
            let kept = expected.filter { seen.insert($0.0).inserted }
            return pairs.count == kept.count && zip(pairs, kept).allSatisfy { $0.name == $1.0 && matches($0.value, $1.1) }
                && node.weight == pairs.reduce(1) { $0 + $1.key.weight + $1.value.weight }
        default:
            return false
        }
    }

    @Test func randomDocumentsComposeIntoTheirTrees() {
        var rng = SeededGenerator(seed: 2_024)
        for _ in 0..<2_000 {
            let pairs = (0..<Int.random(in: 1...6, using: &rng)).map { index in ("top\(index)", Self.randomTree(depth: 4, using: &rng)) }
            let tree = Tree.map(pairs)
            // The top level in block style, its values in flow style.
            let text = pairs.map { "\($0.0): \($0.1.text)" }.joined(separator: "\n") + "\n"
            let result = YAMLLoader.load(text: text, file: "random.yaml")
            guard let root = result.root else {
                Issue.record("no root for \(text)")
                continue
            }
            #expect(Self.matches(root, tree), "\(text)")
            #expect(result.diagnostics.count == tree.repeats, "\(text)")
            #expect(result.diagnostics.allSatisfy { $0.code == .duplicateKey }, "\(text)")
        }
    }

    @Test func aDocumentThatFailsWithNodesPendingReportsOnlyItsError() {
        // The failure comes with collections open and their children pending.
        let result = YAMLLoader.load(text: "a: [1, 2, {b: [3, 4], ? [x]: 1}]\nc: d\n", file: "t.yaml")
        #expect(result.root == nil)
        #expect(result.diagnostics.map(\.message) == ["mapping keys must be scalars, not a list"])
    }

    @Test func aDuplicateKeyIsReportedAtItsPlaceWithTheFirst() {
        let result = YAMLLoader.load(text: "m: {a: 1, b: [2, 3], a: {c: 4}, b: 5, d: 6}\n", file: "t.yaml")
        #expect(result.diagnostics.map(\.message) == ["duplicate key 'a'", "duplicate key 'b'"])
        #expect(result.diagnostics.map { $0.range?.start.column } == [22, 33])
        #expect(result.diagnostics.map { $0.notes.first?.range?.start.column } == [5, 11])
        guard case .mapping(let top)? = result.root?.content, case .mapping(let pairs) = top[0].value.content else {
            Issue.record("no mapping")
            return
        }
        #expect(pairs.map(\.name) == ["a", "b", "d"])
        #expect(pairs[0].value.scalar == "1")
    }
}
