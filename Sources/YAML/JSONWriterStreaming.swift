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

extension JSONWriter {
    /// Pieces of the layout `write` gives, rendered once: a writer that assembles many objects
    /// of one shape appends its fixed parts (keys, brackets, indentation, constant values)
    /// joined into a few byte arrays, and writes only the values that vary.
    public enum Piece {
        /// An entry's start in an object at `indent`: `{` before the first entry (`first`), `,`
        /// before the others; the newline, the entry's indentation (`indent + 2`), its quoted key
        /// and `: `.
        public static func key(_ key: String, first: Bool = false, in indent: Int) -> [UInt8] {
            var out = item(first: first, opening: "{", in: indent)
            appendQuoted(key, to: &out)
            out.append(contentsOf: ": ".utf8)
            return out
        }

        /// An item's start in an array at `indent`: `[` before the first item (`first`), `,`
        /// before the others; the newline and the item's indentation (`indent + 2`).
        public static func item(first: Bool = false, in indent: Int) -> [UInt8] {
            item(first: first, opening: "[", in: indent)
        }

        private static func item(first: Bool, opening: Unicode.Scalar, in indent: Int) -> [UInt8] {
            var out: [UInt8] = first ? [UInt8(ascii: opening)] : []
            appendLineStart(comma: !first, indent: indent + 2, to: &out)
            return out
        }

        /// The end of an object or array at `indent` that has entries: the newline, the
        /// indentation and `bracket`.
        public static func close(_ bracket: Unicode.Scalar, at indent: Int) -> [UInt8] {
            var out: [UInt8] = []
            appendLineStart(comma: false, indent: indent, to: &out)
            out.append(UInt8(ascii: bracket))
            return out
        }

        /// A string, quoted and escaped.
        public static func string(_ text: String) -> [UInt8] {
            var out: [UInt8] = []
            appendQuoted(text, to: &out)
            return out
        }
    }

    /// An array of strings as `write` lays it out at `indent`, without a closure per item.
    public static func appendStrings(_ values: [String], at indent: Int, to out: inout [UInt8]) {
        guard !values.isEmpty else {
            out.append(contentsOf: "[]".utf8)
            return
        }
        out.append(UInt8(ascii: "["))
        values.withUnsafeBufferPointer { values in
            for index in values.indices {
                appendLineStart(comma: index > 0, indent: indent + 2, to: &out)
                appendQuoted(values[index], to: &out)
            }
        }
        appendLineStart(comma: false, indent: indent, to: &out)
        out.append(UInt8(ascii: "]"))
    }
}
