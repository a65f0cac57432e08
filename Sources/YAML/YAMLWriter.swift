internal import CYAML

/// Writes `StructuredValue`s as YAML through libyaml's emitter: block style, two-space
/// indentation, no line folding, and every string a YAML 1.1 reader could take for another
/// type double-quoted. Several values become a multi-document stream.
public enum YAMLWriter {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// - Parameter header: comment lines (without `#`) written before the first document.
    ///
    /// A document whose scalars are all printable ASCII that libyaml writes plain or single-quoted
    /// (or, being ambiguous, double-quoted without escapes) is written here directly, byte for byte as
    /// libyaml writes it; any other document goes through libyaml. Each document of the
    /// stream starts with `---` at the first column and ends with a line break, so the stream
    /// is the documents' texts one after another.
    public static func write(_ documents: [StructuredValue], header: [String] = []) throws -> String {
        guard !documents.isEmpty else { return try writeWithLibYAML([], header: header) }
        var bytes: [UInt8] = []
        for document in documents {
            let start = bytes.count
            if BlockWriter.document(document, into: &bytes) { continue }
            bytes.removeSubrange(start...)
            bytes += try libYAMLBytes([document])
        }
        let body = String(decoding: bytes, as: UTF8.self)
        return comments(header) + body
    }

    /// The header's lines as YAML comments, `#` alone for an empty line.
    static func comments(_ header: [String]) -> String {
        header.map { $0.isEmpty ? "#\n" : "# \($0)\n" }.joined()
    }

    /// The stream as libyaml writes it (every document through libyaml).
    static func writeWithLibYAML(_ documents: [StructuredValue], header: [String] = []) throws -> String {
        let body = String(decoding: try libYAMLBytes(documents), as: UTF8.self)
        return comments(header) + body
    }

    static func libYAMLBytes(_ documents: [StructuredValue]) throws -> [UInt8] {
        // Like the parser, the emitter stays at one heap address for its whole life.
        let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
        defer { emitter.deallocate() }
        guard yaml_emitter_initialize(emitter) == 1 else { throw Failure(description: "libyaml emitter did not start") }
        defer { yaml_emitter_delete(emitter) }
        let sink = OutputSink()
        try withExtendedLifetime(sink) {
            let context = Unmanaged.passUnretained(sink).toOpaque()
            yaml_emitter_set_output(
                emitter,
                { context, buffer, size in
                    guard let context, let buffer else { return 0 }
                    let sink = Unmanaged<OutputSink>.fromOpaque(context).takeUnretainedValue()
                    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
                    return 1
                }, context)
            yaml_emitter_set_unicode(emitter, 1)
            yaml_emitter_set_indent(emitter, 2)
            yaml_emitter_set_width(emitter, -1)
            yaml_emitter_set_break(emitter, YAML_LN_BREAK)

            let session = Session(emitter: emitter)
            try session.emit { event in yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING) }
            for document in documents {
                try session.emit { event in yaml_document_start_event_initialize(&event, nil, nil, nil, 0) }
                try session.emit(document)
                try session.emit { event in yaml_document_end_event_initialize(&event, 1) }
            }
            try session.emit { event in yaml_stream_end_event_initialize(&event) }
            guard yaml_emitter_flush(emitter) == 1 else { throw Failure(description: "libyaml emitter could not flush") }
        }
        return sink.bytes
    }

    /// One value as a single document, without the `---` marker.
    public static func write(_ document: StructuredValue, header: [String] = []) throws -> String {
        let body = try write([document])
        return comments(header) + (body.hasPrefix("---\n") ? String(body.dropFirst(4)) : body)
    }
}

extension YAMLWriter {
    /// A multi-document stream written one document at a time: `text()` is what
    /// `write(_:header:)` gives for the same documents, without the caller holding every
    /// document at once, and with the header and the documents in one buffer (no copy per
    /// concatenation).
    public struct Stream {
        private let header: [String]
        /// The text of the documents written so far, but for the last ones, still in `out`.
        private var flushed = ChunkedText()
        /// The last documents' bytes, and room for the next ones that documents written one
        /// after another share (see `BlockBytes`).
        private var out = BlockBytes()
        private var count = 0
        /// How many bytes `out` holds before they move into `flushed`: the stream's bytes are
        /// held once, and the text made of them at the end, where a buffer grown by doubling and
        /// the string made from it were 134 MB for a Kubernetes manifest of 51.6 MB at 10,000
        /// workloads.
        private let flushAt: Int

        public init(header: [String] = []) { self.init(header: header, flushingAt: 1 << 20) }

