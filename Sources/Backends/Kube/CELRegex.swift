// CEL's `matches()`: an unanchored search with a pattern in RE2 syntax, as cel-go (what the
// Kubernetes API server runs) reads it with Go's `regexp`. A backtracking engine takes time
// exponential in the input on patterns such as `(a+)+$`; this one compiles the pattern to a
// Thompson NFA and simulates it one input scalar at a time (a Pike VM without captures, since
// `matches` only asks whether there is a match), so a search visits each instruction at most
// once per input position: at most `instructionCount × (scalars + 1)` steps.
//
// The syntax: literals, escapes (`\.` and any other ASCII punctuation, `\a \f \t \n \r \v`,
// octal `\0`–`\377`, `\x7F`, `\x{10FFFF}`, `\Q…\E`), `.`, classes `[...]` (ranges, negation,
// `\d \w \s \D \W \S`, `[:alpha:]` and the other ASCII classes), the assertions `^ $ \A \z \b \B`,
// groups `( )`, `(?: )`, `(?P<name> )`, `(?<name> )`, the flags `i m s U` as `(?flags)` and
// `(?flags: )` (with `-` to clear), alternation, the quantifiers `? + * {m} {m,} {m,n}` and
// their lazy forms (the same boolean answer). Refused with the offset of the construct, as
// RE2 refuses them: backreferences, lookaround, stacked quantifiers (`a**`), counts above
// 1000 (also as the product of nested counts). Refused where RE2 would accept: Unicode classes
// (`\pL`, `\p{Greek}`), patterns nested deeper than `maximumDepth` or expanding to more than
// `maximumInstructions` instructions: a located error, never a wrong answer.
//
// Matching is on Unicode scalars, as Go's is on runes (so `\b` and `\B` look at the scalars
// around a position, never inside one's UTF-8 bytes as RE2's C++ library can); `(?i)` folds
// case by the orbits of Unicode's single-scalar case mappings (`k`, `K` and the Kelvin sign
// `K` match one another; `ı` folds to itself), which is Unicode simple case folding as Go's
// `unicode.SimpleFold` walks it.

/// Why a pattern is not one the matcher reads, and where (a 0-based offset in UTF-8 bytes of
/// the pattern).
public struct CELRegexError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public var description: String { "column \(offset + 1) of the pattern: \(message)" }
}

/// A compiled CEL regular expression: `matches` is an unanchored search in linear time.
public struct CELRegex: Sendable {
    /// RE2's limit on a counted repetition (`{m,n}`), also on the product of nested ones.
    public static let maximumRepeat = 1000
    /// The most instructions a pattern may expand to (counted repetitions copy their operand);
    /// RE2 limits the compiled program's memory instead, so a pattern beyond this one is
    /// refused here though RE2 would run it.
    public static let maximumInstructions = 50_000
    /// The deepest nesting of groups the parser follows (RE2 allows 1000).
    public static let maximumDepth = 200

    let program: [Instruction]
    let sets: [ScalarSet]

    /// The pattern, compiled; a `CELRegexError` when it is outside the syntax above.
    public init(_ pattern: String) throws(CELRegexError) {
        var parser = RegexParser(pattern)
        let node = try parser.parse()
        var compiler = RegexCompiler()
        let size = compiler.size(of: node)
        guard size <= Self.maximumInstructions else {
            throw CELRegexError(message: "the pattern expands to more than \(Self.maximumInstructions) instructions", offset: 0)
        }
        compiler.emit(node)
        compiler.program.append(.match)
        program = compiler.program
        sets = compiler.sets
    }

    /// The size of the compiled program: a search takes at most this many steps per input
    /// scalar, plus this many once.
    public var instructionCount: Int { program.count }

    /// The outcome of one search: whether the pattern matches somewhere in the text (nil when
    /// the search stopped at its step limit), and the steps it took (instructions visited).
    public struct Search: Sendable, Hashable {
        public var matched: Bool?
        public var steps: Int
    }

    /// Whether the pattern matches somewhere in `text`.
    public func matches(_ text: String) -> Bool { search(text).matched ?? false }

