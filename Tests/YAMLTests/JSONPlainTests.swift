import TestSupport
import Testing

@testable import YAML

/// JSON strings written as they are: the word-at-a-time test against the byte-by-byte one, on
/// every byte in every position of words and tails, and on random byte strings.
@Suite struct JSONPlainTests {
    static func reference(_ bytes: [UInt8]) -> Bool {
        !bytes.contains { $0 < 0x20 || $0 >= 0x7F || $0 == 0x22 || $0 == 0x5C }
    }

    static func check(_ bytes: [UInt8]) {
        #expect(bytes.withUnsafeBufferPointer(JSONWriter.isPlain) == reference(bytes), "\(bytes)")
    }

    @Test func wordsAndTailsAsByteByByte() {
        for length in 0...20 {
            for position in 0..<max(length, 1) {
                for byte in UInt8.min...UInt8.max {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if position < length { bytes[position] = byte }
                    Self.check(bytes)
                }
            }
        }
        var rng = SeededGenerator(seed: 59)
        let alphabet: [UInt8] = [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0xA0, 0xFF, 0x41, 0x61]
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                Bool.random(using: &rng) ? alphabet.randomElement(using: &rng) ?? 0 : UInt8.random(in: 0x20...0x7E, using: &rng)
            }
            Self.check(bytes)
        }
    }

    /// Strings with and without escapes are written as `JSONWriter.write` always wrote them.
    @Test func stringsAreEscapedAsBefore() {
        let texts = ["", "plain text of more than eight bytes", "quote \" here", "back\\slash", "tab\tand\nnewline", "é and ü", "\u{7F}del", "\u{2028}"]
        for text in texts { #expect(JSONWriter.compact(.string(text)) == JSONGatherTests.quoted(text)) }
    }
}
