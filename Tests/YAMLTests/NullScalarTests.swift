import Diagnostics
import TestSupport
import Testing

@testable import YAML

/// `isNull` rules texts out by their length before comparing them; it must answer as the
/// plain comparison with YAML's null words does, for every style and text.
@Suite struct NullScalarTests {
    /// The definition `isNull` implements: an empty plain scalar, `~`, `null`, `Null`, `NULL`.
    static func reference(_ node: YAMLNode) -> Bool {
        guard case .scalar(let text, .plain) = node.content else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    static func scalar(_ text: String, _ style: ScalarStyle = .plain) -> YAMLNode {
        YAMLNode(.scalar(text, style), range: .wholeFile("t.yaml"))
    }

    @Test func samplesAnswerAsTheComparison() {
        let texts = ["", "~", "null", "Null", "NULL", "nULL", "nul", "nulll", "~~", " ", "NuLL", "null ", "\u{212A}", "é", "nüll", "0", "false"]
        for text in texts {
            for style in [ScalarStyle.plain, .singleQuoted, .doubleQuoted, .literal, .folded] {
                let node = Self.scalar(text, style)
                #expect(node.isNull == Self.reference(node), "\(text.debugDescription) \(style)")
            }
        }
        #expect(Self.scalar("null").isNull)
        #expect(!Self.scalar("null", .doubleQuoted).isNull)
        #expect(!YAMLNode(.sequence([]), range: .wholeFile("t.yaml")).isNull)
    }

    @Test func randomTextsAnswerAsTheComparison() {
        var rng = SeededGenerator(seed: 15)
        // Pieces of the null words, letters of other cases, multi-byte and combining characters.
        let pieces = ["n", "u", "l", "N", "U", "L", "~", "x", "é", "\u{301}", "\u{212A}", " ", "0"]
        var nulls = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...5, using: &rng)
            let text = (0..<length).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let node = Self.scalar(text)
            #expect(node.isNull == Self.reference(node), "\(text.debugDescription)")
            if node.isNull { nulls += 1 }
        }
        // The random texts reach the null words too, not only texts that are not null.
        #expect(nulls > 0)
    }
}
