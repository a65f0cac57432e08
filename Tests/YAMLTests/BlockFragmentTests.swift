import TestSupport
import Testing

@testable import YAML

/// The direct writer's single-quoted scalars, `Block.nonEmptyMapping`, and fragments recorded
/// and replayed, each against libyaml's bytes or the tree the same calls describe.
@Suite struct BlockFragmentTests {
    /// Random printable ASCII, heavy in what refuses plain style (`: `, ` #`, quotes, leading
    /// and trailing blanks, indicators first): as keys and values, written directly, libyaml's
    /// bytes, and never left to libyaml.
    @Test func printableASCIIIsWrittenDirectlyAsLibYAMLWritesIt() throws {
        var rng = SeededGenerator(seed: 97)
        let alphabet = Array("ab1 :#'\"\\-?,[]{}&*!|>%@`=~.").map(String.init)
        var quoted = 0
        for _ in 0..<3000 {
            func text() -> String {
                (0..<Int.random(in: 1...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            }
            let document: StructuredValue = .object([.init(text(), .string(text())), .init("k", .array([.string(text())]))])
            var bytes: [UInt8] = []
            #expect(BlockWriter.document(document, into: &bytes), "\(document)")
            if bytes.contains(UInt8(ascii: "'")) { quoted += 1 }
            #expect(try YAMLWriter.write([document]) == YAMLWriter.writeWithLibYAML([document]), "\(document)")
        }
        // The single-quoted style is exercised, not only plain and double-quoted.
        #expect(quoted > 1000)
        // Bytes that need escapes still go to libyaml.
        for other in ["tab\there", "line\nbreak", "ünï"] {
            var bytes: [UInt8] = []
            #expect(!BlockWriter.document(.object([.init("k", .string(other))]), into: &bytes))
        }
    }

    /// A mapping written with `nonEmptyMapping` is the tree's entry when its body writes
    /// something, and no entry at all when it writes nothing, at the top, nested, and as the
    /// first key of a sequence item.
    @Test func nonEmptyMappingsAreLeftOutWhenEmpty() throws {
        for filled in [false, true] {
            func body(_ out: inout YAMLWriter.Block) { if filled { out.string("x", "1 #") } }
            let inner: [StructuredValue.Entry] = filled ? [.init("x", "1 #")] : []
            /// `entries`, with the `m` entry only when it has something.
            func tree(_ entries: [StructuredValue.Entry]) -> StructuredValue {
                .object(entries.filter { entry in entry.key != "m" || filled })
            }
            let document = tree([
                .init("a", "b"), .init("m", .object(inner)),
                .init("s", .array([tree([.init("m", .object(inner)), .init("c", "d")])])),
                .init("n", tree([.init("m", .object(inner)), .init("e", .int(1))])),
            ])
            var direct = YAMLWriter.Stream()
            try direct.append(
                writing: { out in
                    out.string("a", "b")
                    out.nonEmptyMapping("m", body)
                    out.sequence("s") { out in
                        out.itemMapping { out in
                            out.nonEmptyMapping("m", body)
                            out.string("c", "d")
                        }
                    }
                    out.mapping("n") { out in
                        out.nonEmptyMapping("m", body)
                        out.int("e", 1)
                    }
                }, otherwise: { .object([]) })
            var built = YAMLWriter.Stream()
            try built.append(document)
            #expect(try direct.text() == built.text())
        }
    }

    /// Random trees written with every mapping item recorded once and replayed wherever the
    /// same item comes again give the bytes written without fragments, at whatever place
    /// (indentation, after a dash or not) the item comes; an item only libyaml writes still
    /// makes the document fall back.
    @Test func replayedFragmentsAreTheBytesTheirBodiesWrite() throws {
        var rng = SeededGenerator(seed: 101)
        let parts: [StructuredValue] = [
            .object([.init("podSelector", .object([.init("matchLabels", .object([.init("app", "web")]))]))]),
            .object([.init("ipBlock", .object([.init("cidr", "10.0.0.0/8")]))]),
            .object([.init("a: b", "it's")]),
            .object([.init("tab\there", "x")]),
            .object([]),
        ]
        var replayedInAll = 0
        for _ in 0..<300 {
            var fragments: [Int: YAMLWriter.Block.Fragment] = [:]
            var replayed = 0
            func item(_ index: Int, into out: inout YAMLWriter.Block) {
                guard case .object(let entries) = parts[index] else { return }
                if let known = fragments[index], out.replay(known) {
                    replayed += 1
                    return
                }
                fragments[index] = out.recording { DirectWriterTests.replay(entries, into: &$0) }
            }
            let picks = (0..<Int.random(in: 1...6, using: &rng)).map { _ in Int.random(in: 0..<parts.count, using: &rng) }
            let nested = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Int.random(in: 0..<parts.count, using: &rng) }
            let document: StructuredValue = .object([
                .init("items", .array(picks.map { parts[$0] })),
                .init("deeper", .object([.init("items", .array(nested.map { parts[$0] }))])),
            ])
            var direct = YAMLWriter.Stream()
            try direct.append(
                writing: { out in
                    out.sequence("items") { out in for pick in picks { out.itemMapping { item(pick, into: &$0) } } }
                    out.mapping("deeper") { out in
                        out.sequence("items") { out in for pick in nested { out.itemMapping { item(pick, into: &$0) } } }
                    }
                }, otherwise: { document })
            var built = YAMLWriter.Stream()
            try built.append(document)
            #expect(try direct.text() == built.text())
            replayedInAll += replayed
        }
        // Fragments are replayed, not only recorded.
        #expect(replayedInAll > 100)
    }
}
