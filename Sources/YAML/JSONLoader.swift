import Diagnostics

/// A fast path for reading back the JSON files Palisade writes: strict JSON (as `JSONWriter`
/// writes it) composed into the same located nodes libyaml's composer gives for it, at a
/// fraction of the cost. Anything else — a byte libyaml would refuse, an escape `JSONWriter`
/// never writes, a duplicate key, deep nesting, more than one value — gives nil, and the
/// caller loads the file through `YAMLLoader`, which says what is wrong.
public enum JSONLoader {
    /// The document, or nil when the text is not plain JSON of the kind `JSONWriter` writes.
    public static func load(text: String, file: String, limits: YAMLLimits = YAMLLimits()) -> YAMLNode? {
        var text = text
        return text.withUTF8 { buffer in load(buffer, file: file, limits: limits) }
    }

    static func load(_ buffer: UnsafeBufferPointer<UInt8>, file: String, limits: YAMLLimits) -> YAMLNode? {
        guard buffer.count <= limits.maxBytes else { return nil }
        var parser = JSONParser(buffer: buffer, file: file, maxDepth: limits.maxDepth)
        parser.skipSpace()
        guard let root = parser.value(depth: 0) else { return nil }
        parser.skipSpace()
        guard parser.index == buffer.count else { return nil }
        return root
    }
}

/// Positions as libyaml counts them: lines and columns from 1, offsets in characters.
private struct JSONParser {
    let buffer: UnsafeBufferPointer<UInt8>
    let file: FileName
    let maxDepth: Int
    var index = 0
    var line = 1
    /// The character offset of the current byte, and of the start of its line.
    var characters = 0
    var lineStart = 0

    init(buffer: UnsafeBufferPointer<UInt8>, file: String, maxDepth: Int) {
        self.buffer = buffer
        self.file = FileName(file)
        self.maxDepth = maxDepth
    }

    var position: SourcePosition { SourcePosition(line: line, column: characters - lineStart + 1, offset: characters) }

    /// Spaces and line feeds only: the whitespace `JSONWriter` writes.
    mutating func skipSpace() {
        while index < buffer.count {
            let byte = buffer[index]
            if byte == UInt8(ascii: " ") {
                index += 1
                characters += 1
            } else if byte == UInt8(ascii: "\n") {
                index += 1
                characters += 1
                line += 1
                lineStart = characters
            } else {
                return
            }
        }
    }

    mutating func value(depth: Int) -> YAMLNode? {
        guard index < buffer.count else { return nil }
        switch buffer[index] {
        case UInt8(ascii: "{"): return object(depth: depth + 1)
        case UInt8(ascii: "["): return array(depth: depth + 1)
        case UInt8(ascii: "\""):
            let start = position
            guard let text = string() else { return nil }
            return YAMLNode(.scalar(text, .doubleQuoted), range: SourceRange(fileName: file, start: start, end: position))
        default: return plain()
        }
    }

