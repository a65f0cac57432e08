extension YAMLWriter {
    /// A string scalar as `write` writes it in a block document without libyaml (plain, or
    /// double-quoted when a plain one would read back as another type), appended to `out`;
    /// false, with nothing appended, for a string only libyaml writes (one needing escapes or
    /// another style). `key`: a mapping key, which libyaml writes otherwise past 128 bytes;
    /// `plain`: a scalar written plain whatever it reads as (numbers, as `write` writes them).
    /// For writers that write a document's layout themselves and fall back on `write` when
    /// this answers false.
    public static func appendBlockScalar(_ text: String, key: Bool = false, plain: Bool = false, to out: inout [UInt8]) -> Bool {
        if key, text.utf8.count > 128 { return false }
        if let written = text.utf8.withContiguousStorageIfAvailable({ appendBlockScalar($0, plain: plain, to: &out) }) { return written }
        var text = text
        return text.withUTF8 { appendBlockScalar($0, plain: plain, to: &out) }
    }

    private static func appendBlockScalar(_ bytes: UnsafeBufferPointer<UInt8>, plain: Bool, to out: inout [UInt8]) -> Bool {
        if !plain, BlockWriter.ambiguous(bytes) {
            for byte in bytes where byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        }
        guard BlockWriter.plainInBlock(bytes) else { return false }
        out.append(contentsOf: bytes)
        return true
    }
}
