/// Writes `StructuredValue`s as JSON: two-space indentation, keys in the order given,
/// a final newline; the same value always gives the same bytes.
public enum JSONWriter {
    public static func write(_ value: StructuredValue) -> String {
        // Bytes first, one string at the end: appending to a `String` piece by piece (and an
        // indentation string per line) cost more than the whole rest of the writing.
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        append(value, indent: 0, to: &out)
        out.append(UInt8(ascii: "\n"))
        return String(decoding: out, as: UTF8.self)
    }

    /// One line, no spaces: for embedding.
    public static func compact(_ value: StructuredValue) -> String {
        var out: [UInt8] = []
        appendCompact(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `value` as `write` places it at `indent` (its first line not indented, no final
    /// newline): for a writer that assembles a document from values written once.
    public static func append(_ value: StructuredValue, at indent: Int, to out: inout [UInt8]) {
        append(value, indent: indent, to: &out)
    }

    /// Appends `text` as a JSON string, quoted and escaped as `write` writes it.
    public static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        appendString(text, to: &out)
    }

    /// `appendQuoted`, telling whether `text`'s bytes were taken as they are (printable ASCII,
    /// nothing escaped); false may also mean that they were not looked at in place.
    public static func appendQuotedPlain(_ text: String, to out: inout [UInt8]) -> Bool {
        appendString(text, to: &out)
    }

    /// Appends an object as `write` would at `indent`, from its keys and the bytes of its values
    /// already written at `indent + 2` (by `append(_:at:to:)`).
    public static func appendObject(_ entries: [(key: String, value: [UInt8])], at indent: Int, to out: inout [UInt8]) {
        appendElements(entries.count, brackets: ("{", "}"), at: indent, to: &out) { index, out in
            appendString(entries[index].key, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: entries[index].value)
        }
    }

    /// `count` elements between `brackets` as `write` lays them out at `indent`, each on its own
    /// line at `indent + 2` (written by `element`), commas between; the empty pair when none.
    static func appendElements(
        _ count: Int, brackets: (open: Unicode.Scalar, close: Unicode.Scalar), at indent: Int, to out: inout [UInt8],
        _ element: (Int, inout [UInt8]) -> Void
    ) {
        out.append(UInt8(ascii: brackets.open))
        guard count > 0 else {
            out.append(UInt8(ascii: brackets.close))
            return
        }
        for index in 0..<count {
            appendLineStart(comma: index > 0, indent: indent + 2, to: &out)
            element(index, &out)
        }
        appendLineStart(comma: false, indent: indent, to: &out)
        out.append(UInt8(ascii: brackets.close))
    }

    /// A new line at `indent`, after a comma when `comma`: `,` (or nothing), the newline and
    /// the spaces in one append, a slice of `lineStarts`. Each element of an array or object
    /// starts so (its comma ends the element before), and so does the closing bracket.
    static func appendLineStart(comma: Bool, indent: Int, to out: inout [UInt8]) {
        let start = comma ? 0 : 1
        if indent + 2 <= lineStarts.count {
            lineStarts.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<indent + 2])) }
        } else {
            if comma { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\n"))
            appendSpaces(indent, to: &out)
        }
    }

    /// Indentation copied from one buffer of spaces: a line's indentation is most of the
    /// writer's appends, and repeating an element byte by byte cost several times as much.
    private static func appendSpaces(_ count: Int, to out: inout [UInt8]) {
        var rest = count
        while rest > 0 {
            let piece = min(rest, spaces.count)
            spaces.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<piece])) }
            rest -= piece
        }
    }

    private static let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 64)

    /// A comma, a newline and spaces: every line start `appendLineStart` writes is one slice.
    private static let lineStarts = Array(",\n".utf8) + spaces

    private static func append(_ value: StructuredValue, indent: Int, to out: inout [UInt8]) {
        switch value {
        case .array(let items) where !items.isEmpty:
            out.append(UInt8(ascii: "["))
            // Elements borrowed through the buffer: no retain and release of each.
            items.withUnsafeBufferPointer { items in
                for index in items.indices {
                    appendLineStart(comma: index > 0, indent: indent + 2, to: &out)
                    append(items[index], indent: indent + 2, to: &out)
                }
            }
            appendLineStart(comma: false, indent: indent, to: &out)
            out.append(UInt8(ascii: "]"))
        case .object(let entries) where !entries.isEmpty:
            out.append(UInt8(ascii: "{"))
            entries.withUnsafeBufferPointer { entries in
                for index in entries.indices {
                    appendLineStart(comma: index > 0, indent: indent + 2, to: &out)
                    appendString(entries[index].key, to: &out)
                    out.append(UInt8(ascii: ":"))
                    out.append(UInt8(ascii: " "))
                    append(entries[index].value, indent: indent + 2, to: &out)
                }
            }
            appendLineStart(comma: false, indent: indent, to: &out)
            out.append(UInt8(ascii: "}"))
        default:
            appendCompact(value, to: &out)
        }
    }

    private static func appendCompact(_ value: StructuredValue, to out: inout [UInt8]) {
        switch value {
        case .string(let text): appendString(text, to: &out)
        case .int(let number): appendInt(number, to: &out)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendCompact(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let entries):
            out.append(UInt8(ascii: "{"))
            for (index, entry) in entries.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(entry.key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendCompact(entry.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// `appendQuoted`.
    @discardableResult
    private static func appendString(_ text: String, to out: inout [UInt8]) -> Bool {
        // Most strings are printable ASCII without quotes or backslashes: appended whole with
        // their quotes, their bytes checked in place.
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard isPlain(bytes) else { return false }
            appendQuoted(plain: bytes, to: &out)
            return true
        }
        if plain == true { return true }
        out.append(UInt8(ascii: "\""))
        appendEscapedScalars(text, to: &out)
        out.append(UInt8(ascii: "\""))
        return false
    }

    /// Appends `text` as it sits between the quotes of a JSON string (escaped as `write`
    /// escapes it): for a string written from a fixed part and a variable one.
    public static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard isPlain(bytes) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain != true { appendEscapedScalars(text, to: &out) }
    }

    /// `text`'s scalars, each as it is or escaped: the slow path of `appendString`.
    private static func appendEscapedScalars(_ text: String, to out: inout [UInt8]) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: "\\\"".utf8)
            case "\\": out.append(contentsOf: "\\\\".utf8)
            case "\n": out.append(contentsOf: "\\n".utf8)
            case "\r": out.append(contentsOf: "\\r".utf8)
            case "\t": out.append(contentsOf: "\\t".utf8)
            case "\u{08}": out.append(contentsOf: "\\b".utf8)
            case "\u{0C}": out.append(contentsOf: "\\f".utf8)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out.append(contentsOf: "\\u".utf8)
                appendDigits(hex, width: 4, to: &out)
            default: UTF8.encode(scalar) { out.append($0) }
            }
        }
    }

    /// `bytes`, printable ASCII without a quote or backslash, between quotes: one append
    /// while they fit `appendGathered`'s buffer.
    static func appendQuoted(plain bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard bytes.count + 2 <= gatherCapacity, let base = bytes.baseAddress else {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return
        }
        appendGathered(to: &out) { buffer in
            buffer[0] = UInt8(ascii: "\"")
            (buffer + 1).initialize(from: base, count: bytes.count)
            buffer[bytes.count + 1] = UInt8(ascii: "\"")
            return bytes.count + 2
        }
    }

    /// The most bytes `appendGathered` gathers.
    static var gatherCapacity: Int { 256 }

    /// Appends the bytes `fill` writes (at most `gatherCapacity`; it returns how many) in one
    /// append: an append to an array costs about as much as copying a hundred bytes, and a
    /// line of JSON is several short pieces, so they are gathered on the stack first.
    static func appendGathered(to out: inout [UInt8], _ fill: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: gatherCapacity) { buffer in
            guard let base = buffer.baseAddress else { return }
            out.append(contentsOf: UnsafeBufferPointer(start: base, count: fill(base)))
        }
    }

    /// Whether every byte is printable ASCII other than `"` and `\` (the text is written as it
    /// is): eight bytes a step, then the last ones one by one. Each test of a word is true when
    /// some byte of it matches, never otherwise: a word with a byte of 0x80 or more is out first,
    /// and below that no subtraction borrows from a byte that does not match.
    static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        /// Whether some byte of `word` (all below 0x80) is zero.
        func hasZero(_ word: UInt64) -> Bool { (word &- ones) & ~word & highs != 0 }
        var index = 0
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            // A byte of 0x80 or more; below 0x20; then `"`, `\` and DEL (a zero byte once xored).
            if word & highs != 0 || (word &- 0x20 &* ones) & ~word & highs != 0 || hasZero(word ^ 0x22 &* ones) || hasZero(word ^ 0x5C &* ones)
                || hasZero(word ^ 0x7F &* ones)
            {
                return false
            }
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte >= 0x7F || byte == 0x22 || byte == 0x5C { return false }
            index += 1
        }
        return true
    }

    /// The decimal digits of `number`, as `String(number)` gives them, without making a string.
    public static func appendInt(_ number: Int, to out: inout [UInt8]) {
        if number < 0 { out.append(UInt8(ascii: "-")) }
        var rest = number.magnitude
        var divisor: UInt = 1
        while divisor <= rest / 10 { divisor *= 10 }
        while true {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            guard divisor > 1 else { return }
            divisor /= 10
        }
    }

    /// `digits` left-padded with zeros to `width`.
    private static func appendDigits(_ digits: String, width: Int, to out: inout [UInt8]) {
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, width - digits.utf8.count)))
        out.append(contentsOf: digits.utf8)
    }
}

