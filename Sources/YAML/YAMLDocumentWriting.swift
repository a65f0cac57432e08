extension YAMLWriter {
    /// One document written by `write` straight into bytes through `Block`, the text
    /// `write(document(), header:)` gives: for a writer whose document is large enough that
    /// building its tree first costs more than writing it. `document` is built (and written
    /// as a tree) only when `write` meets a key or scalar the direct path does not take, as
    /// `Stream.append(writing:otherwise:)` does.
    public static func write(header: [String] = [], writing write: (inout Block) -> Void, otherwise document: () -> StructuredValue) throws -> String {
        var stream = Stream()
        try stream.append(writing: write, otherwise: document)
        let body = try stream.text()
        var text = comments(header)
        text += body.hasPrefix("---\n") ? body.dropFirst(4) : body[...]
        return text
    }
}