        init(header: [String], flushingAt flushAt: Int) {
            self.header = header
            self.flushAt = flushAt
            Array(YAMLWriter.comments(header).utf8).withUnsafeBufferPointer { out.append($0) }
        }

        public mutating func append(_ document: StructuredValue) throws {
            count += 1
            let start = out.count
            defer { flushIfFull() }
            if out.withArray({ BlockWriter.document(document, into: &$0) }) { return }
            out.truncate(to: start)
            try libYAMLBytes([document]).withUnsafeBufferPointer { out.append($0) }
        }

        /// Between documents: the buffer's bytes become a piece once they reach `flushAt`.
        private mutating func flushIfFull() {
            guard out.count >= flushAt else { return }
            out.withBytes { flushed.append($0) }
            out.truncate(to: 0)
        }

        /// A document written by `write` straight into the stream's bytes (see `Block`), the
        /// bytes `append(document())` gives; when `write` meets a key or scalar the direct path
        /// does not take (or writes no key at all), the document is built by `document` and
        /// appended as a tree instead.
        public mutating func append(writing write: (inout Block) -> Void, otherwise document: () -> StructuredValue) throws {
            let start = out.count
            var block = Block()
            swap(&block.out, &out)
            block.out.append("---")
            let mark = block.out.count
            write(&block)
            let written = block.ok && block.out.count > mark
            block.out.append(BlockWriter.newline)
            swap(&block.out, &out)
            if written {
                count += 1
                flushIfFull()
                return
            }
            out.truncate(to: start)
            try append(document())
        }

        /// The whole stream's text, as one string (a copy of `chunkedText()`).
        public mutating func text() throws -> String { try chunkedText().string }

        /// The whole stream's text in the chunks it was written in. The stream keeps it: the
        /// text returned shares its storage.
        public mutating func chunkedText() throws -> ChunkedText {
            guard count > 0 else { return ChunkedText(try writeWithLibYAML([], header: header)) }
            out.withBytes { flushed.append($0) }
            out = BlockBytes()
            return flushed
        }
    }
}

extension YAMLWriter {
    /// One document's block-style text written key by key, with the bytes `BlockWriter` writes
    /// for the tree the same calls describe: `string`, `int`, `bool` and `entry` write a key and
    /// its value; `mapping` and `sequence` a key whose value the body writes (an empty one is
    /// written `{}` or `[]`); inside a sequence, `item` and `itemMapping` write its items. A
    /// key or scalar the direct path does not write clears `ok`, and the caller writes the tree.
    public struct Block {
        /// A mapping key: a literal of the writer's caller, whose bytes are read in place (no
        /// string to open, and `BlockWriter.simplePlain` passes it in one short loop), or any
        /// string (`Key(text)`).
        public struct Key: ExpressibleByStringLiteral {
            fileprivate let literal: StaticString?
            fileprivate let text: String

            public init(stringLiteral value: StaticString) {
                literal = value
                text = ""
            }

            public init(_ text: String) {
                literal = nil
                self.text = text
            }

            /// The key as a string, for the tree writer.
            fileprivate var string: String { literal.map { $0.description } ?? text }
        }

        fileprivate var out = BlockBytes()
        fileprivate var indent = 0
        /// The next key or item follows a sequence's `- ` on the current line.
        fileprivate var inline = false
        public fileprivate(set) var ok = true

        fileprivate init() {}

        /// The key at the start of its line (or after a dash), then `suffix` (`:`, or `: ` before
        /// a scalar, in one append).
        private mutating func key(_ key: Key, then suffix: StaticString = ":") {
            let lineIndent = inline ? nil : indent
            inline = false
            if let literal = key.literal, literal.hasPointerRepresentation {
                let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
                // A literal that is a name, line start and suffix included, in one write.
                if out.isKnownName(literal) || bytes.count <= 128 && BlockWriter.simplePlain(bytes) && out.rememberName(literal) {
                    out.append(lineAt: lineIndent, bytes, suffix)
                    return
                }
            }
            if let lineIndent { out.lineStart(lineIndent) }
            let text = key.string
            guard text.utf8.count <= 128, scalar(text) else {
                ok = false
                return
            }
            out.append(suffix)
        }

        /// A string scalar as `BlockWriter.scalar(_:into:)` writes it: a name (`simplePlain`)
        /// copied as it is, anything else written apart first (the room after `out.count`
        /// kept); false when only libyaml writes it.
        private mutating func scalar(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            if BlockWriter.simplePlain(bytes) {
                out.append(bytes)
                return true
            }
            return out.append(writing: { BlockWriter.write(bytes, quoted: BlockWriter.ambiguous(bytes), into: &$0) })
        }