extension JSONWriter {
    /// Writes one object entry by entry, the bytes `write` gives it at `indent` (its first
    /// line not indented): for writers that know their values without building a tree.
    public struct ObjectWriter {
        /// What is written so far.
        public private(set) var bytes: [UInt8] = []
        let indent: Int
        var entries = 0

        /// An object to write at `indent`.
        public init(at indent: Int) {
            self.indent = indent
        }

        /// An entry's key: the comma (or the object's opening brace), the newline, the
        /// indentation and the key, gathered and appended at once. Keys are fixed words
        /// (`StaticString`): their bytes are taken as they are, unless one needs escaping.
        private mutating func key(_ key: StaticString) {
            let (first, indentation) = (entries == 0, indent + 2)
            key.withUTF8Buffer { text in
                guard JSONWriter.isPlain(text), indentation + text.count + 6 <= gatherCapacity, let base = text.baseAddress else {
                    lineStart()
                    appendString(String(decoding: text, as: UTF8.self), to: &bytes)
                    bytes.append(contentsOf: ": ".utf8)
                    return
                }
                entries += 1
                appendGathered(to: &bytes) { buffer in
                    buffer[0] = first ? UInt8(ascii: "{") : UInt8(ascii: ",")
                    buffer[1] = UInt8(ascii: "\n")
                    (buffer + 2).initialize(repeating: UInt8(ascii: " "), count: indentation)
                    var count = 2 + indentation
                    buffer[count] = UInt8(ascii: "\"")
                    (buffer + count + 1).initialize(from: base, count: text.count)
                    count += text.count + 1
                    buffer[count] = UInt8(ascii: "\"")
                    buffer[count + 1] = UInt8(ascii: ":")
                    buffer[count + 2] = UInt8(ascii: " ")
                    return count + 3
                }
            }
        }

