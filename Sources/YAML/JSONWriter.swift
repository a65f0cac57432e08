/// Writes `StructuredValue`s as JSON: two-space indentation, keys in the order given,
/// a final newline; the same value always gives the same bytes.
public enum JSONWriter {
    public static func write(_ value: StructuredValue) -> String {
        var out = ""
        append(value, indent: 0, to: &out)
        out += "\n"
        return out
    }

    /// One line, no spaces: for embedding.
    public static func compact(_ value: StructuredValue) -> String {
        var out = ""
        appendCompact(value, to: &out)
        return out
    }

    private static func append(_ value: StructuredValue, indent: Int, to out: inout String) {
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                append(item, indent: indent + 2, to: &out)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .object(let entries) where !entries.isEmpty:
            out += "{\n"
            for (index, entry) in entries.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                appendString(entry.key, to: &out)
                out += ": "
                append(entry.value, indent: indent + 2, to: &out)
                out += index == entries.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        default:
            appendCompact(value, to: &out)
        }
    }

    private static func appendCompact(_ value: StructuredValue, to out: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &out)
        case .int(let number): out += String(number)
        case .number(let text): out += text
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                appendCompact(item, to: &out)
            }
            out += "]"
        case .object(let entries):
            out += "{"
            for (index, entry) in entries.enumerated() {
                if index > 0 { out += "," }
                appendString(entry.key, to: &out)
                out += ":"
                appendCompact(entry.value, to: &out)
            }
            out += "}"
        }
    }

    private static func appendString(_ text: String, to out: inout String) {
        // Most strings are printable ASCII without quotes or backslashes: appended whole.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            out += "\""
            out += text
            out += "\""
            return
        }
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