        private mutating func scalar(_ text: String) -> Bool {
            if let written = text.utf8.withContiguousStorageIfAvailable({ scalar($0) }) { return written }
            var text = text
            return text.withUTF8 { scalar($0) }
        }

        /// `key: value`, the value plain or double-quoted as `BlockWriter` decides.
        public mutating func string(_ key: Key, _ value: String) {
            self.key(key, then: ": ")
            if !scalar(value) { ok = false }
        }

        public mutating func int(_ key: Key, _ value: Int) {
            self.key(key, then: ": ")
            out.append(decimal: value)
        }

        public mutating func bool(_ key: Key, _ value: Bool) {
            self.key(key, then: value ? ": true" : ": false")
        }

        /// `key` and any value, written as `BlockWriter` writes it.
        public mutating func entry(_ key: Key, _ value: StructuredValue) {
            let wasInline = inline
            inline = false
            let indent = indent
            let written = out.withArray {
                BlockWriter.mapping(CollectionOfOne(StructuredValue.Entry(key.string, value)), indent: indent, inline: wasInline, into: &$0)
            }
            if !written { ok = false }
        }

        /// `key:` and the mapping `body` writes (`{}` when it writes nothing).
        public mutating func mapping(_ key: Key, _ body: (inout Block) -> Void) {
            if !keyed(key, body) { out.append(" {}") }
        }

        /// `key:` and the mapping `body` writes, or nothing at all (not even the key) when `body`
        /// writes nothing: a tree's entry that is left out when it would be empty.
        public mutating func nonEmptyMapping(_ key: Key, _ body: (inout Block) -> Void) {
            let (start, wasInline) = (out.count, inline)
            if !keyed(key, body) {
                out.truncate(to: start)
                inline = wasInline
            }
        }

        /// `key:` and the mapping `body` writes under it; whether `body` wrote anything.
        private mutating func keyed(_ key: Key, _ body: (inout Block) -> Void) -> Bool {
            self.key(key)
            let mark = out.count
            indent += 2
            body(&self)
            indent -= 2
            return out.count != mark
        }

        /// `key:` and the sequence `body` writes with `item`s, its dashes at the key's column
        /// (`[]` when it writes none).
        public mutating func sequence(_ key: Key, _ body: (inout Block) -> Void) {
            self.key(key)
            let mark = out.count
            body(&self)
            if out.count == mark { out.append(" []") }
        }

        private mutating func dash() {
            out.append(lineAt: inline ? nil : indent, UnsafeBufferPointer(start: nil, count: 0), "- ")
            inline = false
        }

        /// A string item of the sequence being written.
        public mutating func item(_ value: String) {
            dash()
            if !scalar(value) { ok = false }
        }

        /// Any item, written as `BlockWriter` writes it.
        public mutating func item(_ value: StructuredValue) {
            let wasInline = inline
            inline = false
            let indent = indent
            if !out.withArray({ BlockWriter.sequence(CollectionOfOne(value), indent: indent, inline: wasInline, into: &$0) }) { ok = false }
        }

        /// A mapping item, its first key after the dash (`{}` when `body` writes nothing).
        public mutating func itemMapping(_ body: (inout Block) -> Void) { item(orEmpty: "{}", body) }

        /// A sequence item, its first item after the dash (`[]` when `body` writes none).
        public mutating func itemSequence(_ body: (inout Block) -> Void) { item(orEmpty: "[]", body) }

        /// An item whose collection `body` writes, its first line after the dash; `empty` when
        /// `body` writes nothing.
        private mutating func item(orEmpty empty: StaticString, _ body: (inout Block) -> Void) {
            dash()
            let mark = out.count
            indent += 2
            inline = true
            body(&self)
            inline = false
            indent -= 2
            if out.count == mark { out.append(empty) }
        }

        /// What a body wrote at one place of a document: its bytes, and the indentation and
        /// position (after a dash or not) they depend on. `replay` writes them again where the
        /// same body would write the same bytes, without running it: for a part a document (or
        /// a stream) holds many times over, such as a NetworkPolicy peer.
        public struct Fragment {
            fileprivate let bytes: [UInt8]
            fileprivate let indent: Int
            fileprivate let inline: Bool
            /// `inline` after the body (true when it wrote nothing after a dash).
            fileprivate let inlineAfter: Bool
            /// The body wrote only what the direct path takes.
            fileprivate let ok: Bool
        }

