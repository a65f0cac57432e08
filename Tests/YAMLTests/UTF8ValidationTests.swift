import TestSupport
import Testing

@testable import YAML

/// `firstInvalidUTF8Offset` skips eight ASCII bytes at a time; it must find the same first
/// invalid byte as a byte-by-byte check wherever that byte falls among the eight.
@Suite struct UTF8ValidationTests {
    /// The byte-by-byte rule: the offset of the first byte that starts no well-formed sequence.
    static func reference(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let (length, lower, upper): (Int, UInt8, UInt8)
            switch lead {
            case 0xC2...0xDF: (length, lower, upper) = (2, 0x80, 0xBF)
            case 0xE0: (length, lower, upper) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, lower, upper) = (3, 0x80, 0xBF)
            case 0xED: (length, lower, upper) = (3, 0x80, 0x9F)
            case 0xF0: (length, lower, upper) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, lower, upper) = (4, 0x80, 0xBF)
            case 0xF4: (length, lower, upper) = (4, 0x80, 0x8F)
            default: return index
            }
            guard index + length <= bytes.count, (lower...upper).contains(bytes[index + 1]) else { return index }
            guard bytes[(index + 2)..<(index + length)].allSatisfy({ (0x80...0xBF).contains($0) }) else { return index }
            index += length
        }
        return nil
    }

    @Test func samples() {
        let texts: [[UInt8]] = [
            [], Array("abc".utf8), Array("exactly8".utf8), Array("sixteen bytes!!!".utf8), Array("héllo wörld, ünïcode €𝄞".utf8),
            Array("12345678".utf8) + [0xFF], Array("1234567".utf8) + [0xC3], Array("123456789".utf8) + [0xED, 0xA0, 0x80],
            [0xF0, 0x9F, 0x98, 0x80] + Array("abcdefgh".utf8), Array("abcdefgh".utf8) + [0xE2, 0x82], [0x80] + Array("abcdefgh".utf8),
        ]
        for bytes in texts { #expect(firstInvalidUTF8Offset(bytes) == Self.reference(bytes), "\(bytes)") }
        #expect(firstInvalidUTF8Offset(Array("12345678".utf8) + [0xFF]) == 8)
    }

    @Test func randomBytes() {
        var rng = SeededGenerator(seed: 8)
        // Runs of ASCII of every length, valid sequences of each length, and stray bytes.
        let pieces: [[UInt8]] = [
            [0x61], [0x0A], Array("abcdefghij".utf8), [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9D, 0x84, 0x9E], [0x80], [0xC3], [0xE0, 0x80, 0x80],
            [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF],
        ]
        var invalid = 0
        for _ in 0..<5_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                // Mostly valid pieces, so that an invalid byte falls at every offset of an eight-byte word.
                let piece = Int.random(in: 0..<10, using: &rng) == 0 ? pieces.randomElement(using: &rng)! : pieces[Int.random(in: 0..<6, using: &rng)]
                bytes += piece
            }
            let found = firstInvalidUTF8Offset(bytes)
            #expect(found == Self.reference(bytes), "\(bytes)")
            if found != nil { invalid += 1 }
        }
        #expect(invalid > 0)
    }
}