        /// An entry's key made at run time (a resource's name).
        private mutating func key(named key: String) {
            lineStart()
            appendString(key, to: &bytes)
            bytes.append(contentsOf: ": ".utf8)
        }

        /// `{` (first entry) or `,`, a newline and the entries' indentation.
        private mutating func lineStart() {
            if entries == 0 { bytes.append(UInt8(ascii: "{")) }
            appendLineStart(comma: entries > 0, indent: indent + 2, to: &bytes)
            entries += 1
        }

        /// A string.
        public mutating func string(_ key: StaticString, _ value: String) {
            self.key(key)
            appendString(value, to: &bytes)
        }

        /// An integer.
        public mutating func int(_ key: StaticString, _ value: Int) {
            self.key(key)
            appendInt(value, to: &bytes)
        }

        /// An array of strings.
        public mutating func strings(_ key: StaticString, _ values: [String]) {
            self.key(key)
            appendStrings(values)
        }

        /// An array of strings under a key made at run time.
        public mutating func strings(named key: String, _ values: [String]) {
            self.key(named: key)
            appendStrings(values)
        }

        private mutating func appendStrings(_ values: [String]) {
            JSONWriter.appendStrings(values, at: indent + 2, to: &bytes)
        }

        /// An array of `count` items, each written by `item` straight into the object's bytes
        /// (its first line not indented, the others at the items' indent, `indent + 4`).
        public mutating func array(_ key: StaticString, count: Int, _ item: (Int, inout [UInt8]) -> Void) {
            self.key(key)
            appendElements(count, brackets: ("[", "]"), at: indent + 2, to: &bytes, item)
        }

