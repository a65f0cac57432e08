import Testing
import YAML

@Suite struct ChunkedTextTests {
    /// Random UTF-8 text of `count` pieces, some of them multi-byte characters.
    static func pieces(_ count: Int, seed: UInt64) -> [String] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let alphabet = ["a", "b", ": ", "\n", "é", "✓", "🚀", "- ", "  "]
        return (0..<count).map { _ in
            let length = Int(next() % 64)
            return (0..<length).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }.joined()
        }
    }

    /// Appending piece by piece gives the text the pieces make joined: the same string, bytes,
    /// count, equality and hash, however the pieces fall across chunks.
    @Test(arguments: [1, 2, 3])
    func appendingPiecesGivesTheJoinedText(seed: UInt64) {
        let pieces = Self.pieces(60_000, seed: seed)
        let joined = pieces.joined()
        var text = ChunkedText()
        for piece in pieces { text.append(piece) }
        #expect(text.byteCount == joined.utf8.count)
        #expect(text.byteCount > 2 * ChunkedText.chunkSize, "several chunks")
        #expect(text.string == joined)
        #expect(text.bytes == Array(joined.utf8))
        #expect(text == ChunkedText(joined))
        #expect(text.hashValue == ChunkedText(joined).hashValue)
        #expect(text == ChunkedText(bytes: Array(joined.utf8)))
        // Other chunkings of the same bytes: one large append, and a string given whole first.
        var whole = ChunkedText()
        whole.append(joined)
        #expect(whole == text && whole.hashValue == text.hashValue)
        var headed = ChunkedText(pieces[0])
        for piece in pieces.dropFirst() { headed.append(piece) }
        #expect(headed == text && headed.hashValue == text.hashValue)
        #expect(headed.string == joined)
        var pieceCount = 0
        var gathered: [UInt8] = []
        text.forEachChunk {
            pieceCount += 1
            gathered += $0
        }
        #expect(gathered == Array(joined.utf8))
        #expect(pieceCount == (joined.utf8.count + ChunkedText.chunkSize - 1) / ChunkedText.chunkSize, "chunks are filled before new ones start")
    }

    /// Texts that differ in one byte, or in length, are unequal; equality is of bytes, not of
    /// characters (`é` and `e` with a combining accent differ).
    @Test func equalityIsOfBytes() {
        var long = ChunkedText()
        long.append(String(repeating: "x", count: ChunkedText.chunkSize + 10))
        var other = ChunkedText()
        other.append(String(repeating: "x", count: ChunkedText.chunkSize + 9) + "y")
        #expect(long != other)
        #expect(long != ChunkedText(String(repeating: "x", count: ChunkedText.chunkSize + 11)))
        #expect(ChunkedText("caf\u{E9}") != ChunkedText("cafe\u{301}"))
        #expect(ChunkedText() == "" && ChunkedText().isEmpty && ChunkedText().string.isEmpty)
        #expect(ChunkedText("a: 1\n").description == "a: 1\n")
    }
}
