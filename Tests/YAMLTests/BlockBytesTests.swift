import TestSupport
import Testing

@testable import YAML

/// `BlockBytes`, the buffer `YAMLWriter.Block` writes into, and `BlockWriter.simplePlain`'s
/// eight-bytes-at-a-time test, each against the plain code it stands for.
@Suite struct BlockBytesTests {
    /// `simplePlain`'s test of one byte, as it was written before words were tested eight
    /// bytes at a time.
    static func nameByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "-") < 13 || byte == UInt8(ascii: "_")
    }

    /// `simplePlain` byte by byte: the same first-byte checks (a short name refused when
    /// `ambiguous` quotes it), then every byte one by one.
    static func simplePlainOneByOne(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, (first | 0x20) &- UInt8(ascii: "a") < 26 else { return false }
        if bytes.count <= 5, "nytfo".utf8.contains(first | 0x20), bytes.withUnsafeBufferPointer(BlockWriter.ambiguous) { return false }
        return bytes.allSatisfy(nameByte)
    }

    /// Every byte value in every lane of a word, and random words mostly of name bytes.
    @Test func wordsAgreeWithTheByteTest() {
        let base = Array("abcdefgh".utf8)
        for lane in 0..<8 {
            for value in 0...255 {
                var bytes = base
                bytes[lane] = UInt8(value)
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(BlockWriter.nameBytes(word) == bytes.allSatisfy(Self.nameByte), "\(bytes)")
            }
        }
        var rng = SeededGenerator(seed: 41)
        let names = Array("azAZ09-./_mQ".utf8)
        for _ in 0..<20_000 {
            let bytes = (0..<8).map { _ in
                Int.random(in: 0..<6, using: &rng) == 0 ? UInt8.random(in: 0...255, using: &rng) : names.randomElement(using: &rng)!
            }
            let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect(BlockWriter.nameBytes(word) == bytes.allSatisfy(Self.nameByte), "\(bytes)")
        }
    }

    /// Strings long enough to take the word loop and its tail, from any bytes.
    @Test func simplePlainAgreesWithTheByteLoop() {
        var rng = SeededGenerator(seed: 43)
        let names = Array("abkmnoqstxyzABNOTY0123456789-._/".utf8)
        var taken = 0
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                Int.random(in: 0..<40, using: &rng) == 0 ? UInt8.random(in: 0...255, using: &rng) : names.randomElement(using: &rng)!
            }
            let fast = bytes.withUnsafeBufferPointer { BlockWriter.simplePlain($0) }
            #expect(fast == Self.simplePlainOneByOne(bytes), "\(bytes)")
            if fast { taken += 1 }
        }
        #expect(taken > 1000)
    }

    /// `append(decimal:)` writes `String(value)`'s bytes, the extremes included.
    @Test func decimalsAreTheStringsBytes() {
        var rng = SeededGenerator(seed: 47)
        let values =
            [0, 1, -1, 9, 10, -10, 99, 100, 65535, Int.max, Int.min, Int.min + 1] + (0..<2000).map { _ in Int.random(in: Int.min...Int.max, using: &rng) }
        var out = BlockBytes()
        var expected: [UInt8] = []
        for value in values {
            out.append(decimal: value)
            out.append(UInt8(ascii: " "))
            expected += Array(String(value).utf8) + [UInt8(ascii: " ")]
        }
        #expect(out.bytes(from: 0) == expected)
    }

    /// Writes, truncation and the array path keep exactly the bytes written, across many
    /// steps of room, with stale bytes in the room after a truncation.
    @Test func bytesAreWhatWasWritten() {
        var rng = SeededGenerator(seed: 53)
        var out = BlockBytes()
        "start".utf8.withContiguousStorageIfAvailable { out.append($0) }
        var expected = Array("start".utf8)
        for _ in 0..<5000 {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0:
                let indent = Int.random(in: 0...30, using: &rng)
                out.lineStart(indent)
                expected += [UInt8(ascii: "\n")] + Array(repeating: UInt8(ascii: " "), count: indent)
            case 1:
                let bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                bytes.withUnsafeBufferPointer { out.append($0) }
                expected += bytes
            case 2:
                let mark = Int.random(in: 0...expected.count, using: &rng)
                out.truncate(to: mark)
                expected.removeSubrange(mark...)
            case 3:
                out.withArray { $0 += "via array".utf8 }
                expected += "via array".utf8
            default:
                out.append(" {}")
                expected += " {}".utf8
            }
            #expect(out.count == expected.count)
        }
        #expect(out.bytes(from: 0) == expected)
        #expect(out.withBytes { Array($0) } == expected)
    }

    /// Documents of many kilobytes written through `Block` are libyaml's bytes.
    @Test func largeDocumentsAreLibYAMLsBytes() throws {
        let documents: [StructuredValue] = (0..<4).map { document in
            .object(
                (0..<300).map { key in
                    .init(
                        "key-\(document)-\(key)",
                        key.isMultiple(of: 3)
                            ? .array([.object(["name": .string("item-\(key)"), "port": .int(key * 37 - 500)]), .string("yes")])
                            : .object(["inner": .object(["deeper": .string("value.\(key)/x")]), "n": .int(-key)]))
                })
        }
        var stream = YAMLWriter.Stream(header: ["h"])
        for document in documents {
            try stream.append(
                writing: { out in if case .object(let entries) = document { DirectWriterTests.replay(entries, into: &out) } }, otherwise: { document })
        }
        #expect(try stream.text() == YAMLWriter.writeWithLibYAML(documents, header: ["h"]))
    }
}