        /// Runs `body` and gives what it wrote, for `replay`.
        public mutating func recording(_ body: (inout Block) -> Void) -> Fragment {
            let (mark, wasInline, wasOK) = (out.count, inline, ok)
            ok = true
            body(&self)
            let fragment = Fragment(bytes: out.bytes(from: mark), indent: indent, inline: wasInline, inlineAfter: inline, ok: ok)
            ok = ok && wasOK
            return fragment
        }

        /// Writes `fragment` again when it was recorded at this indentation and position (what
        /// its body would write here); false, writing nothing, elsewhere.
        public mutating func replay(_ fragment: Fragment) -> Bool {
            guard fragment.indent == indent, fragment.inline == inline else { return false }
            fragment.bytes.withUnsafeBufferPointer { out.append($0) }
            inline = fragment.inlineAfter
            ok = ok && fragment.ok
            return true
        }
    }
}

/// The bytes a `Stream` and its `Block`s write: an array kept longer than what is written
/// (`count`), so that a write copies into room already there, one uniqueness check and a
/// copy, where `Array.append(contentsOf:)` took its generic path (about a hundred
/// instructions a key or an indentation, most of a direct document's cost). The room stays
/// from one document to the next.
struct BlockBytes {
    /// The `count` bytes written, then zeros or earlier bytes: room for the next writes.
    private var storage: [UInt8] = []
    private(set) var count = 0
    /// The array `append(writing:)` lends its writer.
    private var scratch: [UInt8] = []

    /// Room for `extra` more bytes: zeros appended in steps of at least `zeros.count` (the
    /// array grows by doubling as ever; only the zeros are new), copied from `zeros` in one
    /// move (a repeated zero was written byte by byte, more than all else a document cost).
    @inline(__always) private mutating func reserve(_ extra: Int) {
        let needed = count + extra - storage.count
        guard needed > 0 else { return }
        if needed <= Self.zeros.count {
            Self.zeros.withUnsafeBufferPointer { storage.append(contentsOf: $0) }
        } else {
            storage.append(contentsOf: repeatElement(0, count: needed))
        }
    }

    /// The step of room `reserve` adds, and its bytes.
    private static let zeros = [UInt8](repeating: 0, count: 4096)

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        let start = count
        storage.withUnsafeMutableBufferPointer { $0.baseAddress.unsafelyUnwrapped.advanced(by: start).update(from: source, count: bytes.count) }
        count += bytes.count
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    mutating func append(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    /// A line break and `indent` spaces, as `BlockWriter.lineStart` writes them.
    mutating func lineStart(_ indent: Int) {
        reserve(indent + 1)
        let start = count
        storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress.unsafelyUnwrapped.advanced(by: start)
            base.pointee = BlockWriter.newline
            (base + 1).update(repeating: BlockWriter.space, count: indent)
        }
        count += indent + 1
    }

    /// A line break and `indent` spaces (nothing when `indent` is nil: what follows a dash),
    /// then `bytes` and `suffix`: one reservation and one write for a key and its colon.
    mutating func append(lineAt indent: Int?, _ bytes: UnsafeBufferPointer<UInt8>, _ suffix: StaticString) {
        let lead = indent.map { $0 + 1 } ?? 0
        let total = lead + bytes.count + suffix.utf8CodeUnitCount
        reserve(total)
        let start = count
        storage.withUnsafeMutableBufferPointer { buffer in
            var target = buffer.baseAddress.unsafelyUnwrapped.advanced(by: start)
            if let indent {
                target.pointee = BlockWriter.newline
                (target + 1).update(repeating: BlockWriter.space, count: indent)
                target += lead
            }
            if let source = bytes.baseAddress { target.update(from: source, count: bytes.count) }
            target += bytes.count
            suffix.withUTF8Buffer { target.update(from: $0.baseAddress.unsafelyUnwrapped, count: $0.count) }
        }
        count += total
    }

    /// Whether `literal` (a key literal of a writer's) was found a name (`simplePlain`) before:
    /// a literal's bytes stay at one address for the life of the program, so its address
    /// stands for them, looked up in a small table where `simplePlain` read every byte.
    func isKnownName(_ literal: StaticString) -> Bool {
        let address = UInt(bitPattern: literal.utf8Start)
        return !knownNames.isEmpty && knownNames[Self.slot(address)] == address
    }

    /// Notes `literal` as a name for `isKnownName`, in place of any other in its slot; true.
    mutating func rememberName(_ literal: StaticString) -> Bool {
        let address = UInt(bitPattern: literal.utf8Start)
        if knownNames.isEmpty { knownNames = Array(repeating: 0, count: 128) }
        knownNames[Self.slot(address)] = address
        return true
    }

