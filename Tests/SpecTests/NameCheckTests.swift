import Testing

@testable import Spec

/// The DNS name and label checks work on bytes; they agree with the rules written over
/// characters (docs/language.md) on ASCII, non-ASCII and edge cases.
@Suite struct NameCheckTests {
    /// The rule as written: labels of 1-63 letters, digits and '-', not starting or ending
    /// with '-', at most 253 characters in all, one final dot allowed.
    static func referenceDNSName(_ text: String, requireDot: Bool) -> Bool {
        var name = text
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, name.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if requireDot, labels.count < 2 { return false }
        return labels.allSatisfy { label in
            guard (1...63).contains(label.count), label.first != "-", label.last != "-" else { return false }
            return label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
    }

    static let names: [String] = [
        "", ".", "..", "a", "a.", "a..", ".a", "a.b", "a.b.", "A.B", "a-b.c", "-a.b", "a-.b", "a.-b", "a.b-", "a_b.c", "a b.c",
        "xn--bcher-kva.example", "é.example", "a.é", "a\u{301}.b", "a.b.\u{301}", "@.b", "[.b", "`.b", "{.b", "a.b:80", "1.2.3.4",
        "a\r\n.b", String(repeating: "a", count: 63) + ".b", String(repeating: "a", count: 64) + ".b",
        (0..<50).map { _ in "abcd" }.joined(separator: "."), (0..<51).map { _ in "abcd" }.joined(separator: ".") + ".",
        (0..<51).map { _ in "abcd" }.joined(separator: "."), "registry.example.com", "localhost", "LOCALHOST.",
    ]

    @Test(arguments: names)
    func dnsNameAgreesWithTheRule(name: String) {
        #expect(isDNSName(name, requireDot: false) == Self.referenceDNSName(name, requireDot: false))
        #expect(isDNSName(name, requireDot: true) == Self.referenceDNSName(name, requireDot: true))
    }

    @Test func dnsLabels() {
        #expect(isDNSLabel("wl-00001", maxLength: 40))
        #expect(isDNSLabel("a", maxLength: 1))
        #expect(!isDNSLabel("ab", maxLength: 1))
        #expect(!isDNSLabel("", maxLength: 40))
        #expect(!isDNSLabel("1a", maxLength: 40))
        #expect(!isDNSLabel("a-", maxLength: 40))
        #expect(!isDNSLabel("A", maxLength: 40))
        #expect(!isDNSLabel("a_b", maxLength: 40))
        #expect(!isDNSLabel("é", maxLength: 40))
        #expect(!isDNSLabel("aé", maxLength: 40))
        #expect(isDNSLabel(String(repeating: "a", count: 40), maxLength: 40))
        #expect(!isDNSLabel(String(repeating: "a", count: 41), maxLength: 40))
    }
}
