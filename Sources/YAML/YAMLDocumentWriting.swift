extension YAMLWriter {
    /// One document written by `write` straight into bytes through `Block`, the text
    /// `write(document(), header:)` gives: for a writer whose document is large enough that
    /// building its tree first costs more than writing it. `document` is built (and written
    /// as a tree) only when `write` meets a key or scalar the direct path does not take, as
    /// `Stream.append(writing:otherwise:)` does.
    public static func write(header: [String] = [], writing write: (inout Block) -> Void, otherwise document: () -> StructuredValue) throws -> String {
        try writeText(header: header, writing: write, otherwise: document).string
    }

    /// `write(header:writing:otherwise:)`'s text in the chunks it was written in.
    public static func writeText(header: [String] = [], writing write: (inout Block) -> Void, otherwise document: () -> StructuredValue) throws
        -> ChunkedText
    {
        var stream = Stream()
        try stream.append(writing: write, otherwise: document)
        let body = try stream.chunkedText()
        var text = ChunkedText(comments(header))
        // The document's `---` line, which a single document goes without, is its first bytes.
        var first = true
        body.forEachChunk { chunk in
            defer { first = false }
            guard first, chunk.starts(with: "---\n".utf8) else { return text.append(chunk) }
            text.append(UnsafeRawBufferPointer(rebasing: chunk.dropFirst(4)))
        }
        return text
    }
}
