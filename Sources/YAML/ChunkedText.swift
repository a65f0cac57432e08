/// UTF-8 text held in the chunks it was written in, never joined into one buffer unless asked
/// (`string`). A generated file of tens of megabytes (a Kubernetes manifest at 10,000
/// workloads is over 50 MB) goes to disk chunk by chunk: one `String` grown by appending
/// copied the whole text at every doubling, held the old and the new buffer at once, and had
/// the system fault in fresh pages for each. A chunk is allocated at its full size once and
/// filled; it never moves. A text given whole (a `String`, or bytes adopted as they are) is
/// kept as it came, without a copy, and what is appended follows it.
///
/// Equality is of the bytes, whatever the chunks: `é` and `e` with a combining accent differ,
/// as the files written differ.
public struct ChunkedText: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The size a chunk is allocated at: large enough that a file of 50 MB is fifty writes.
    public static let chunkSize = 1 << 20

    /// The text's start, as given whole ("" when it was not).
    private var head: String
    /// The bytes after `head`, in the chunks they were written in.
    private var chunks: [[UInt8]]
    /// The number of bytes of the text.
    public private(set) var byteCount: Int

    /// The empty text.
    public init() { self.init("") }

    /// `text`, kept as the string it is.
    public init(_ text: String) {
        head = text
        chunks = []
        byteCount = text.utf8.count
    }

    public init(stringLiteral value: String) { self.init(value) }

    /// UTF-8 `bytes`, adopted as one chunk without a copy.
    public init(bytes: [UInt8]) {
        head = ""
        chunks = bytes.isEmpty ? [] : [bytes]
        byteCount = bytes.count
    }

    public var isEmpty: Bool { byteCount == 0 }

    /// Appends UTF-8 bytes: into the last chunk while it has room, then into a new chunk of
    /// `chunkSize` (or of the rest of `bytes`, when that is larger), allocated once.
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !bytes.isEmpty else { return }
        var rest = bytes[...]
        if let last = chunks.indices.last {
            let taken = rest.prefix(chunks[last].capacity - chunks[last].count)
            if !taken.isEmpty {
                chunks[last].append(contentsOf: taken)
                rest = rest.dropFirst(taken.count)
            }
        }
        if !rest.isEmpty {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(Swift.max(Self.chunkSize, rest.count))
            chunk.append(contentsOf: rest)
            chunks.append(chunk)
        }
        byteCount += bytes.count
    }

    /// Appends UTF-8 bytes (a piece of another text: `forEachChunk`).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) { append(bytes.assumingMemoryBound(to: UInt8.self)) }

    /// Appends a text's UTF-8 bytes.
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// `body` on each piece of the text in order, without copying any; empty pieces are skipped.
    public func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        if !head.isEmpty {
            var head = head
            try head.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
        }
        for chunk in chunks where !chunk.isEmpty { try chunk.withUnsafeBytes(body) }
    }

    /// The text as one string: the string it was given as, or its pieces copied once into a
    /// string.
    public var string: String {
        if chunks.isEmpty { return head }
        if head.isEmpty, chunks.count == 1 { return String(decoding: chunks[0], as: UTF8.self) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The text's bytes in one array.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount)
        forEachChunk { bytes.append(contentsOf: $0) }
        return bytes
    }

    public var description: String { string }

    public static func == (lhs: ChunkedText, rhs: ChunkedText) -> Bool {
        guard lhs.byteCount == rhs.byteCount else { return false }
        if lhs.chunks.isEmpty, rhs.chunks.isEmpty { return lhs.head.utf8.elementsEqual(rhs.head.utf8) }
        return lhs.bytes == rhs.bytes
    }

    /// The byte count and the first bytes (at most 64): equal texts hash alike however they are
    /// chunked, and hashing a large file does not read it whole.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(byteCount)
        var prefix: [UInt8] = []
        prefix.reserveCapacity(64)
        forEachChunk { chunk in
            guard prefix.count < 64 else { return }
            prefix.append(contentsOf: chunk.prefix(64 - prefix.count))
        }
        prefix.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
