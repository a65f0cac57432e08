// The Common Expression Language, as far as the admission policies Palisade writes use it:
// literals (strings without escapes beyond \\ \' \" , integers, booleans, null, lists),
// identifiers, field selection, indexing, `!`, `&&`, `||`, `==`, `!=`, `in`, `+`, `? :`,
// `has()`, `size()`, the string methods `matches`, `startsWith`, `endsWith`, `contains`,
// and the macros `all`, `exists`, `filter`, `map`. Anything else is refused with its
// offset: this is the reader's own check of what the emitter writes, not a general CEL.
// A `matches` pattern written as a literal is compiled here (`CELRegex`), so a pattern
// outside RE2's syntax is refused with its column too.

/// A parsed CEL expression.
public indirect enum CELExpression: Sendable, Hashable {
    case literal(CELValue)
    case list([CELExpression])
    case identifier(String)
    /// `operand.field`.
    case select(CELExpression, String)
    /// `has(operand.field)`.
    case has(CELExpression, String)
    /// `operand[index]`.
    case index(CELExpression, CELExpression)
    /// A global function (`size(x)`) or a method (`x.matches(r)`).
    case call(String, target: CELExpression?, [CELExpression])
    /// `range.all(variable, body)` and the other macros.
    case comprehension(CELMacro, range: CELExpression, variable: String, body: CELExpression)
    case not(CELExpression)
    case binary(CELOperator, CELExpression, CELExpression)
    case conditional(CELExpression, CELExpression, CELExpression)
}

/// The comprehension macros the subset has.
public enum CELMacro: String, Sendable, Hashable, CaseIterable {
    case all, exists, filter, map
}

/// The binary operators the subset has.
public enum CELOperator: String, Sendable, Hashable {
    case and = "&&"
    case or = "||"
    case equal = "=="
    case notEqual = "!="
    case `in` = "in"
    case plus = "+"
}

/// Why an expression is outside the subset, and where (a 0-based offset in UTF-8 bytes).
public struct CELSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public var description: String { "column \(offset + 1): \(message)" }
}

/// Parses the subset; `parse` throws `CELSyntaxError`.
public struct CELParser {
    static let globalFunctions: Set<String> = ["size"]
    static let methods: [String: Int] = ["matches": 1, "startsWith": 1, "endsWith": 1, "contains": 1, "size": 0]

    enum Token: Equatable {
        case identifier(String)
        case string(String)
        case int(Int)
        case symbol(String)
        case end
    }

    let tokens: [(token: Token, offset: Int)]
    /// The expression's UTF-8 bytes, to locate an error inside a string literal.
    var source: [UInt8] = []
    var position = 0

    /// The expression of `text`, or a located error.
    public static func parse(_ text: String) throws(CELSyntaxError) -> CELExpression {
        var parser = CELParser(tokens: try lex(text))
        parser.source = Array(text.utf8)
        let expression = try parser.conditional(depth: 0)
        guard parser.current == .end else { throw parser.error("unexpected \(parser.describe(parser.current))") }
        return expression
    }