    /// The search, stopping with `matched == nil` once it has taken more than `stepLimit` steps.
    public func search(_ text: String, stepLimit: Int = .max) -> Search {
        let input = text.unicodeScalars.map(\.value)
        var machine = PikeVM(program: program, sets: sets, input: input, stepLimit: stepLimit)
        let matched = machine.run()
        return Search(matched: matched, steps: machine.steps)
    }
}

// MARK: - Scalar sets

/// A set of Unicode scalar values as sorted, disjoint, non-adjacent closed ranges.
struct ScalarSet: Sendable, Hashable {
    static let maximum: UInt32 = 0x10FFFF
    var ranges: [ClosedRange<UInt32>] = []

    init(_ ranges: [ClosedRange<UInt32>] = []) {
        self.ranges = Self.normalized(ranges)
    }

    static func normalized(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound &+ 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    func contains(_ scalar: UInt32) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < scalar {
                low = middle + 1
            } else if ranges[middle].lowerBound > scalar {
                high = middle
            } else {
                return true
            }
        }
        return false
    }

    func union(_ other: ScalarSet) -> ScalarSet { ScalarSet(ranges + other.ranges) }

    var inverted: ScalarSet {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound &+ 1
        }
        if ranges.last.map({ $0.upperBound < Self.maximum }) ?? true { result.append(next...Self.maximum) }
        var set = ScalarSet()
        set.ranges = result
        return set
    }

    /// The set with every member's case variants (`CaseFolding.orbit`).
    var caseFolded: ScalarSet {
        var extra: [ClosedRange<UInt32>] = []
        for (scalar, orbit) in CaseFolding.orbits where contains(scalar) {
            extra.append(contentsOf: orbit.map { $0...$0 })
        }
        return extra.isEmpty ? self : ScalarSet(ranges + extra)
    }

    static func scalar(_ value: UInt32) -> ScalarSet { ScalarSet([value...value]) }

    static let digits = ScalarSet([0x30...0x39])
    static let word = ScalarSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    /// `\s` in RE2: tab, newline, form feed, carriage return, space (not the vertical tab).
    static let space = ScalarSet([0x09...0x0A, 0x0C...0x0D, 0x20...0x20])
    static let newline = ScalarSet.scalar(0x0A)

    /// The ASCII classes `[:name:]` of RE2.
    static let named: [String: ScalarSet] = [
        "alnum": ScalarSet([0x30...0x39, 0x41...0x5A, 0x61...0x7A]),
        "alpha": ScalarSet([0x41...0x5A, 0x61...0x7A]),
        "ascii": ScalarSet([0x00...0x7F]),
        "blank": ScalarSet([0x09...0x09, 0x20...0x20]),
        "cntrl": ScalarSet([0x00...0x1F, 0x7F...0x7F]),
        "digit": digits,
        "graph": ScalarSet([0x21...0x7E]),
        "lower": ScalarSet([0x61...0x7A]),
        "print": ScalarSet([0x20...0x7E]),
        "punct": ScalarSet([0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E]),
        "space": ScalarSet([0x09...0x0D, 0x20...0x20]),
        "upper": ScalarSet([0x41...0x5A]),
        "word": word,
        "xdigit": ScalarSet([0x30...0x39, 0x41...0x46, 0x61...0x66]),
    ]
}

/// Case-insensitive matching: the scalars that fold together.
enum CaseFolding {
    /// Each scalar that has case variants, with all the scalars of its orbit (itself included).
    /// Built once, when a pattern first uses `(?i)`, from the standard library's Unicode data;
    /// no cased scalar lies above U+1FFFF.
    static let orbits: [UInt32: [UInt32]] = {
        var byKey: [UInt32: Set<UInt32>] = [:]
        for value in UInt32(0)..<0x20000 {
            guard let scalar = Unicode.Scalar(value), scalar.properties.changesWhenCaseMapped else { continue }
            byKey[key(scalar), default: []].insert(value)
        }
        var result: [UInt32: [UInt32]] = [:]
        for members in byKey.values where members.count > 1 {
            let orbit = members.sorted()
            for member in orbit { result[member] = orbit }
        }
        return result
    }()

