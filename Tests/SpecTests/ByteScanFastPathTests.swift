import TestSupport
import Testing

@testable import Spec

/// Label texts, DNS names and reference prefixes are checked on their contiguous UTF-8 bytes;
/// each check must answer what the rule it replaced answers, for every text.
@Suite struct ByteScanFastPathTests {
    /// The rule as first written: ASCII letters and digits (by Unicode's properties), with
    /// '-', '_' or '.' inside.
    static func referenceIsLabelText(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        func alnum(_ s: Unicode.Scalar) -> Bool { s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s)) }
        guard let first = scalars.first, let last = scalars.last, alnum(first), alnum(last) else { return false }
        return scalars.allSatisfy { alnum($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    /// DNS names by their definition, label by label: an optional final dot; at most 253
    /// characters without it; labels of 1 to 63 ASCII letters, digits and '-', neither
    /// starting nor ending with '-'; with `requireDot`, two labels at least.
    static func referenceIsDNSName(_ text: String, requireDot: Bool) -> Bool {
        let name = text.hasSuffix(".") ? String(text.dropLast()) : text
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
        return valid && (!requireDot || labels.count >= 2)
    }

    /// Every check against its reference, for one text.
    static func check(_ text: String) {
        #expect(isLabelText(text) == referenceIsLabelText(text), "\(text.debugDescription)")
        #expect(firstColon(in: text) == text.utf8.firstIndex(of: UInt8(ascii: ":")), "\(text.debugDescription)")
        for requireDot in [false, true] {
            #expect(isDNSName(text, requireDot: requireDot) == referenceIsDNSName(text, requireDot: requireDot), "\(text.debugDescription)")
        }
    }

    static let samples = [
        "", "a", "Z", "0", "app", "svc-00005", "a.b_c-d", "-a", "a-", "_a", "a_", ".a", "a.", "a b", "a/b", "a:b", "ä", "aä", "äa", "a@b", "a[b",
        "a`b", "a{b", "é1", "١", "a١", "\u{0}", "a\u{7F}b", "ﬁ", "Ⅻ", "a\u{301}", "tier", "wl-00386", "segment:seg-0001", "workload:", ":x", "::",
    ]

    @Test func samples() {
        let long = String(repeating: "a", count: 63)
        let dnsSamples = [
            "registry.example.com", "example.com.", "a..b", "-a.b", "a-.b", "a.b-", "localhost", "xn--bcher-kva.example", "A.B", "1.2.3.4", ".", "..",
            long, long + "a", long + "." + long, String(repeating: "a.", count: 126) + "a", String(repeating: "a.", count: 127) + "a", "é.com", "a_b.com",
        ]
        for text in Self.samples + dnsSamples { Self.check(text) }
    }

    @Test func randomTexts() {
        var rng = SeededGenerator(seed: 15)
        let pieces = ["a", "z", "A", "Z", "0", "9", "-", "_", ".", ":", "/", " ", "@", "`", "[", "{", "é", "ä", "١", "ﬁ", "\u{301}", "€", "😀"]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &rng)
            // Long texts too: a string over 15 bytes is stored apart from its value.
            let text = (0..<length).map { _ in pieces.randomElement(using: &rng)! }.joined()
            Self.check(text)
            // A text rebuilt from a slice takes the same answers.
            Self.check(String(Substring(text).dropFirst()))
        }
        // DNS-like texts, long ones over the length limits among them.
        let dnsPieces = ["a", "b", "7", "-", ".", "ab", "example", String(repeating: "x", count: 30)]
        for _ in 0..<5_000 {
            let length = Int.random(in: 1...40, using: &rng)
            Self.check((0..<length).map { _ in dnsPieces.randomElement(using: &rng)! }.joined())
        }
    }
}