    /// A number, `true`, `false` or `null`, as a plain scalar.
    mutating func plain() -> YAMLNode? {
        let start = position
        let first = index
        while index < buffer.count {
            let byte = buffer[index]
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            let isLetter = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
            guard
                isDigit || isLetter || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "E")
            else { break }
            index += 1
        }
        let bytes = UnsafeBufferPointer(rebasing: buffer[first..<index])
        guard Self.isPlainJSON(bytes) else { return nil }
        characters += bytes.count
        let text = String(decoding: bytes, as: UTF8.self)
        return YAMLNode(.scalar(text, .plain), range: SourceRange(fileName: file, start: start, end: position))
    }

    /// `true`, `false`, `null` or a JSON number.
    static func isPlainJSON(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.elementsEqual("true".utf8) || bytes.elementsEqual("false".utf8) || bytes.elementsEqual("null".utf8) { return true }
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits()
        guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }

    /// A string's text, the cursor after its closing quote.
    mutating func string() -> String? {
        index += 1
        characters += 1
        let first = index
        // Printable ASCII without escapes, the common case: the bytes as they are.
        while index < buffer.count {
            let byte = buffer[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[first..<index]), as: UTF8.self)
                characters += index - first + 1
                index += 1
                return text
            }
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { break }
            index += 1
        }
        characters += index - first
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: String(decoding: UnsafeBufferPointer(rebasing: buffer[first..<index]), as: UTF8.self).unicodeScalars)
        while index < buffer.count {
            let byte = buffer[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                characters += 1
                return String(scalars)
            }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < buffer.count else { return nil }
                let escaped = buffer[index + 1]
                index += 2
                characters += 2
                switch escaped {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    guard index + 4 <= buffer.count else { return nil }
                    var value: UInt32 = 0
                    for offset in 0..<4 {
                        guard let digit = hexDigit(buffer[index + offset]) else { return nil }
                        value = value << 4 | digit
                    }
                    index += 4
                    characters += 4
                    // Surrogates are refused by libyaml: left to it to say so.
                    guard let scalar = Unicode.Scalar(value) else { return nil }
                    scalars.append(scalar)
                default:
                    return nil
                }
                continue
            }
            guard let (scalar, width) = decodeScalar(at: index), isPrintable(scalar) else { return nil }
            scalars.append(scalar)
            index += width
            characters += 1
        }
        return nil
    }

    func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// The scalar whose UTF-8 starts at `start`, and its width; nil for malformed UTF-8.
    func decodeScalar(at start: Int) -> (Unicode.Scalar, Int)? {
        var iterator = buffer[start...].makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return nil }
        return (scalar, UTF8.width(scalar))
    }

    /// What libyaml's reader accepts in a file, outside line breaks.
    func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20...0x7E, 0x85, 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    mutating func object(depth: Int) -> YAMLNode? {
        guard depth <= maxDepth else { return nil }
        let start = position
        index += 1
        characters += 1
        var pairs: [YAMLPair] = []
        var keys: Set<String>?
        skipSpace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "}") {
            index += 1
            characters += 1
            return YAMLNode(.mapping(pairs), range: SourceRange(fileName: file, start: start, end: position))
        }
        while true {
            guard index < buffer.count, buffer[index] == UInt8(ascii: "\"") else { return nil }
            let keyStart = position
            guard let name = string() else { return nil }
            let key = YAMLNode(.scalar(name, .doubleQuoted), range: SourceRange(fileName: file, start: keyStart, end: position))
            // A duplicate key is an error libyaml's composer reports.
            if pairs.count < 16 {
                if pairs.contains(where: { $0.key.scalar == name }) { return nil }
            } else {
                if keys == nil { keys = Set(pairs.map(\.name)) }
                guard keys?.insert(name).inserted == true else { return nil }
            }
            skipSpace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            characters += 1
            skipSpace()
            guard let value = value(depth: depth) else { return nil }
            if pairs.isEmpty { pairs.reserveCapacity(4) }
            pairs.append(YAMLPair(key: key, value: value))
            skipSpace()
            guard index < buffer.count else { return nil }
            let byte = buffer[index]
            index += 1
            characters += 1
            if byte == UInt8(ascii: "}") { return YAMLNode(.mapping(pairs), range: SourceRange(fileName: file, start: start, end: position)) }
            guard byte == UInt8(ascii: ",") else { return nil }
            skipSpace()
        }
    }

    mutating func array(depth: Int) -> YAMLNode? {
        guard depth <= maxDepth else { return nil }
        let start = position
        index += 1
        characters += 1
        var items: [YAMLNode] = []
        skipSpace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "]") {
            index += 1
            characters += 1
            return YAMLNode(.sequence(items), range: SourceRange(fileName: file, start: start, end: position))
        }
        while true {
            guard let item = value(depth: depth) else { return nil }
            items.append(item)
            skipSpace()
            guard index < buffer.count else { return nil }
            let byte = buffer[index]
            index += 1
            characters += 1
            if byte == UInt8(ascii: "]") { return YAMLNode(.sequence(items), range: SourceRange(fileName: file, start: start, end: position)) }
            guard byte == UInt8(ascii: ",") else { return nil }
            skipSpace()
        }
    }
}