    static func lex(_ text: String) throws(CELSyntaxError) -> [(token: Token, offset: Int)] {
        let bytes = Array(text.utf8)
        var tokens: [(token: Token, offset: Int)] = []
        var index = 0
        func isIdentifierByte(_ byte: UInt8, first: Bool) -> Bool {
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F || (!first && byte >= 0x30 && byte <= 0x39)
        }
        while index < bytes.count {
            let byte = bytes[index]
            let start = index
            if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D {
                index += 1
            } else if isIdentifierByte(byte, first: true) {
                while index < bytes.count, isIdentifierByte(bytes[index], first: false) { index += 1 }
                tokens.append((.identifier(String(decoding: bytes[start..<index], as: UTF8.self)), start))
            } else if byte >= 0x30 && byte <= 0x39 {
                while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
                if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "u") || bytes[index] == UInt8(ascii: "e") {
                    throw CELSyntaxError(message: "only integer literals are supported", offset: start)
                }
                guard let value = Int(String(decoding: bytes[start..<index], as: UTF8.self)) else {
                    throw CELSyntaxError(message: "integer literal out of range", offset: start)
                }
                tokens.append((.int(value), start))
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                index += 1
                var value: [UInt8] = []
                var closed = false
                while index < bytes.count {
                    let next = bytes[index]
                    if next == byte {
                        closed = true
                        index += 1
                        break
                    }
                    if next == 0x0A { break }
                    if next == UInt8(ascii: "\\") {
                        guard index + 1 < bytes.count, [UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\"")].contains(bytes[index + 1]) else {
                            throw CELSyntaxError(message: "unsupported escape in a string literal", offset: index)
                        }
                        value.append(bytes[index + 1])
                        index += 2
                        continue
                    }
                    value.append(next)
                    index += 1
                }
                guard closed else { throw CELSyntaxError(message: "unterminated string literal", offset: start) }
                tokens.append((.string(String(decoding: value, as: UTF8.self)), start))
            } else {
                let two = index + 1 < bytes.count ? String(decoding: bytes[index...(index + 1)], as: UTF8.self) : ""
                if ["&&", "||", "==", "!="].contains(two) {
                    tokens.append((.symbol(two), start))
                    index += 2
                } else if "!.,()[]?:+".utf8.contains(byte) {
                    tokens.append((.symbol(String(UnicodeScalar(byte))), start))
                    index += 1
                } else {
                    throw CELSyntaxError(message: "unsupported character '\(String(decoding: [byte], as: UTF8.self))'", offset: start)
                }
            }
        }
        tokens.append((.end, bytes.count))
        return tokens
    }

    init(tokens: [(token: Token, offset: Int)]) { self.tokens = tokens }

    var current: Token { tokens[position].token }

    func error(_ message: String) -> CELSyntaxError { CELSyntaxError(message: message, offset: tokens[position].offset) }

    func describe(_ token: Token) -> String {
        switch token {
        case .identifier(let name): "'\(name)'"
        case .string: "a string"
        case .int(let value): "'\(value)'"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "the end of the expression"
        }
    }

    mutating func expect(_ symbol: String) throws(CELSyntaxError) {
        guard current == .symbol(symbol) else { throw error("expected '\(symbol)', found \(describe(current))") }
        position += 1
    }

    mutating func accept(_ symbol: String) -> Bool {
        guard current == .symbol(symbol) else { return false }
        position += 1
        return true
    }

    /// Where byte `offset` of the value of the string literal starting (at its quote) at
    /// `start` lies in the expression: an escape is two bytes of source for one of value.
    func sourceOffset(ofByte offset: Int, inLiteralAt start: Int) -> Int {
        guard start < source.count, source[start] == UInt8(ascii: "'") || source[start] == UInt8(ascii: "\"") else { return start }
        var index = start + 1
        for _ in 0..<offset where index < source.count { index += source[index] == UInt8(ascii: "\\") ? 2 : 1 }
        return min(index, source.count)
    }

    /// Nesting is bounded so hostile input cannot exhaust the stack.
    static let maximumDepth = 64

    mutating func conditional(depth: Int) throws(CELSyntaxError) -> CELExpression {
        guard depth < Self.maximumDepth else { throw error("the expression nests too deeply") }
        let condition = try binary(level: 0, depth: depth)
        guard accept("?") else { return condition }
        let then = try conditional(depth: depth + 1)
        try expect(":")
        let otherwise = try conditional(depth: depth + 1)
        return .conditional(condition, then, otherwise)
    }

    /// `||`, then `&&`, then the relations, then `+`: CEL's precedence, loosest first.
    static let levels: [[String]] = [["||"], ["&&"], ["==", "!=", "in"], ["+"]]

    mutating func binary(level: Int, depth: Int) throws(CELSyntaxError) -> CELExpression {
        guard level < Self.levels.count else { return try unary(depth: depth) }
        var left = try binary(level: level + 1, depth: depth)
        while true {
            let symbol: String
            switch current {
            case .symbol(let text) where Self.levels[level].contains(text): symbol = text
            case .identifier("in") where Self.levels[level].contains("in"): symbol = "in"
            default: return left
            }
            position += 1
            let right = try binary(level: level + 1, depth: depth)
            guard let op = CELOperator(rawValue: symbol) else { throw error("unsupported operator '\(symbol)'") }
            left = .binary(op, left, right)
        }
    }

    mutating func unary(depth: Int) throws(CELSyntaxError) -> CELExpression {
        if accept("!") {
            guard depth < Self.maximumDepth else { throw error("the expression nests too deeply") }
            return .not(try unary(depth: depth + 1))
        }
        return try member(depth: depth)
    }

    mutating func arguments(depth: Int) throws(CELSyntaxError) -> [CELExpression] {
        var result: [CELExpression] = []
        if accept(")") { return result }
        repeat { result.append(try conditional(depth: depth + 1)) } while accept(",")
        try expect(")")
        return result
    }

    mutating func member(depth: Int) throws(CELSyntaxError) -> CELExpression {
        var expression = try primary(depth: depth)
        while true {
            if accept(".") {
                guard case .identifier(let name) = current else { throw error("expected a field or method name, found \(describe(current))") }
                let nameToken = position
                position += 1
                guard accept("(") else {
                    expression = .select(expression, name)
                    continue
                }
                if let macro = CELMacro(rawValue: name) {
                    guard case .identifier(let variable) = current else { throw error("\(name) takes a variable name first") }
                    position += 1
                    try expect(",")
                    let body = try conditional(depth: depth + 1)
                    try expect(")")
                    expression = .comprehension(macro, range: expression, variable: variable, body: body)
                    continue
                }
                guard let arity = Self.methods[name] else {
                    throw CELSyntaxError(message: "unsupported method '\(name)'", offset: tokens[nameToken].offset)
                }
                let firstArgument = tokens[position].offset
                let arguments = try arguments(depth: depth)
                guard arguments.count == arity else {
                    throw CELSyntaxError(message: "\(name) takes \(arity) argument\(arity == 1 ? "" : "s")", offset: tokens[nameToken].offset)
                }
                if name == "matches", case .literal(.string(let pattern)) = arguments[0] {
                    do {
                        _ = try CELRegex(pattern)
                    } catch {
                        let offset = sourceOffset(ofByte: error.offset, inLiteralAt: firstArgument)
                        throw CELSyntaxError(message: "invalid regular expression: \(error.message)", offset: offset)
                    }
                }
                expression = .call(name, target: expression, arguments)
            } else if accept("[") {
                let index = try conditional(depth: depth + 1)
                try expect("]")
                expression = .index(expression, index)
            } else {
                return expression
            }
        }
    }

    mutating func primary(depth: Int) throws(CELSyntaxError) -> CELExpression {
        let token = current
        let start = position
        position += 1
        switch token {
        case .string(let value): return .literal(.string(value))
        case .int(let value): return .literal(.int(value))
        case .identifier("true"): return .literal(.bool(true))
        case .identifier("false"): return .literal(.bool(false))
        case .identifier("null"): return .literal(.null)
        case .identifier("has"):
            try expect("(")
            let argument = try conditional(depth: depth + 1)
            try expect(")")
            guard case .select(let operand, let field) = argument else {
                throw CELSyntaxError(message: "has() takes a field selection", offset: tokens[start].offset)
            }
            return .has(operand, field)
        case .identifier(let name):
            guard accept("(") else { return .identifier(name) }
            guard Self.globalFunctions.contains(name) else {
                throw CELSyntaxError(message: "unsupported function '\(name)'", offset: tokens[start].offset)
            }
            let arguments = try arguments(depth: depth)
            guard arguments.count == 1 else { throw CELSyntaxError(message: "\(name) takes 1 argument", offset: tokens[start].offset) }
            return .call(name, target: nil, arguments)
        case .symbol("("):
            let inner = try conditional(depth: depth + 1)
            try expect(")")
            return inner
        case .symbol("["):
            var items: [CELExpression] = []
            if accept("]") { return .list(items) }
            repeat { items.append(try conditional(depth: depth + 1)) } while accept(",")
            try expect("]")
            return .list(items)
        default:
            position = start
            throw error("unexpected \(describe(token))")
        }
    }
}
