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

    /// DNS names as first checked: through the UTF-8 view of a substring.
    static func referenceIsDNSName(_ text: String, requireDot: Bool) -> Bool {
        var bytes = Substring(text).utf8[...]
        if bytes.last == UInt8(ascii: ".") { bytes = bytes.dropLast() }
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        var labels = 1
        var labelLength = 0
        var previous: UInt8 = UInt8(ascii: ".")
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard labelLength >= 1, previous != UInt8(ascii: "-") else { return false }
                labels += 1
                labelLength = 0
            } else {
                let letter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
                let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                guard letter || digit || byte == UInt8(ascii: "-") else { return false }
                if labelLength == 0, byte == UInt8(ascii: "-") { return false }
                labelLength += 1
                guard labelLength <= 63 else { return false }
            }
            previous = byte
        }
        guard labelLength >= 1, previous != UInt8(ascii: "-") else { return false }
        return !requireDot || labels >= 2
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