    /// The slot of `knownNames` of an address: its top bits after a multiplication that
    /// spreads literals packed next to each other.
    private static func slot(_ address: UInt) -> Int { Int(truncatingIfNeeded: (address &* 0x9E37_79B9_7F4A_7C15) >> 57) }

    /// The addresses of literals found names, by `slot` (zero: none; no table before the
    /// first), kept from one document to the next as the buffer is.
    private var knownNames: [UInt] = []

    /// An integer in decimal, the bytes of `String(value)`.
    mutating func append(decimal value: Int) {
        // At most 20 digits and a sign.
        reserve(21)
        let start = count
        count += storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress.unsafelyUnwrapped.advanced(by: start)
            var length = 0
            if value < 0 {
                base.pointee = UInt8(ascii: "-")
                length = 1
            }
            // Digits from the last, on the magnitude (which Int.min's negation would overflow).
            var rest = value.magnitude
            var digits = 0
            repeat {
                digits += 1
                rest /= 10
            } while rest > 0
            rest = value.magnitude
            for position in stride(from: length + digits - 1, through: length, by: -1) {
                base[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            return length + digits
        }
    }

    /// What `write` appends to an array, appended here when it answers true (nothing when
    /// false): for `BlockWriter`'s writers, through an array kept from one call to the next
    /// (an array allocated per scalar was most of the cost of a scalar that is no name).
    mutating func append(writing write: (inout [UInt8]) -> Bool) -> Bool {
        var written: [UInt8] = []
        swap(&written, &scratch)
        defer { swap(&written, &scratch) }
        written.removeAll(keepingCapacity: true)
        guard write(&written) else { return false }
        written.withUnsafeBufferPointer { append($0) }
        return true
    }

    /// Drops what was written from `mark` on.
    mutating func truncate(to mark: Int) { count = mark }

    /// `body` on the bytes written, in place.
    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        storage.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[..<count])) }
    }

    /// The bytes written from `mark` on.
    func bytes(from mark: Int) -> [UInt8] { Array(storage[mark..<count]) }

    /// `body` on the written bytes as an array (for `BlockWriter`'s writers, on the paths few
    /// documents take), what it appends kept; the room after them is given up.
    mutating func withArray<Result>(_ body: (inout [UInt8]) -> Result) -> Result {
        storage.removeSubrange(count...)
        defer { count = storage.count }
        return body(&storage)
    }
}

private final class OutputSink {
    var bytes: [UInt8] = []
}

private struct Session {
    let emitter: UnsafeMutablePointer<yaml_emitter_t>

    func emit(_ make: (inout yaml_event_t) -> Int32) throws {
        var event = yaml_event_t()
        guard make(&event) == 1 else { throw YAMLWriter.Failure(description: "libyaml could not create an event") }
        guard yaml_emitter_emit(emitter, &event) == 1 else {
            let problem = emitter.pointee.problem.map { String(cString: $0) } ?? "unknown error"
            throw YAMLWriter.Failure(description: "libyaml emitter: \(problem)")
        }
    }

    func emit(_ value: StructuredValue) throws {
        switch value {
        case .string(let text):
            try scalar(text, style: plainScalarIsAmbiguous(text) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE)
        case .int(let number): try scalar(String(number), style: YAML_PLAIN_SCALAR_STYLE)
        case .number(let text): try scalar(text, style: YAML_PLAIN_SCALAR_STYLE)
        case .bool(let flag): try scalar(flag ? "true" : "false", style: YAML_PLAIN_SCALAR_STYLE)
        case .null: try scalar("null", style: YAML_PLAIN_SCALAR_STYLE)
        case .array(let items):
            try emit { event in
                yaml_sequence_start_event_initialize(&event, nil, nil, 1, items.isEmpty ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE)
            }
            for item in items { try emit(item) }
            try emit { event in yaml_sequence_end_event_initialize(&event) }
        case .object(let entries):
            try emit { event in
                yaml_mapping_start_event_initialize(&event, nil, nil, 1, entries.isEmpty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE)
            }
            for entry in entries {
                try emit(.string(entry.key))
                try emit(entry.value)
            }
            try emit { event in yaml_mapping_end_event_initialize(&event) }
        }
    }

    func scalar(_ text: String, style: yaml_scalar_style_t) throws {
        // libyaml copies `length` bytes; an empty string still needs a valid pointer.
        var text = text
        let empty: UInt8 = 0
        try withUnsafePointer(to: empty) { fallback in
            try text.withUTF8 { buffer in
                let base = UnsafeMutablePointer(mutating: buffer.baseAddress ?? fallback)
                try emit { event in
                    yaml_scalar_event_initialize(&event, nil, nil, base, Int32(buffer.count), 1, 1, style)
                }
            }
        }
    }
}

