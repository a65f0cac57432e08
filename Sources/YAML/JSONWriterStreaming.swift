extension JSONWriter {
    /// An array as `write` lays it out at `indent`, its `count` items written by `item` straight
    /// into `out` at `indent + 2` (their first line not indented): `appendArray` without the
    /// items' bytes held first, for an array as large as the document.
    public static func appendArray(count: Int, at indent: Int, to out: inout [UInt8], item: (Int, inout [UInt8]) -> Void) {
        appendElements(count, brackets: ("[", "]"), at: indent, to: &out, item)
    }

    /// An object as `write` lays it out at `indent`, with `keys` in order, the value of each
    /// (by index) written by `value` straight into `out` at `indent + 2`: `appendObject`
    /// without the values' bytes held first.
    public static func appendObject(keys: [String], at indent: Int, to out: inout [UInt8], value: (Int, inout [UInt8]) -> Void) {
        appendElements(keys.count, brackets: ("{", "}"), at: indent, to: &out) { index, out in
            appendQuoted(keys[index], to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: " "))
            value(index, &out)
        }
    }
}
