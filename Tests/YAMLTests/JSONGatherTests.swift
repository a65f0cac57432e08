import TestSupport
import Testing

@testable import YAML

/// The JSON writer's gathered appends (an entry's line start and key at once, short strings
/// with their quotes at once) against a reference that writes JSON character by character:
/// every indentation up to beyond the line-start buffer, keys and strings short and long,
/// plain and escaped.
@Suite struct JSONGatherTests {
    /// JSON as `JSONWriter.write` lays it out, built character by character.
    static func reference(_ value: StructuredValue, indent: Int = 0) -> String {
        let pad = { (count: Int) in String(repeating: " ", count: count) }
        switch value {
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { pad(indent + 2) + reference($0, indent: indent + 2) }.joined(separator: ",\n") + "\n" + pad(indent) + "]"
        case .object(let entries) where !entries.isEmpty:
            return "{\n"
                + entries.map { pad(indent + 2) + quoted($0.key) + ": " + reference($0.value, indent: indent + 2) }.joined(separator: ",\n") + "\n"
                + pad(indent) + "}"
        case .array: return "[]"
        case .object: return "{}"
        case .string(let text): return quoted(text)
        case .int(let number): return String(number)
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
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
        return out + "\""
    }

    static let texts = [
        "", "a", "plain words", String(repeating: "x", count: 253), String(repeating: "y", count: 254), String(repeating: "z", count: 400),
        "quote \" in", "back\\slash", "new\nline", "é", "\u{7F}", "\u{2028}",
    ]

    /// A fixed key longer than the buffer a line start and key are gathered in.
    static let longKey: StaticString = """
        kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\
        kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\
        kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk
        """

    /// Trees with every kind of value, and one nested deep enough to indent beyond 64 spaces.
    @Test func treesAsTheReference() {
        var rng = SeededGenerator(seed: 43)
        func value(_ depth: Int) -> StructuredValue {
            if depth < 36, Int.random(in: 0..<3, using: &rng) > 0 {
                let count = Int.random(in: 0..<3, using: &rng)
                if Bool.random(using: &rng) { return .array((0..<count).map { _ in value(depth + 1) }) }
                return .object((0..<count).map { _ in .init(Self.texts.randomElement(using: &rng) ?? "", value(depth + 1)) })
            }
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: return .string(Self.texts.randomElement(using: &rng) ?? "")
            case 1: return .int(Int.random(in: -99_999...99_999, using: &rng))
            case 2: return .bool(Bool.random(using: &rng))
            default: return .null
            }
        }
        for _ in 0..<300 {
            let tree = value(0)
            #expect(JSONWriter.write(tree) == Self.reference(tree) + "\n")
        }
        // Forty levels: lines indented up to 80 spaces, beyond the line-start buffer.
        var deep: StructuredValue = .string("leaf")
        for level in 0..<40 {
            deep = level % 2 == 0 ? .object([.init("k", deep), .init("s", .string("x"))]) : .array([deep, .int(level), .array([])])
        }
        #expect(JSONWriter.write(deep) == Self.reference(deep) + "\n")
    }

    /// The object writer's fixed keys (short, long beyond the gathered buffer, one to escape)
    /// and strings at every indentation from 0 to 80.
    @Test func objectWriterAsTheReference() {
        for indent in 0...80 {
            for text in Self.texts {
                var writer = JSONWriter.ObjectWriter(at: indent)
                writer.string("name", text)
                writer.string(Self.longKey, text)
                writer.string("a \"quoted\" key", text)
                writer.strings("list", [text, "b"])
                writer.object("nested") { $0.string("inner", text) }
                writer.object(named: text) { $0.int("n", -7) }
                let tree: StructuredValue = .object([
                    .init("name", .string(text)), .init(Self.longKey.description, .string(text)), .init("a \"quoted\" key", .string(text)),
                    .init("list", .array([.string(text), "b"])), .init("nested", .object([.init("inner", .string(text))])),
                    .init(text, .object([.init("n", .int(-7))])),
                ])
                #expect(String(decoding: writer.finished(), as: UTF8.self) == Self.reference(tree, indent: indent), "\(indent) \(text.prefix(8))")
            }
        }
    }
}