/// The documents libyaml would write in block style with the writer's settings (indent 2, no
/// width, Unicode on), written directly: a root mapping, mappings and sequences of plain,
/// single-quoted or double-quoted ASCII scalars. It answers false (leaving `out` to be cut back) for anything
/// else, which then goes through libyaml.
enum BlockWriter {
    static func document(_ root: StructuredValue, into out: inout [UInt8]) -> Bool {
        guard case .object(let entries) = root, !entries.isEmpty else { return false }
        out += "---".utf8
        guard mapping(entries, indent: 0, inline: false, into: &out) else { return false }
        out.append(newline)
        return true
    }

    fileprivate static let newline = UInt8(ascii: "\n")
    fileprivate static let space = UInt8(ascii: " ")

    fileprivate static func lineStart(_ indent: Int, into out: inout [UInt8]) {
        out.append(newline)
        // Appended as one run of known length (no shared line of spaces to look up and slice).
        out.append(contentsOf: repeatElement(space, count: indent))
    }

    /// A mapping whose keys start at column `indent`; `inline` when the first key follows a
    /// sequence's `- ` on the current line.
    fileprivate static func mapping(_ entries: some Collection<StructuredValue.Entry>, indent: Int, inline: Bool, into out: inout [UInt8]) -> Bool {
        for (position, entry) in entries.enumerated() {
            if position > 0 || !inline { lineStart(indent, into: &out) }
            // libyaml writes a key of more than 128 bytes as a complex key (`? `).
            guard entry.key.utf8.count <= 128, scalar(entry.key, into: &out) else { return false }
            out.append(UInt8(ascii: ":"))
            switch entry.value {
            case .object(let inner) where !inner.isEmpty:
                guard mapping(inner, indent: indent + 2, inline: false, into: &out) else { return false }
            case .array(let items) where !items.isEmpty:
                // A sequence in a mapping is indentless: its dashes at the key's column.
                guard sequence(items, indent: indent, inline: false, into: &out) else { return false }
            default:
                out.append(space)
                guard leaf(entry.value, into: &out) else { return false }
            }
        }
        return true
    }

    fileprivate static func sequence(_ items: some Collection<StructuredValue>, indent: Int, inline: Bool, into out: inout [UInt8]) -> Bool {
        for (position, item) in items.enumerated() {
            if position > 0 || !inline { lineStart(indent, into: &out) }
            out.append(UInt8(ascii: "-"))
            out.append(space)
            switch item {
            case .object(let inner) where !inner.isEmpty:
                guard mapping(inner, indent: indent + 2, inline: true, into: &out) else { return false }
            case .array(let inner) where !inner.isEmpty:
                guard sequence(inner, indent: indent + 2, inline: true, into: &out) else { return false }
            default:
                guard leaf(item, into: &out) else { return false }
            }
        }
        return true
    }

    /// A scalar, or an empty collection in flow style.
    private static func leaf(_ value: StructuredValue, into out: inout [UInt8]) -> Bool {
        switch value {
        case .string(let text): return scalar(text, into: &out)
        case .int(let number): return scalar(String(number), quoted: false, into: &out)
        case .number(let text): return scalar(text, quoted: false, into: &out)
        case .bool(let flag): return scalar(flag ? "true" : "false", quoted: false, into: &out)
        case .null: return scalar("null", quoted: false, into: &out)
        case .array: out += "[]".utf8
        case .object: out += "{}".utf8
        }
        return true
    }

    /// A string scalar: double-quoted when a plain one would read back as another type
    /// (`plainScalarIsAmbiguous`, decided here on the bytes), else plain.
    static func scalar(_ text: String, into out: inout [UInt8]) -> Bool {
        if let written = text.utf8.withContiguousStorageIfAvailable({ bytes in scalar(bytes, into: &out) }) { return written }
        var text = text
        return text.withUTF8 { bytes in scalar(bytes, into: &out) }
    }

    /// `write(bytes, quoted: ambiguous(bytes))`, with the common case (a name: see `simplePlain`)
    /// appended after one pass over its bytes.
    fileprivate static func scalar(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        if simplePlain(bytes) {
            out.append(contentsOf: bytes)
            return true
        }
        return write(bytes, quoted: ambiguous(bytes), into: &out)
    }

