import TestSupport
import Testing

@testable import YAML

/// Objects and arrays assembled from `JSONWriter.Piece`s, `appendEscaped` and `appendStrings`
/// against `JSONWriter.append` of their trees: every indentation up to beyond the line-start
/// buffer, keys and strings plain, escaped and beyond ASCII.
@Suite struct JSONPiecesTests {
    @Test func piecesAreTheWritersLayout() {
        var rng = SeededGenerator(seed: 67)
        let texts = JSONGatherTests.texts + ["日本", "tab\t", ""]
        for indent in [0, 2, 4, 10, 62, 64, 70] {
            for _ in 0..<200 {
                let keys = (0..<Int.random(in: 1...4, using: &rng)).map { _ in texts.randomElement(using: &rng) ?? "" }
                let lists = keys.map { _ in (0..<Int.random(in: 0...3, using: &rng)).map { _ in texts.randomElement(using: &rng) ?? "" } }
                let (prefix, suffix) = (texts.randomElement(using: &rng) ?? "", texts.randomElement(using: &rng) ?? "")
                var out: [UInt8] = []
                for (index, key) in keys.enumerated() {
                    out += JSONWriter.Piece.key(key, first: index == 0, in: indent)
                    if index % 2 == 0 {
                        JSONWriter.appendStrings(lists[index], at: indent + 2, to: &out)
                    } else {
                        out.append(UInt8(ascii: "\""))
                        JSONWriter.appendEscaped(prefix, to: &out)
                        JSONWriter.appendEscaped(suffix, to: &out)
                        out.append(UInt8(ascii: "\""))
                    }
                }
                out += JSONWriter.Piece.close("}", at: indent)
                let tree: StructuredValue = .object(
                    keys.indices.map { index in
                        .init(keys[index], index % 2 == 0 ? .array(lists[index].map { .string($0) }) : .string(prefix + suffix))
                    })
                var expected: [UInt8] = []
                JSONWriter.append(tree, at: indent, to: &expected)
                #expect(out == expected, "\(indent) \(keys)")
                var items: [UInt8] = []
                for (index, list) in lists.enumerated() {
                    items += JSONWriter.Piece.item(first: index == 0, in: indent)
                    items += JSONWriter.Piece.string(list.first ?? "")
                }
                items += JSONWriter.Piece.close("]", at: indent)
                expected = []
                JSONWriter.append(.array(lists.map { .string($0.first ?? "") }), at: indent, to: &expected)
                #expect(items == expected, "\(indent) \(lists)")
                // `appendQuotedPlain` says whether it took the bytes as they are.
                for text in keys {
                    var quoted: [UInt8] = []
                    let plain = JSONWriter.appendQuotedPlain(text, to: &quoted)
                    #expect(plain == (quoted == Array("\"\(text)\"".utf8) && text.utf8.allSatisfy { $0 < 0x80 }), "\(text)")
                }
            }
        }
    }
}
