/// The text of a source file, with the start of every line found once, so that diagnostics
/// can quote any line without scanning the file again: a lint run on a large spec quotes
/// thousands of lines, and finding each from the start of the file made it quadratic.
public struct SourceFile: Sendable {
    public let path: String
    public let text: String
    /// Where each line starts, in order (the first line starts at the start of the text).
    private let lineStarts: [String.Index]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        self.lineStarts = SourceFile.lineStarts(of: text)
    }

    /// The number of lines (a text ending in a line break has an empty last line).
    public var lineCount: Int { lineStarts.count }

    /// The text of a 1-based line without its line break, or nil past the end of the file.
    /// Lines break as YAML breaks them: at a line feed, a carriage return and line feed, or a
    /// carriage return alone, so the line a diagnostic names is the line it quotes.
    public func line(_ number: Int) -> Substring? {
        guard number >= 1, number <= lineStarts.count else { return nil }
        let bytes = text.utf8
        let start = lineStarts[number - 1]
        let end = bytes[start...].firstIndex { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") } ?? bytes.endIndex
        return text[start..<end]
    }

    /// One pass over the bytes: a line starts after every LF, every CR LF and every lone CR.
    private static func lineStarts(of text: String) -> [String.Index] {
        let bytes = text.utf8
        func scan(_ buffer: UnsafeBufferPointer<UInt8>) -> [Int] {
            var offsets: [Int] = [0]
            var index = 0
            let raw = UnsafeRawBufferPointer(buffer)
            while index < buffer.count {
                // Eight bytes at a time up to the next line break: a spec's lines are tens of
                // bytes long, and the front end reads every file this way before decoding it.
                if index + 8 <= buffer.count {
                    let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                    let breaks = zeroBytes(word ^ lineFeeds) | zeroBytes(word ^ carriageReturns)
                    if breaks == 0 {
                        index += 8
                        continue
                    }
                    index += breaks.trailingZeroBitCount >> 3
                }
                let byte = buffer[index]
                index += 1
                guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else { continue }
                if byte == UInt8(ascii: "\r"), index < buffer.count, buffer[index] == UInt8(ascii: "\n") { index += 1 }
                offsets.append(index)
            }
            return offsets
        }
        let offsets = bytes.withContiguousStorageIfAvailable(scan) ?? Array(bytes).withUnsafeBufferPointer(scan)
        // Offsets ascend, so one walk turns them into indices.
        var starts: [String.Index] = []
        starts.reserveCapacity(offsets.count)
        var current = bytes.startIndex
        var position = 0
        for offset in offsets {
            current = bytes.index(current, offsetBy: offset - position)
            position = offset
            starts.append(current)
        }
        return starts
    }
}

/// Every source file read in one run, so that diagnostics can be rendered with their lines.
public struct SourceFiles: Sendable {
    private var files: [String: SourceFile] = [:]

    public init() {}

    public mutating func add(_ file: SourceFile) { files[file.path] = file }

    public subscript(path: String) -> SourceFile? { files[path] }

    /// Every file, sorted by path.
    public var all: [SourceFile] { files.keys.sorted().compactMap { files[$0] } }
}

private let lineFeeds: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
private let carriageReturns: UInt64 = 0x0D0D_0D0D_0D0D_0D0D

/// The high bit of each byte of `word` that is zero, and of none before the first such byte
/// (counting from the least significant): a borrow can only mark bytes after a zero one, so
/// the lowest bit set is always that of the first zero byte, if there is one.
private func zeroBytes(_ word: UInt64) -> UInt64 {
    (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
}
