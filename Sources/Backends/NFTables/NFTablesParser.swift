import IR

/// Reads back exactly the nft subset `NFTablesEmitter` writes, and refuses anything else with
/// a `ReadFailure` located at the file, line and column (`web.nft:12:5: …`). It never runs
/// nft: what it reads is what the kernel would be given.
struct NFTablesParser {
    let path: String
    private var lines: [(number: Int, tokens: [Token])] = []
    private var next = 0

    /// A word, a quoted string, or one of `{ } , ;`, with its column (1-based).
    struct Token: Equatable {
        var text: String
        var column: Int
        var quoted = false
    }

    init(path: String, text: String) throws(ReadFailure) {
        self.path = path
        // ASCII without carriage returns (what Palisade writes): a byte is a character, and
        // the text is split and tokenized byte by byte. Anything else character by character
        // (a `\r\n` is one character there, and columns count characters).
        let bytes = Array(text.utf8)
        if bytes.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "\r") }) {
            var start = 0
            var number = 1
            while start <= bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                let tokens = try Self.tokens(bytes, start..<end, line: number, path: path)
                if !tokens.isEmpty { lines.append((number, tokens)) }
                start = end + 1
                number += 1
            }
            return
        }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let tokens = try Self.tokens(String(line), line: index + 1, path: path)
            if !tokens.isEmpty { lines.append((index + 1, tokens)) }
        }
    }

    /// `tokens(_:line:path:)` for one line of ASCII bytes (each byte one character).
    static func tokens(_ bytes: [UInt8], _ range: Range<Int>, line number: Int, path: String) throws(ReadFailure) -> [Token] {
        var tokens: [Token] = []
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        func isPunctuation(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";")
        }
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            let column = index - range.lowerBound + 1
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                index += 1
            } else if byte == UInt8(ascii: "#") {
                break
            } else if isPunctuation(byte) {
                tokens.append(Token(text: text(index..<(index + 1)), column: column))
                index += 1
            } else if byte == UInt8(ascii: "\"") {
                var end = index + 1
                while end < range.upperBound, bytes[end] != UInt8(ascii: "\"") { end += 1 }
                guard end < range.upperBound else {
                    throw ReadFailure(path, "does not load: \(path):\(number):\(column): a string without its closing quote")
                }
                tokens.append(Token(text: text((index + 1)..<end), column: column, quoted: true))
                index = end + 1
            } else {
                var end = index
                while end < range.upperBound {
                    let next = bytes[end]
                    if next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") || isPunctuation(next) || next == UInt8(ascii: "\"") || next == UInt8(ascii: "#")
                    {
                        break
                    }
                    end += 1
                }
                tokens.append(Token(text: text(index..<end), column: column))
                index = end
            }
        }
        return tokens
    }

    func failure(_ line: Int, _ column: Int, _ message: String) -> ReadFailure {
        ReadFailure(path, "does not load: \(path):\(line):\(column): \(message)")
    }

    static func tokens(_ line: String, line number: Int, path: String) throws(ReadFailure) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(line)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == " " || character == "\t" || character == "\r" {
                index += 1
            } else if character == "#" {
                break
            } else if "{},;".contains(character) {
                tokens.append(Token(text: String(character), column: index + 1))
                index += 1
            } else if character == "\"" {
                var end = index + 1
                while end < characters.count, characters[end] != "\"" { end += 1 }
                guard end < characters.count else {
                    throw ReadFailure(path, "does not load: \(path):\(number):\(index + 1): a string without its closing quote")
                }
                tokens.append(Token(text: String(characters[(index + 1)..<end]), column: index + 1, quoted: true))
                index = end + 1
            } else {
                var end = index
                while end < characters.count, !" \t\r{},;\"#".contains(characters[end]) { end += 1 }
                tokens.append(Token(text: String(characters[index..<end]), column: index + 1))
                index = end
            }
        }
        return tokens
    }

    // MARK: The file

    mutating func ruleset() throws(ReadFailure) -> NFTRuleset {
        let first = try line()
        let table = try expectWords(first, ["table", "inet", nil, "{", "}"])[0]
        try expectWords(try line(), ["delete", "table", "inet", table])
        try expectWords(try line(), ["table", "inet", table, "{"])
        var sets: [NFTSet] = []
        // The family of each set declared so far, by name: rules look their sets up by name.
        var declared: [String: NFTFamily] = [:]
        var chains: [NFTChain.Hook: NFTChain] = [:]
        while true {
            let current = try line()
            switch current.tokens.first?.text {
            case "set":
                let name = try expectWords(current, ["set", nil, "{"])[0]
                guard declared[name] == nil else {
                    throw failure(current.number, current.tokens[1].column, "set '\(name)' is declared twice")
                }
                let set = try set(name)
                declared[name] = set.family
                sets.append(set)
            case "chain":
                let hookText = try expectWords(current, ["chain", nil, "{"])[0]
                guard let hook = NFTChain.Hook(rawValue: hookText) else {
                    throw failure(current.number, current.tokens[1].column, "only the chains input and output are read, not '\(hookText)'")
                }
                guard chains[hook] == nil else { throw failure(current.number, current.tokens[1].column, "chain \(hookText) is declared twice") }
                chains[hook] = try chain(hook, sets: declared)
            case "}" where current.tokens.count == 1:
                guard let input = chains[.input], let output = chains[.output] else {
                    throw failure(current.number, 1, "the table needs an input and an output chain")
                }
                if next < lines.count { throw unexpected(lines[next], 0) }
                return NFTRuleset(table: table, sets: sets, input: input, output: output)
            default:
                throw unexpected(current, 0, "a set, a chain or '}'")
            }
        }
    }

    mutating func set(_ name: String) throws(ReadFailure) -> NFTSet {
        let typeLine = try line()
        let typeText = try expectWords(typeLine, ["type", nil])[0]
        guard let family = NFTFamily.allCases.first(where: { $0.setType == typeText }) else {
            throw failure(typeLine.number, typeLine.tokens[1].column, "a set's type is ipv4_addr or ipv6_addr, not '\(typeText)'")
        }
        try expectWords(try line(), ["flags", "interval"])
        var result = NFTSet(name: name, family: family, comment: nil, elements: [])
        var current = try line()
        if current.tokens.first?.text == "comment" {
            result.comment = try expectWords(current, ["comment", nil], quotedAt: [1])[0]
            current = try line()
        }
        if current.tokens.first?.text == "elements" {
            guard current.tokens.count >= 2, current.tokens[1].text == "=" else { throw unexpected(current, 1, "'='") }
            var index = 2
            result.elements = try cidrs(current, &index, family: family, group: true)
            if index < current.tokens.count { throw unexpected(current, index) }
            current = try line()
        }
        try expectWords(current, ["}"])
        return result
    }

    mutating func chain(_ hook: NFTChain.Hook, sets: [String: NFTFamily]) throws(ReadFailure) -> NFTChain {
        let header = try line()
        let policyText = try expectWords(header, ["type", "filter", "hook", hook.rawValue, "priority", "filter", ";", "policy", nil, ";"])[0]
        guard let policy = NFTRule.Verdict(rawValue: policyText), policy != .return else {
            throw failure(header.number, header.tokens[8].column, "a chain's policy is accept or drop, not '\(policyText)'")
        }
        var chain = NFTChain(hook: hook, policy: policy)
        while true {
            let current = try line()
            if current.tokens.count == 1, current.tokens[0].text == "}" { return chain }
            chain.rules.append(try rule(current, hook: hook, sets: sets))
        }
    }

    // MARK: Rules

    /// The words of the neighbour discovery rule, as tokens.
    static let neighbourDiscoveryWords = ["icmpv6", "type", "{"] + NFTablesEmitter.neighbourDiscovery.flatMap { [$0, ","] }.dropLast() + ["}", "accept"]

    /// One rule; `sets`: the family of each set declared, by name.
    func rule(_ line: (number: Int, tokens: [Token]), hook: NFTChain.Hook, sets: [String: NFTFamily]) throws(ReadFailure) -> NFTRule {
        let tokens = line.tokens
        let texts = tokens.map(\.text)
        func fixed(_ kind: NFTRule.Kind, _ words: [String]) -> NFTRule? {
            guard texts == words else { return nil }
            var rule = NFTRule.fixed(kind)
            rule.line = line.number
            return rule
        }
        if let rule = fixed(.loopback, [hook == .input ? "iif" : "oif", "lo", "accept"]), tokens[1].quoted { return rule }
        if let rule = fixed(.established, ["ct", "state", "established", ",", "related", "accept"]) { return rule }
        if let rule = fixed(.invalid, ["ct", "state", "invalid", "drop"]) { return rule }
        if let rule = fixed(.neighbourDiscovery, Self.neighbourDiscoveryWords) { return rule }

        var rule = NFTRule(line: line.number)
        var index = 0
        func word(_ offset: Int = 0) -> String? { index + offset < tokens.count && !tokens[index + offset].quoted ? tokens[index + offset].text : nil }
        // The address match.
        if let keyword = word(), let family = NFTFamily.allCases.first(where: { $0.keyword == keyword }) {
            let direction = hook == .input ? "saddr" : "daddr"
            guard word(1) == direction else {
                throw unexpected(line, index + 1, "'\(direction)' (the \(hook.rawValue) chain matches the \(hook == .input ? "source" : "destination"))")
            }
            index += 2
            rule.family = family
            guard index < tokens.count else { throw unexpected(line, index, "a set or addresses") }
            if tokens[index].text.hasPrefix("@"), !tokens[index].quoted {
                let name = String(tokens[index].text.dropFirst())
                guard let setFamily = sets[name] else {
                    throw failure(line.number, tokens[index].column, "set '\(name)' is not declared before this chain")
                }
                guard setFamily == family else {
                    throw failure(line.number, tokens[index].column, "set '\(name)' holds \(setFamily.setType), which \(family.keyword) does not match")
                }
                rule.peer = .set(name)
                index += 1
            } else {
                rule.peer = .addresses(try addresses(line, &index, family: family, group: false))
            }
        }
        // The protocol match.
        if word() == "meta" {
            guard word(1) == "l4proto" else { throw unexpected(line, index + 1, "'l4proto'") }
            let start = index + 2
            index += 2
            let names = try group(line, &index)
            if names.count == 1, let proto = TransportProtocol(name: names[0]), proto != .icmp {
                rule.ports = .whole(proto)
            } else {
                var families = Set<NFTFamily>()
                for name in names {
                    guard let family = NFTFamily.allCases.first(where: { $0.icmp == name }), families.insert(family).inserted else {
                        throw failure(
                            line.number, tokens[min(start, tokens.count - 1)].column,
                            "l4proto is tcp, udp, sctp, icmp or ipv6-icmp, alone or icmp with ipv6-icmp")
                    }
                }
                rule.ports = .icmp(families)
            }
        } else if let name = word(), let proto = TransportProtocol(name: name), proto != .icmp {
            guard word(1) == "dport" else { throw unexpected(line, index + 1, "'dport'") }
            index += 2
            let start = index
            var ranges: [PortRange] = []
            for text in try group(line, &index) {
                let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
                guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil, (1...65535).contains(low),
                    (1...65535).contains(high), low <= high
                else {
                    throw failure(line.number, tokens[min(start, tokens.count - 1)].column, "'\(text)' is not a port 1-65535 or a range of them, low first")
                }
                ranges.append(PortRange(proto, low, high))
            }
            rule.ports = .ranges(proto, ranges)
        }
        // A rate-limited log.
        if word() == "limit" {
            let shape = ["limit", "rate", "10/minute", "burst", "5", "packets", "log", "prefix"]
            guard index + shape.count + 3 <= tokens.count, Array(texts[index..<(index + shape.count)]) == shape,
                tokens[index + shape.count].quoted, texts[index + shape.count + 1] == "level", texts[index + shape.count + 2] == "info"
            else { throw unexpected(line, index, "limit rate 10/minute burst 5 packets log prefix \"…\" level info") }
            rule.log = texts[index + shape.count]
            index += shape.count + 3
        }
        if let text = word(), let verdict = NFTRule.Verdict(rawValue: text) {
            rule.verdict = verdict
            index += 1
        }
        if word() == "comment" {
            guard index + 1 < tokens.count, tokens[index + 1].quoted else { throw unexpected(line, index + 1, "a quoted comment") }
            rule.comment = tokens[index + 1].text
            index += 2
        }
        if index < tokens.count { throw unexpected(line, index, rule.verdict == nil ? "a verdict (accept, drop or return)" : nil) }
        if rule.verdict == nil, rule.log == nil { throw failure(line.number, tokens.last.map { $0.column } ?? 1, "a rule without a verdict or a log") }
        if rule.verdict != nil, rule.log != nil { throw failure(line.number, tokens[0].column, "a log rule takes no verdict here") }
        return rule
    }

    /// An item, or several in braces separated by commas.
    func group(_ line: (number: Int, tokens: [Token]), _ index: inout Int) throws(ReadFailure) -> [String] {
        let tokens = line.tokens
        guard index < tokens.count else { throw unexpected(line, index, "a value") }
        guard tokens[index].text == "{", !tokens[index].quoted else {
            guard !"{},;".contains(tokens[index].text) || tokens[index].quoted else { throw unexpected(line, index, "a value") }
            index += 1
            return [tokens[index - 1].text]
        }
        index += 1
        var items: [String] = []
        while true {
            guard index < tokens.count, !tokens[index].quoted, !"{},;".contains(tokens[index].text) else { throw unexpected(line, index, "a value") }
            items.append(tokens[index].text)
            index += 1
            guard index < tokens.count else { throw unexpected(line, index, "',' or '}'") }
            if tokens[index].text == "}" {
                index += 1
                return items
            }
            guard tokens[index].text == "," else { throw unexpected(line, index, "',' or '}'") }
            index += 1
        }
    }

    /// Addresses and prefixes of one family (a group in braces where `group`).
    func addresses(_ line: (number: Int, tokens: [Token]), _ index: inout Int, family: NFTFamily, group braces: Bool) throws(ReadFailure) -> AddressSet {
        AddressSet(unionOf: try cidrs(line, &index, family: family, group: braces).map(\.addressSet))
    }

    /// The addresses of a group, each as written.
    func cidrs(_ line: (number: Int, tokens: [Token]), _ index: inout Int, family: NFTFamily, group braces: Bool) throws(ReadFailure) -> [CIDR] {
        let start = min(index, max(line.tokens.count - 1, 0))
        if braces, index >= line.tokens.count || line.tokens[index].text != "{" { throw unexpected(line, index, "'{'") }
        var result: [CIDR] = []
        for text in try group(line, &index) {
            guard case .valid(let cidr) = CIDR.parse(text), cidr.isIPv4 == (family == .v4) else {
                throw failure(
                    line.number, line.tokens.isEmpty ? 1 : line.tokens[start].column, "'\(text)' is not an \(family == .v4 ? "IPv4" : "IPv6") address or prefix"
                )
            }
            result.append(cidr)
        }
        return result
    }

    // MARK: Lines and words

    mutating func line() throws(ReadFailure) -> (number: Int, tokens: [Token]) {
        guard next < lines.count else { throw ReadFailure(path, "does not load: \(path): ends before the table does") }
        next += 1
        return lines[next - 1]
    }

    /// Checks a line word by word (nil: any word, returned in order).
    @discardableResult
    func expectWords(_ line: (number: Int, tokens: [Token]), _ shape: [String?], quotedAt: Set<Int> = []) throws(ReadFailure) -> [String] {
        var taken: [String] = []
        for (index, expected) in shape.enumerated() {
            guard index < line.tokens.count else { throw unexpected(line, index, expected.map { "'\($0)'" } ?? "a name") }
            let token = line.tokens[index]
            guard token.quoted == quotedAt.contains(index) else { throw unexpected(line, index, expected.map { "'\($0)'" }) }
            if let expected {
                guard token.text == expected else { throw unexpected(line, index, "'\(expected)'") }
            } else {
                if !token.quoted, "{},;".contains(token.text) { throw unexpected(line, index, "a name") }
                taken.append(token.text)
            }
        }
        if line.tokens.count > shape.count { throw unexpected(line, shape.count) }
        return taken
    }

    func unexpected(_ line: (number: Int, tokens: [Token]), _ index: Int, _ expected: String? = nil) -> ReadFailure {
        let column = index < line.tokens.count ? line.tokens[index].column : (line.tokens.last.map { $0.column + $0.text.count } ?? 1)
        let found = index < line.tokens.count ? "'\(line.tokens[index].text)'" : "the end of the line"
        return failure(
            line.number, column, "unexpected \(found)" + (expected.map { ", expected \($0)" } ?? "") + " (Palisade reads back only the rules it writes)")
    }
}