        /// An object written entry by entry by `body`, straight into this one's bytes.
        public mutating func object(_ key: StaticString, _ body: (inout Self) -> Void) {
            self.key(key)
            Self.write(at: indent + 2, onto: &bytes, body)
        }

        /// An object under a key made at run time.
        public mutating func object(named key: String, _ body: (inout Self) -> Void) {
            self.key(named: key)
            Self.write(at: indent + 2, onto: &bytes, body)
        }

        /// Writes an object at `indent` (its first line not indented) onto the end of `out`,
        /// entry by entry by `body`: `out` is moved into the writer and back, not copied, so
        /// objects nested in arrays and objects are written in place.
        public static func write(at indent: Int, onto out: inout [UInt8], _ body: (inout Self) -> Void) {
            var writer = Self(at: indent)
            swap(&writer.bytes, &out)
            body(&writer)
            writer.close()
            swap(&writer.bytes, &out)
        }

        /// Any value, written as `write` writes it.
        public mutating func value(_ key: StaticString, _ value: StructuredValue) {
            self.key(key)
            append(value, indent: indent + 2, to: &bytes)
        }

        /// A value already written at `indent + 2` (by `append(_:at:to:)` or another writer).
        public mutating func written(_ key: StaticString, _ value: [UInt8]) {
            self.key(key)
            bytes.append(contentsOf: value)
        }

        /// A value already written at `indent + 2`, under a key made at run time.
        public mutating func written(named key: String, _ value: [UInt8]) {
            self.key(named: key)
            bytes.append(contentsOf: value)
        }

        /// Any value, under a key made at run time.
        public mutating func value(named key: String, _ value: StructuredValue) {
            self.key(named: key)
            append(value, indent: indent + 2, to: &bytes)
        }

        /// The object's bytes, closed.
        public consuming func finished() -> [UInt8] {
            close()
            return bytes
        }

        /// Closes the object: `{}` when it has no entry.
        private mutating func close() {
            if entries == 0 {
                bytes.append(contentsOf: "{}".utf8)
            } else {
                appendLineStart(comma: false, indent: indent, to: &bytes)
                bytes.append(UInt8(ascii: "}"))
            }
        }
    }

    /// Appends an array as `write` would at `indent`, from the bytes of its items already
    /// written at `indent + 2`.
    public static func appendArray(_ items: [[UInt8]], at indent: Int, to out: inout [UInt8]) {
        appendElements(items.count, brackets: ("[", "]"), at: indent, to: &out) { index, out in out.append(contentsOf: items[index]) }
    }
}
