import TestSupport
import Testing

@testable import YAML

/// `BlockWriter.simplePlain`, the one-pass test that lets a name be written plain, against
/// the two checks it stands for: it may only answer true where `ambiguous` answers false and
/// `plainInBlock` true.
@Suite struct SimplePlainTests {
    static func agrees(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { bytes in
            !BlockWriter.simplePlain(bytes) || (!BlockWriter.ambiguous(bytes) && BlockWriter.plainInBlock(bytes))
        }
    }

    static func simple(_ text: String) -> Bool { Array(text.utf8).withUnsafeBufferPointer { BlockWriter.simplePlain($0) } }

    @Test func samplesOfNamesAndOfWhatIsNoName() {
        let names = [
            "apiVersion", "kind", "metadata", "palisade.dev/workload", "web-1", "podSelector", "matchLabels", "Ingress", "Egress", "port", "name", "to",
            "from", "TCP", "type", "nO", "yES", "trUE", "Nulls", "fals", "ofF", "oN", "yess",
        ]
        for name in names {
            #expect(Self.simple(name))
            #expect(Self.agrees(name))
        }
        // Words, numbers, indicators and blanks: none of them is taken by the fast path.
        for other in ["yes", "No", "on", "Off", "y", "TRUE", "false", "null", "1", "0755", ".inf", "-a", "a b", "a:b", "a#b", "", "~", "ünï", "Y", "N", "n"] {
            #expect(!Self.simple(other))
        }
    }

    /// Every word `ambiguous` quotes in each of its case patterns, and each with one letter
    /// changed, cut or added: `simplePlain` takes exactly the ones the full checks write plain
    /// (on names it refuses no more than they do).
    @Test func shortNamesAreRefusedExactlyWhenTheyAreWords() {
        let words = ["y", "n", "no", "on", "yes", "off", "null", "true", "false"].map { Array($0.utf8) }
        var refused = 0
        func check(_ bytes: [UInt8]) -> Bool {
            let (simple, full) = bytes.withUnsafeBufferPointer { (BlockWriter.simplePlain($0), !BlockWriter.ambiguous($0) && BlockWriter.plainInBlock($0)) }
            // A name: an ASCII letter, then letters, digits, `-`, `.`, `/` or `_`.
            let name = bytes.first.map { ($0 | 0x20) &- UInt8(ascii: "a") < 26 } == true && bytes.allSatisfy(BlockBytesTests.nameByte)
            #expect(name ? simple == full : !simple || full, "\(String(decoding: bytes, as: UTF8.self))")
            return simple
        }
        for word in words {
            for mask in 0..<(1 << word.count) {
                let variant = word.enumerated().map { index, byte in mask & (1 << index) != 0 ? byte & ~0x20 : byte }
                if !check(variant) { refused += 1 }
                for index in variant.indices {
                    for other in "aeosxNT-1".utf8 {
                        var changed = variant
                        changed[index] = other
                        _ = check(changed)
                    }
                    _ = check(Array(variant[..<index]))
                }
                _ = check(variant + [UInt8(ascii: "s")])
            }
        }
        // Lower case, capitalized and upper case: one spelling for `y` and `n`, three for the rest.
        #expect(refused == 2 * 2 + 7 * 3)
    }

    /// Random strings over an alphabet of letters, digits, indicators and blanks, and the YAML
    /// 1.1 words with suffixes.
    @Test func randomStringsAgreeWithTheFullChecks() {
        var rng = SeededGenerator(seed: 89)
        let alphabet = Array("aeoNnYyTtFfOo019._-/: #\"'&*!|>%@`,[]{}?=<~+\t".unicodeScalars).map(String.init)
        // Mostly name characters, so that many strings are names and the fast path answers.
        let names = Array("abkmnoqstxyzABNOTY0123456789-._/".unicodeScalars).map(String.init)
        let words = ["yes", "no", "on", "off", "true", "false", "null", "Yes", "NO", "On", "y", "n", "Null", "TRUE"]
        var taken = 0
        for _ in 0..<20_000 {
            var text = Int.random(in: 0..<4, using: &rng) == 0 ? words.randomElement(using: &rng)! : ""
            for _ in 0..<Int.random(in: 0...7, using: &rng) {
                text += (Int.random(in: 0..<8, using: &rng) == 0 ? alphabet : names).randomElement(using: &rng)!
            }
            #expect(Self.agrees(text), "\(text)")
            if Self.simple(text) { taken += 1 }
        }
        // The fast path is exercised, not only refused.
        #expect(taken > 1000)
    }
}

/// `YAMLWriter.Block.Key` literals, read in place, give the bytes of the same keys as strings
/// and of the tree: names, words and numbers that must be quoted, keys only libyaml writes.
@Suite struct BlockKeyTests {
    @Test func literalKeysAreTheirStringsBytes() throws {
        func literals(_ out: inout YAMLWriter.Block) {
            out.string("apiVersion", "v1")
            out.mapping("metadata") { out in
                out.string("yes", "a")
                out.int("0755", 1)
                out.bool("on", true)
                out.sequence("port-name_1.x/y") { $0.item("TCP") }
                out.entry("empty", .object([]))
            }
        }
        let tree: StructuredValue = .object([
            "apiVersion": "v1",
            "metadata": .object([
                "yes": "a", "0755": .int(1), "on": .bool(true), "port-name_1.x/y": .array(["TCP"]), "empty": .object([]),
            ]),
        ])
        var direct = YAMLWriter.Stream()
        try direct.append(writing: literals, otherwise: { tree })
        var replayed = YAMLWriter.Stream()
        try replayed.append(writing: { out in if case .object(let entries) = tree { DirectWriterTests.replay(entries, into: &out) } }, otherwise: { tree })
        var built = YAMLWriter.Stream()
        try built.append(tree)
        #expect(try direct.text() == built.text())
        #expect(try replayed.text() == built.text())
        // A key only libyaml writes (escapes) makes the direct path give way to the tree.
        var escaped = YAMLWriter.Stream()
        var fellBack = false
        try escaped.append(
            writing: { $0.string("tab\there", "x") },
            otherwise: {
                fellBack = true
                return .object(["tab\there": "x"])
            })
        #expect(fellBack)
    }
}