    /// The orbit of `scalar` (just itself when it has no case variants).
    static func orbit(_ scalar: UInt32) -> [UInt32] { orbits[scalar] ?? [scalar] }

    /// The representative of a scalar's orbit: the lowercase of its uppercase, where both are
    /// single scalars. U+0131 (dotless i) uppercases to `I` but does not fold with it.
    static func key(_ scalar: Unicode.Scalar) -> UInt32 {
        guard scalar.value != 0x131 else { return scalar.value }
        func single(_ text: String) -> Unicode.Scalar? {
            var scalars = text.unicodeScalars.makeIterator()
            guard let first = scalars.next(), scalars.next() == nil else { return nil }
            return first
        }
        let upper = single(scalar.properties.uppercaseMapping) ?? scalar
        return (single(upper.properties.lowercaseMapping) ?? single(scalar.properties.lowercaseMapping) ?? scalar).value
    }
}

// MARK: - Syntax

/// The zero-width assertions.
enum RegexAssertion: Sendable, Hashable {
    case beginText, endText, beginLine, endLine, wordBoundary, notWordBoundary
}

/// A parsed pattern.
indirect enum RegexNode: Sendable, Hashable {
    case empty
    case set(ScalarSet)
    case assertion(RegexAssertion)
    case concatenation([RegexNode])
    case alternation([RegexNode])
    /// `min` to `max` (nil: unbounded) times; `counted` for `{m,n}` (RE2 limits those).
    case repetition(RegexNode, min: Int, max: Int?, counted: Bool)
}

/// The flags `(?imsU)` set.
struct RegexFlags: Hashable {
    var caseInsensitive = false
    var multiLine = false
    var dotMatchesNewline = false
}

/// A recursive-descent parser of the syntax, over the pattern's scalars, with UTF-8 offsets.
struct RegexParser {
    let scalars: [Unicode.Scalar]
    /// The UTF-8 offset of each scalar, and of the end.
    let offsets: [Int]
    var position = 0
    var flags = RegexFlags()
    var groupNames: Set<String> = []

    init(_ pattern: String) {
        scalars = Array(pattern.unicodeScalars)
        var offsets: [Int] = []
        var offset = 0
        for scalar in scalars {
            offsets.append(offset)
            offset += UTF8.width(scalar)
        }
        offsets.append(offset)
        self.offsets = offsets
    }

    var atEnd: Bool { position >= scalars.count }
    var current: Unicode.Scalar? { atEnd ? nil : scalars[position] }

    func peek(_ ahead: Int) -> Unicode.Scalar? { position + ahead < scalars.count ? scalars[position + ahead] : nil }

    func error(_ message: String, at index: Int? = nil) -> CELRegexError {
        CELRegexError(message: message, offset: offsets[min(index ?? position, scalars.count)])
    }

