import Diagnostics
import Testing

@testable import YAML

/// The composer's duplicate-key search: linear in small mappings, through an index once a
/// mapping has 16 keys, and merge keys (`<<`) never counted as duplicates.
@Suite struct ComposerKeyTests {
    func load(_ text: String) -> YAMLLoader.Result { YAMLLoader.load(text: text, file: "t.yaml") }

    func names(_ node: YAMLNode?) -> [String] {
        guard case .mapping(let pairs)? = node?.content else { return [] }
        return pairs.map(\.name)
    }

    @Test(arguments: [3, 15, 16, 17, 40])
    func duplicateKeyIsFoundAtAnySize(keys: Int) {
        // Keys k0…k(n-1), then k(n/2) again: the second one is reported at its line, with the first.
        let again = keys / 2
        let lines = (0..<keys).map { "k\($0): \($0)" } + ["k\(again): again"]
        let result = load(lines.joined(separator: "\n") + "\n")
        #expect(result.diagnostics.map(\.code.rawValue) == ["E007"])
        #expect(result.diagnostics.first?.range?.start.line == keys + 1)
        #expect(result.diagnostics.first?.notes.first?.range?.start.line == again + 1)
        #expect(names(result.root) == (0..<keys).map { "k\($0)" })
    }

    @Test(arguments: [2, 20])
    func mergeKeysAreNotDuplicatesAndOwnKeysWin(keys: Int) {
        // Two merge keys, the mapping's own keys before and after them.
        let own = (0..<keys).map { "k\($0): own" }
        let text = "a: &a {x: 1, k0: merged}\nb: &b {y: 2}\nm:\n" + (own + ["<<: *a", "<<: *b", "z: 3"]).map { "  " + $0 }.joined(separator: "\n") + "\n"
        let result = load(text)
        #expect(result.diagnostics.isEmpty)
        guard case .mapping(let pairs)? = result.root?.content, let m = pairs.first(where: { $0.name == "m" }) else {
            Issue.record("no mapping m")
            return
        }
        #expect(names(m.value) == (0..<keys).map { "k\($0)" } + ["z", "x", "y"])
        guard case .mapping(let merged) = m.value.content, let k0 = merged.first(where: { $0.name == "k0" }) else {
            Issue.record("no k0")
            return
        }
        #expect(k0.value.scalar == "own")
    }

    @Test func aQuotedKeyAfterAMergeKeyIsADuplicateOfIt() {
        // `'<<'` is the string "<<", not a merge key: it repeats the key `<<` before it.
        let result = load("a: &a {x: 1}\nm:\n  <<: *a\n  '<<': 2\n")
        #expect(result.diagnostics.map(\.code.rawValue) == ["E007"])
        #expect(result.diagnostics.first?.range?.start.line == 4)
        #expect(result.diagnostics.first?.notes.first?.range?.start.line == 3)
    }

    @Test func aCollectionKeyIsRefused() {
        let result = load("? [a, b]\n: 1\n")
        #expect(result.root == nil)
        #expect(result.diagnostics.first?.message == "mapping keys must be scalars, not a list")
    }

    @Test func anchoredNodesAreKeptForTheirAliases() {
        let result = load("a: &x [1, 2]\nb: *x\nc: &y v\nd: *y\n")
        #expect(result.diagnostics.isEmpty)
        guard case .mapping(let pairs)? = result.root?.content else {
            Issue.record("not a mapping")
            return
        }
        guard case .sequence(let items) = pairs[1].value.content else {
            Issue.record("alias b lost its list")
            return
        }
        #expect(items.compactMap(\.scalar) == ["1", "2"])
        #expect(pairs[3].value.scalar == "v")
    }
}
