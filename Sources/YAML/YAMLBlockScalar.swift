extension YAMLWriter {
    /// A string scalar as `write` writes it in a block document without libyaml (plain, or
    /// double-quoted when a plain one would read back as another type), appended to `out`;
    /// false, with nothing appended, for a string only libyaml writes (one needing escapes or
    /// another style). `key`: a mapping key, which libyaml writes otherwise past 128 bytes;
    /// `plain`: a scalar written plain whatever it reads as (numbers, as `write` writes them).
    /// For writers that write a document's layout themselves and fall back on `write` when
    /// this answers false. The bytes are those `BlockWriter` writes for the same scalar.
    public static func appendBlockScalar(_ text: String, key: Bool = false, plain: Bool = false, to out: inout [UInt8]) -> Bool {
        if key, text.utf8.count > 128 { return false }
        return plain ? BlockWriter.scalar(text, quoted: false, into: &out) : BlockWriter.scalar(text, into: &out)
    }
}