    /// The text of the pattern from scalar `start` to the current position, for messages.
    func text(from start: Int) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[start..<min(position, scalars.count)])
        return String(result)
    }

    mutating func parse() throws(CELRegexError) -> RegexNode {
        let node = try alternation(depth: 0)
        if !atEnd { throw error("unexpected )") }
        return node
    }

    mutating func alternation(depth: Int) throws(CELRegexError) -> RegexNode {
        guard depth < CELRegex.maximumDepth else { throw error("the pattern nests more than \(CELRegex.maximumDepth) deep") }
        let saved = flags
        defer { flags = saved }
        var branches = [try concatenation(depth: depth)]
        while current == "|" {
            position += 1
            branches.append(try concatenation(depth: depth))
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func concatenation(depth: Int) throws(CELRegexError) -> RegexNode {
        var items: [RegexNode] = []
        while let scalar = current, scalar != "|", scalar != ")" {
            let start = position
            var atom: RegexNode
            if let parsed = try self.atom(depth: depth) {
                atom = parsed
            } else if !items.isEmpty, let next = current, "*+?".unicodeScalars.contains(next) || count() != nil {
                // A flag group `(?i)` adds nothing: a quantifier after it repeats the item
                // before, as in RE2.
                atom = items.removeLast()
            } else {
                continue
            }
            // `\Qab\E*` repeats the `b` alone, as a quantifier after `ab` would.
            if scalar == "\\", scalars[start + 1] == "Q", case .concatenation(var quoted) = atom, let last = quoted.popLast() {
                items.append(contentsOf: quoted)
                atom = last
            }
            var quantified = false
            while let (low, high, counted) = try quantifier() {
                // A second quantifier (`a**`, `a{2}{3}`) is RE2's "invalid nested repetition".
                if quantified { throw error("invalid nested repetition operator: \(text(from: start))", at: start) }
                quantified = true
                atom = .repetition(atom, min: low, max: high, counted: counted)
                if counted, low >= 2 || (high ?? 0) >= 2, !Self.repeatIsValid(atom, budget: CELRegex.maximumRepeat) {
                    throw error("invalid repeat count: \(text(from: start))", at: start)
                }
            }
            items.append(atom)
        }
        return items.count == 1 ? items[0] : items.isEmpty ? .empty : .concatenation(items)
    }

    /// Go's `repeatIsValid`: the counts `{m,n}` nested in `node` multiply to at most `budget`.
    static func repeatIsValid(_ node: RegexNode, budget: Int) -> Bool {
        switch node {
        case .repetition(let inner, let low, let high, let counted):
            var budget = budget
            if counted {
                if high == 0 { return true }
                let count = high ?? low
                if count > budget { return false }
                if count > 0 { budget /= count }
            }
            return repeatIsValid(inner, budget: budget)
        case .concatenation(let items), .alternation(let items): return items.allSatisfy { repeatIsValid($0, budget: budget) }
        case .empty, .set, .assertion: return true
        }
    }

    /// `? + * {m} {m,} {m,n}`, each optionally lazy (`*?`, the same boolean answer): the
    /// bounds (max nil: unbounded) and whether it is a count; nil when none follows.
    mutating func quantifier() throws(CELRegexError) -> (Int, Int?, Bool)? {
        guard let scalar = current else { return nil }
        let start = position
        let bounds: (Int, Int?, Bool)
        switch scalar {
        case "*": bounds = (0, nil, false)
        case "+": bounds = (1, nil, false)
        case "?": bounds = (0, 1, false)
        case "{":
            guard let count = count() else { return nil }
            position = count.end
            let limit = CELRegex.maximumRepeat
            if count.min < 0 || count.min > limit || count.max.map({ $0 < 0 || $0 > limit || count.min > $0 }) ?? false {
                throw error("invalid repeat count: \(text(from: start))", at: start)
            }
            bounds = (count.min, count.max, true)
            position -= 1
        default: return nil
        }
        position += 1
        if current == "?" { position += 1 }
        return bounds
    }

    /// A count `{m}`, `{m,}`, `{m,n}` at the current `{`: its bounds (-1 for a number above
    /// 10^8) and the index past its `}`; nil when the text is not one, which makes the `{` a
    /// literal, as Go reads it (no leading zeros, no `{,n}`).
    func count() -> (min: Int, max: Int?, end: Int)? {
        var index = position + 1
        func number() -> Int? {
            guard index < scalars.count, ("0"..."9").contains(scalars[index]) else { return nil }
            if scalars[index] == "0", index + 1 < scalars.count, ("0"..."9").contains(scalars[index + 1]) { return nil }
            var value = 0
            while index < scalars.count, ("0"..."9").contains(scalars[index]) {
                if value >= 0 { value = value >= 100_000_000 ? -1 : value * 10 + Int(scalars[index].value - 0x30) }
                index += 1
            }
            return value
        }
        guard current == "{", let low = number(), index < scalars.count else { return nil }
        var high: Int? = low
        if scalars[index] == "," {
            index += 1
            guard index < scalars.count else { return nil }
            if scalars[index] == "}" {
                high = nil
            } else {
                guard let upper = number() else { return nil }
                high = upper
            }
        }
        guard index < scalars.count, scalars[index] == "}" else { return nil }
        return (low, high, index + 1)
    }

    /// One atom, or nil for a flag group `(?i)` that only changes the flags.
    mutating func atom(depth: Int) throws(CELRegexError) -> RegexNode? {
        guard let scalar = current else { return .empty }
        let start = position
        switch scalar {
        case "(":
            position += 1
            if current == "?" { return try extendedGroup(start: start, depth: depth) }
            return try group(start: start, depth: depth)
        case "[":
            return .set(try characterClass(depth: depth))
        case ".":
            position += 1
            return .set(flags.dotMatchesNewline ? ScalarSet([0...ScalarSet.maximum]) : ScalarSet.newline.inverted)
        case "^":
            position += 1
            return .assertion(flags.multiLine ? .beginLine : .beginText)
        case "$":
            position += 1
            return .assertion(flags.multiLine ? .endLine : .endText)
        case "\\":
            return try escape()
        case "*", "+", "?":
            throw error("missing argument to repetition operator: \(scalar)")
        case "{":
            if count() != nil { throw error("missing argument to repetition operator") }
            position += 1
            return literal(scalar.value)
        default:
            position += 1
            return literal(scalar.value)
        }
    }

    func literal(_ value: UInt32) -> RegexNode {
        .set(flags.caseInsensitive ? ScalarSet(CaseFolding.orbit(value).map { $0...$0 }) : .scalar(value))
    }

    /// The rest of `( … )` after the `(`.
    mutating func group(start: Int, depth: Int) throws(CELRegexError) -> RegexNode {
        let inner = try alternation(depth: depth + 1)
        guard current == ")" else { throw error("missing closing ): \(text(from: start))", at: start) }
        position += 1
        return inner
    }

    /// `(?:`, `(?flags)`, `(?flags:`, `(?P<name>`, `(?<name>`; lookaround and the rest refused.
    mutating func extendedGroup(start: Int, depth: Int) throws(CELRegexError) -> RegexNode? {
        position += 1  // past `?`
        if current == "P" || current == "<" {
            if current == "P" { position += 1 }
            if current == "<", peek(1) != "=", peek(1) != "!" {
                position += 1
                let nameStart = position
                while let scalar = current, scalar != ">" {
                    guard scalar == "_" || (scalar.isASCII && scalar.properties.isAlphabetic) || ("0"..."9").contains(scalar) else {
                        throw error("invalid named capture: \(text(from: start))", at: start)
                    }
                    position += 1
                }
                let name = String(String.UnicodeScalarView(scalars[nameStart..<position]))
                guard current == ">", !name.isEmpty else { throw error("invalid named capture: \(text(from: start))", at: start) }
                guard groupNames.insert(name).inserted else { throw error("duplicate capture group name: \(name)", at: start) }
                position += 1
                return try group(start: start, depth: depth)
            }
            if current == "<" { throw error("lookbehind is not supported by RE2: \(text(from: start))", at: start) }
            throw error("backreferences and named group references are not supported by RE2: \(text(from: start))", at: start)
        }
        if current == "=" || current == "!" { throw error("lookahead is not supported by RE2: (?\(current!)", at: start) }
        var newFlags = flags
        var negated = false
        var sawFlag = false
        while let scalar = current {
            position += 1
            switch scalar {
            case "i": newFlags.caseInsensitive = !negated
            case "m": newFlags.multiLine = !negated
            case "s": newFlags.dotMatchesNewline = !negated
            case "U": break  // ungreedy: the same boolean answer
            case "-":
                guard !negated else { throw error("invalid or unsupported Perl syntax: \(text(from: start))", at: start) }
                negated = true
                sawFlag = false
                continue
            case ":", ")":
                if negated && !sawFlag { throw error("invalid or unsupported Perl syntax: \(text(from: start))", at: start) }
                if scalar == ")" {
                    flags = newFlags
                    return nil
                }
                let saved = flags
                flags = newFlags
                defer { flags = saved }
                return try group(start: start, depth: depth)
            default:
                throw error("invalid or unsupported Perl syntax: \(text(from: start))", at: start)
            }
            sawFlag = true
        }
        throw error("missing closing ): \(text(from: start))", at: start)
    }

    /// An escape outside a class.
    mutating func escape() throws(CELRegexError) -> RegexNode {
        let start = position
        guard let next = peek(1) else { throw error("trailing backslash at end of expression") }
        switch next {
        case "A", "z", "b", "B":
            position += 2
            let kinds: [Unicode.Scalar: RegexAssertion] = ["A": .beginText, "z": .endText, "b": .wordBoundary, "B": .notWordBoundary]
            return .assertion(kinds[next]!)
        case "Q":
            position += 2
            var items: [RegexNode] = []
            while let scalar = current {
                if scalar == "\\", peek(1) == "E" {
                    position += 2
                    break
                }
                items.append(literal(scalar.value))
                position += 1
            }
            return .concatenation(items)
        default:
            if let set = try perlClass() { return .set(set) }
            let value = try escapedScalar(start: start)
            return literal(value)
        }
    }

    /// `\d \D \s \S \w \W` at the current backslash (folded under `(?i)`), or nil.
    mutating func perlClass() throws(CELRegexError) -> ScalarSet? {
        guard current == "\\", let letter = peek(1) else { return nil }
        let base: ScalarSet
        switch letter {
        case "d", "D": base = .digits
        case "s", "S": base = .space
        case "w", "W": base = .word
        case "p", "P": throw error("Unicode classes (\\p, \\P) are not supported")
        default: return nil
        }
        position += 2
        let folded = flags.caseInsensitive ? base.caseFolded : base
        return letter.properties.isUppercase ? folded.inverted : folded
    }

    /// A single-scalar escape at the current backslash: the scalar it stands for.
    mutating func escapedScalar(start: Int) throws(CELRegexError) -> UInt32 {
        guard let letter = peek(1) else { throw error("trailing backslash at end of expression") }
        position += 2
        switch letter {
        case "a": return 0x07
        case "f": return 0x0C
        case "t": return 0x09
        case "n": return 0x0A
        case "r": return 0x0D
        case "v": return 0x0B
        case "0"..."7":
            // A single non-zero digit is a backreference, which RE2 does not have.
            if letter != "0", !(current.map { ("0"..."7").contains($0) } ?? false) {
                throw error("backreferences are not supported by RE2: \(text(from: start))", at: start)
            }
            var value = letter.value - 0x30
            for _ in 0..<2 {
                guard let digit = current, ("0"..."7").contains(digit) else { break }
                value = value * 8 + digit.value - 0x30
                position += 1
            }
            return value
        case "x":
            func hex(_ scalar: Unicode.Scalar?) -> UInt32? {
                guard let scalar, scalar.isASCII, let digit = Int(String(scalar), radix: 16) else { return nil }
                return UInt32(digit)
            }
            if current == "{" {
                position += 1
                var value: UInt32 = 0
                var digits = 0
                while let digit = hex(current) {
                    value = value * 16 + digit
                    digits += 1
                    position += 1
                    if value > ScalarSet.maximum { throw error("invalid escape sequence: \(text(from: start))", at: start) }
                }
                guard digits > 0, current == "}" else { throw error("invalid escape sequence: \(text(from: start))", at: start) }
                position += 1
                return value
            }
            guard let high = hex(current), let low = hex(peek(1)) else { throw error("invalid escape sequence: \(text(from: start))", at: start) }
            position += 2
            return high * 16 + low
        default:
            // Any ASCII punctuation (every ASCII scalar but letters and digits) stands for itself.
            if letter.isASCII, !letter.properties.isAlphabetic, !("0"..."9").contains(letter) { return letter.value }
            throw error("invalid escape sequence: \(text(from: start))", at: start)
        }
    }

    /// A class `[...]` at the current `[`.
    mutating func characterClass(depth: Int) throws(CELRegexError) -> ScalarSet {
        let start = position
        position += 1
        let negated = current == "^"
        if negated { position += 1 }
        // The items' ranges, folded under (?i) once at the end (a folded `\W` or `[:^alpha:]`
        // is closed under folding already).
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while current != "]" || first {
            guard let scalar = current else { throw error("missing closing ]: \(text(from: start))", at: start) }
            first = false
            if scalar == "[", peek(1) == ":", let named = try namedClass() {
                ranges += named.ranges
                continue
            }
            if let perl = try perlClass() {
                ranges += perl.ranges
                continue
            }
            let itemStart = position
            let low = try classScalar(start: start)
            var high = low
            if current == "-", let after = peek(1), after != "]" {
                position += 1
                high = try classScalar(start: start)
                guard high >= low else { throw error("invalid character class range: \(text(from: itemStart))", at: itemStart) }
            }
            ranges.append(low...high)
        }
        let set = flags.caseInsensitive ? ScalarSet(ranges).caseFolded : ScalarSet(ranges)
        position += 1
        return negated ? set.inverted : set
    }

    /// `[:alpha:]` (or `[:^alpha:]`) at the current `[`; nil when no `:]` closes it.
    mutating func namedClass() throws(CELRegexError) -> ScalarSet? {
        let start = position
        var index = position + 2
        while index + 1 < scalars.count, !(scalars[index] == ":" && scalars[index + 1] == "]") { index += 1 }
        guard index + 1 < scalars.count else { return nil }
        var name = String(String.UnicodeScalarView(scalars[(position + 2)..<index]))
        position = index + 2
        let negated = name.hasPrefix("^")
        if negated { name.removeFirst() }
        guard let set = ScalarSet.named[name] else { throw error("invalid character class range: \(text(from: start))", at: start) }
        let folded = flags.caseInsensitive ? set.caseFolded : set
        return negated ? folded.inverted : folded
    }

    /// One scalar of a class: literal or escaped.
    mutating func classScalar(start: Int) throws(CELRegexError) -> UInt32 {
        guard let scalar = current else { throw error("missing closing ]: \(text(from: start))", at: start) }
        if scalar == "\\" { return try escapedScalar(start: position) }
        position += 1
        return scalar.value
    }
}

// MARK: - Program

/// One instruction of the NFA.
enum Instruction: Sendable, Hashable {
    /// Consume a scalar of `sets[index]`.
    case consume(Int)
    case split(Int, Int)
    case jump(Int)
    case assert(RegexAssertion)
    case match
}

/// Compiles a `RegexNode` to instructions, sharing equal sets.
struct RegexCompiler {
    var program: [Instruction] = []
    var sets: [ScalarSet] = []
    var setIndex: [ScalarSet: Int] = [:]

    /// The instructions `emit(node)` appends (saturating, so a huge count cannot overflow).
    func size(of node: RegexNode) -> Int {
        let cap = CELRegex.maximumInstructions + 1
        switch node {
        case .empty: return 0
        case .set, .assertion: return 1
        case .concatenation(let items): return items.reduce(0) { min(cap, $0 + size(of: $1)) }
        case .alternation(let items): return items.reduce(2 * (items.count - 1)) { min(cap, $0 + size(of: $1)) }
        case .repetition(let inner, let low, let high, _):
            let one = size(of: inner)
            let copies = high ?? max(low, 1)
            let product = one.multipliedReportingOverflow(by: copies)
            return product.overflow ? cap : min(cap, product.partialValue + copies + 1)
        }
    }

    mutating func emit(_ node: RegexNode) {
        switch node {
        case .empty:
            break
        case .set(let set):
            let index: Int
            if let known = setIndex[set] {
                index = known
            } else {
                index = sets.count
                sets.append(set)
                setIndex[set] = index
            }
            program.append(.consume(index))
        case .assertion(let kind):
            program.append(.assert(kind))
        case .concatenation(let items):
            for item in items { emit(item) }
        case .alternation(let items):
            // split L1, next; L1: a; jump end; next: split L2, … ; last branch falls through.
            var jumps: [Int] = []
            for (position, item) in items.enumerated() {
                if position < items.count - 1 {
                    let split = program.count
                    program.append(.split(split + 1, -1))
                    emit(item)
                    jumps.append(program.count)
                    program.append(.jump(-1))
                    program[split] = .split(split + 1, program.count)
                } else {
                    emit(item)
                }
            }
            for jump in jumps { program[jump] = .jump(program.count) }
        case .repetition(let inner, let low, nil, _) where low > 0:
            // x{m,}: m - 1 copies, then loop: x; split loop, end (not x* after a copy of x,
            // which would double the program at each nested `+`).
            for _ in 1..<low { emit(inner) }
            let loop = program.count
            emit(inner)
            program.append(.split(loop, program.count + 1))
        case .repetition(let inner, let low, let high, _):
            for _ in 0..<low { emit(inner) }
            if let high {
                // (x(x(x)?)?)?: each optional copy skips to the end.
                var splits: [Int] = []
                for _ in low..<max(low, high) {
                    splits.append(program.count)
                    program.append(.split(program.count + 1, -1))
                    emit(inner)
                }
                for split in splits { program[split] = .split(split + 1, program.count) }
            } else {
                // loop: split body, end; body: x; jump loop.
                let loop = program.count
                program.append(.split(loop + 1, -1))
                emit(inner)
                program.append(.jump(loop))
                program[loop] = .split(loop + 1, program.count)
            }
        }
    }
}

/// The simulation: the set of instructions the NFA can be in, advanced a scalar at a time.
struct PikeVM {
    let program: [Instruction]
    let sets: [ScalarSet]
    let input: [UInt32]
    let stepLimit: Int
    var steps = 0
    /// The position at which each instruction was last visited (+1; 0: never).
    var visited: [Int]
    var stack: [Int] = []

    init(program: [Instruction], sets: [ScalarSet], input: [UInt32], stepLimit: Int) {
        self.program = program
        self.sets = sets
        self.input = input
        self.stepLimit = stepLimit
        visited = Array(repeating: 0, count: program.count)
    }

    static func isWord(_ scalar: UInt32?) -> Bool {
        guard let scalar else { return false }
        return ScalarSet.word.contains(scalar)
    }

    func holds(_ assertion: RegexAssertion, at position: Int) -> Bool {
        let before = position > 0 ? input[position - 1] : nil
        let after = position < input.count ? input[position] : nil
        switch assertion {
        case .beginText: return position == 0
        case .endText: return position == input.count
        case .beginLine: return before == nil || before == 0x0A
        case .endLine: return after == nil || after == 0x0A
        case .wordBoundary: return Self.isWord(before) != Self.isWord(after)
        case .notWordBoundary: return Self.isWord(before) == Self.isWord(after)
        }
    }

    /// Adds `start` and what it reaches without consuming to `threads` (the instructions that
    /// consume); true when it reaches `match`, nil past the step limit.
    mutating func add(_ start: Int, at position: Int, to threads: inout [Int]) -> Bool? {
        stack.append(start)
        while let pc = stack.popLast() {
            guard visited[pc] != position + 1 else { continue }
            visited[pc] = position + 1
            steps += 1
            guard steps <= stepLimit else { return nil }
            switch program[pc] {
            case .consume: threads.append(pc)
            case .jump(let target): stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .assert(let kind): if holds(kind, at: position) { stack.append(pc + 1) }
            case .match:
                stack.removeAll()
                return true
            }
        }
        return false
    }

    /// Whether the program matches somewhere in the input (nil past the step limit).
    mutating func run() -> Bool? {
        var current: [Int] = []
        var next: [Int] = []
        for position in 0...input.count {
            // Unanchored: a new thread starts at every position.
            switch add(0, at: position, to: &current) {
            case nil: return nil
            case true?: return true
            case false?: break
            }
            guard position < input.count else { break }
            let scalar = input[position]
            next.removeAll(keepingCapacity: true)
            for pc in current {
                guard case .consume(let index) = program[pc], sets[index].contains(scalar) else { continue }
                switch add(pc + 1, at: position + 1, to: &next) {
                case nil: return nil
                case true?: return true
                case false?: break
                }
            }
            swap(&current, &next)
        }
        return false
    }
}
