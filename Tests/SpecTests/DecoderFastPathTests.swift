import TestSupport
import Testing

@testable import Spec

/// The decoder's shortcuts, each against the rule it stands for.
///
/// `Decoder.integer` reads plain digits from their bytes (`plainDecimal`) before the general
/// rule (`signedInteger`); wherever the fast reading answers, it must give the general rule's
/// value, and together they must accept and refuse exactly what the general rule does.
@Suite struct DecoderFastPathTests {
    static func check(_ text: String) {
        let general = signedInteger(text)
        if let fast = plainDecimal(text) { #expect(fast == general, "\(text.debugDescription)") }
        #expect((plainDecimal(text) ?? signedInteger(text)) == general, "\(text.debugDescription)")
    }

    @Test func samples() {
        for text in ["0", "1", "2", "007", "100000", "+5", "-5", "--5", "+-5", "5-", "", " 1", "1 ", "1.0", "1e3", "٣", "12٣", "0x10"] {
            Self.check(text)
        }
        // The longest plain reading, and longer texts left to the general rule (overflow too).
        Self.check(String(repeating: "9", count: 18))
        Self.check(String(repeating: "9", count: 19))
        Self.check("9223372036854775807")
        Self.check("9223372036854775808")
        #expect(plainDecimal("123") == 123)
        #expect(plainDecimal("+1") == nil)
        #expect(plainDecimal(String(repeating: "1", count: 19)) == nil)
    }

    @Test func randomTexts() {
        var rng = SeededGenerator(seed: 7)
        let pieces = ["0", "1", "5", "9", "+", "-", " ", "٣", "a", "."]
        var plain = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...22, using: &rng)
            // Mostly digits, so that long plain numbers are met as often as odd texts.
            let text = (0..<length).map { _ in Int.random(in: 0..<4, using: &rng) == 0 ? pieces.randomElement(using: &rng)! : "7" }.joined()
            Self.check(text)
            if plainDecimal(text) != nil { plain += 1 }
        }
        #expect(plain > 0)
    }

    /// The workload decoder asks whether a key is a near miss of `segment` only for keys the
    /// workload shape lacks; that holds because none of the shape's own keys is one.
    @Test func noWorkloadKeyIsANearMissOfSegment() {
        var decoder = Decoder()
        for key in SpecSchema.workload.keys {
            let nearMiss = decoder.isNearMissOfSegment(key)
            #expect(!nearMiss, "\(key)")
        }
        let misspelled = decoder.isNearMissOfSegment("segmnt")
        #expect(misspelled)
    }
}