    /// Whether a scalar is one of the names most keys and values are (an ASCII letter, then
    /// letters, digits, `-`, `.`, `/` or `_`, and no YAML 1.1 word: `isWord`, tested only on
    /// names of at most five bytes starting like one, such as `name`, `to` or `TCP`), which
    /// `ambiguous` never quotes and `plainInBlock` always allows: exactly the names those two
    /// checks let through plain, decided in one pass of range tests (no tables, whose lazy
    /// globals cost a check per use) instead of their several passes.
    static func simplePlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // An ASCII letter, in lower case: `| 0x20` maps no other byte into `a`...`z`.
        guard let first = bytes.first else { return false }
        let lower = first | 0x20
        guard lower &- UInt8(ascii: "a") < 26 else { return false }
        // The letters the words start with (`n`ull, `y`es, `t`rue, `f`alse, `o`n), in either case:
        // a short name starting with one is refused only when it is one of the words.
        if bytes.count <= 5,
            lower == UInt8(ascii: "n") || lower == UInt8(ascii: "y") || lower == UInt8(ascii: "t") || lower == UInt8(ascii: "f")
                || lower == UInt8(ascii: "o"),
            isWord(bytes)
        {
            return false
        }
        // Eight bytes at a time, the last eight overlapping the ones before; fewer than eight
        // packed into one word after `a`s (a name byte) in the lanes past them.
        let count = bytes.count
        guard count >= 8 else { return nameBytes(packed(bytes) | 0x6161_6161_6161_6161 << (8 * UInt64(count))) }
        let base = UnsafeRawPointer(bytes.baseAddress.unsafelyUnwrapped)
        var index = 0
        while index + 8 < count {
            guard nameBytes(base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) else { return false }
            index += 8
        }
        return nameBytes(base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
    }

    /// At most eight bytes as one integer, the first in the lowest byte (as a little-endian
    /// load reads them), zeros above the last.
    static func packed(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var packed: UInt64 = 0
        for index in bytes.indices.reversed() { packed = packed << 8 | UInt64(bytes[index]) }
        return packed
    }

    /// Whether one to five bytes are one of the YAML 1.1 words of letters `ambiguous` quotes
    /// (`y`, `no`, `On`, `OFF`, `null`, `True`, `false`: lower case, capitalized or upper case),
    /// decided on the bytes packed into one integer (little-endian) and compared with the words'
    /// lower-case packings, where `ambiguous` searches its list of words. Bytes that are not
    /// letters never match: for bytes below 0x80, `| 0x20` maps no other byte onto a letter.
    static func isWord(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let packed = packed(bytes)
        let caseBits: UInt64 = 0x20_2020_2020 >> (8 * (5 - UInt64(bytes.count)))
        let lower = packed | caseBits
        switch bytes.count {
        // `y`, `n`
        case 1: guard lower == 0x79 || lower == 0x6E else { return false }
        // `no`, `on`
        case 2: guard lower == 0x6F6E || lower == 0x6E6F else { return false }
        // `yes`, `off`
        case 3: guard lower == 0x73_6579 || lower == 0x66_666F else { return false }
        // `null`, `true`
        case 4: guard lower == 0x6C6C_756E || lower == 0x6575_7274 else { return false }
        // `false`
        case 5: guard lower == 0x65_736C_6166 else { return false }
        default: return false
        }
        // Lower case, upper case, or the first letter alone in upper case.
        return packed == lower || packed == lower & ~caseBits || packed == lower & ~0x20
    }

    /// Whether each of the eight bytes of `word` passes `simplePlain`'s byte test (an ASCII
    /// letter, `-`, `.`, `/`, a digit or `_`), tested together: for bytes below 0x80,
    /// `x + (0x80 - low)` has its high bit set exactly when `x >= low`, and `x + (0x7F - high)`
    /// exactly when `x > high`, and neither carries into the next byte.
    static func nameBytes(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        guard word & high == 0 else { return false }
        /// High bits of the bytes within `low...upper`.
        func within(_ x: UInt64, _ low: UInt8, _ upper: UInt8) -> UInt64 {
            (x &+ ones &* UInt64(0x80 - low)) & ~(x &+ ones &* UInt64(0x7F - upper)) & high
        }
        let letters = within(word | (ones &* 0x20), UInt8(ascii: "a"), UInt8(ascii: "z"))
        let marks = within(word, UInt8(ascii: "-"), UInt8(ascii: "9"))
        let underscores = within(word, UInt8(ascii: "_"), UInt8(ascii: "_"))
        return letters | marks | underscores == high
    }

    /// A scalar whose style is known.
    static func scalar(_ text: String, quoted: Bool, into out: inout [UInt8]) -> Bool {
        if let written = text.utf8.withContiguousStorageIfAvailable({ bytes in write(bytes, quoted: quoted, into: &out) }) { return written }
        var text = text
        return text.withUTF8 { bytes in write(bytes, quoted: quoted, into: &out) }
    }

    /// Double-quoted: printable ASCII without `"` or `\\` (nothing to escape). Plain: what
    /// libyaml's scalar analysis allows plain in block context, for printable ASCII; other
    /// printable ASCII single-quoted, as libyaml then writes it.
    fileprivate static func write(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, into out: inout [UInt8]) -> Bool {
        if quoted {
            for byte in bytes where byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        }
        guard plainInBlock(bytes) else { return singleQuoted(bytes, into: &out) }
        out.append(contentsOf: bytes)
        return true
    }

    /// Printable ASCII that may not be plain (`a: b`, `x == 'y'`, a leading space), as libyaml
    /// writes it when plain is refused and nothing needs escaping: between single quotes, each
    /// `'` doubled, on one line (the writer's width is unlimited, so nothing is folded). False
    /// for any other byte (escapes, line breaks, Unicode: libyaml's).
    static func singleQuoted(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        let quote = UInt8(ascii: "'")
        for byte in bytes where byte < 0x20 || byte > 0x7E { return false }
        out.append(quote)
        // Runs up to and including each quote, which is then written a second time.
        var start = 0
        for index in bytes.indices where bytes[index] == quote {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...index]))
            out.append(quote)
            start = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        out.append(quote)
        return true
    }

    /// `plainScalarIsAmbiguous` on a string's UTF-8 bytes, with the same answer for every
    /// string, without building a string or hashing one: the YAML 1.1 words (`yes`, `~`,
    /// `<<`), `.inf` and `.nan` with an optional sign, and numbers, timestamps and
    /// sexagesimals (a digit or `.` first, after an optional sign, then only their characters).
    static func ambiguous(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first else { return true }
        // Lengths first: most keys that start like a word (`name`, `type`) are no word.
        if bytes.count <= 5, wordStarts[Int(first)], ambiguousWords.contains(where: { $0.count == bytes.count && $0[0] == first && $0.elementsEqual(bytes) }) {
            return true
        }
        var start = 0
        if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { start = 1 }
        let count = bytes.count - start
        if count == 4, bytes[start] == UInt8(ascii: ".") {
            // Lowercased: ASCII letters only can make `.inf` or `.nan` in four bytes.
            let rest = (1...3).map { index -> UInt8 in
                let byte = bytes[start + index]
                return byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            }
            if rest.elementsEqual("inf".utf8) || rest.elementsEqual("nan".utf8) { return true }
        }
        guard count > 0 else { return false }
        let lead = bytes[start]
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(lead) || lead == UInt8(ascii: ".") else { return false }
        for index in start..<bytes.count where !numericBytes[Int(bytes[index])] { return false }
        return true
    }

    /// The words `plainScalarIsAmbiguous` quotes, as bytes.
    private static let ambiguousWords: [[UInt8]] = [
        "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF", "<<", "=",
    ].map { Array($0.utf8) }

    /// The first bytes of `ambiguousWords`, by byte.
    private static let wordStarts: [Bool] = {
        var table = Array(repeating: false, count: 256)
        for word in ambiguousWords { table[Int(word[0])] = true }
        return table
    }()

    /// The characters of numbers, timestamps and sexagesimals, by byte.
    private static let numericBytes: [Bool] = {
        var table = Array(repeating: false, count: 256)
        for byte in "0123456789abcdefABCDEFxXoObB_.:+-eE tTzZ".utf8 { table[Int(byte)] = true }
        return table
    }()

    static func plainInBlock(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last, first != space, last != space else { return false }
        let count = bytes.count
        if count >= 3, first == UInt8(ascii: "-") || first == UInt8(ascii: "."), bytes[1] == first, bytes[2] == first { return false }
        /// Followed by a blank or the end.
        func followedByBlank(_ index: Int) -> Bool { index + 1 == count || bytes[index + 1] == space }
        switch first {
        case UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "&"),
            UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"),
            UInt8(ascii: "@"), UInt8(ascii: "`"):
            return false
        case UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: "-"):
            if followedByBlank(0) { return false }
        default: break
        }
        for index in 0..<count {
            let byte = bytes[index]
            guard byte >= 0x20, byte <= 0x7E else { return false }
            if byte == UInt8(ascii: ":"), index > 0, followedByBlank(index) { return false }
            if byte == UInt8(ascii: "#"), index > 0, bytes[index - 1] == space { return false }
        }
        return true
    }
}
