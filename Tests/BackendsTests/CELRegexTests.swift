import Foundation
import Testing

@testable import Backends

/// CEL's `matches()`: RE2 syntax, an unanchored search, in time linear in the input.
@Suite struct CELRegexTests {
    /// Patterns, inputs and whether the pattern matches somewhere in the input, as RE2 (Go's
    /// `regexp`, which cel-go runs) answers.
    static let table: [(pattern: String, input: String, matches: Bool)] = [
        // Literals, unanchored search, the empty pattern.
        ("abc", "xabcx", true), ("abc", "ab", false), ("", "", true), ("", "x", true),
        // Anchors: `$` is the end of the text only (not before a final newline) outside (?m).
        ("^abc$", "abc", true), ("^abc$", "abc\n", false), ("^b$", "a\nb\nc", false), ("(?m)^b$", "a\nb\nc", true),
        ("\\Aab", "ab", true), ("\\Aab", "cab", false), ("ab\\z", "ab", true), ("ab\\z", "abc", false),
        ("\\bfoo\\b", "a foo b", true), ("\\bfoo\\b", "afoo", false), ("\\Boo", "foo", true), ("^\\B$", "", true), ("^\\b$", "", false),
        ("^*a", "a", true),
        // `.` is any scalar but a newline, outside (?s).
        ("a.c", "abc", true), ("a.c", "a\nc", false), ("(?s)a.c", "a\nc", true), ("(?s:.)(?-s:.)", "\n\n", false),
        // Escapes.
        ("a\\.c", "abc", false), ("a\\.c", "a.c", true), ("\\\\", "\\", true), ("\\/", "/", true), ("\\-", "-", true), ("\\ ", " ", true),
        ("\\t\\n\\r\\f\\v\\a", "\t\n\r\u{0C}\u{0B}\u{07}", true), ("\\x41", "A", true), ("\\x{1F600}", "😀", true), ("\\101", "A", true),
        ("\\0", "\u{0}", true), ("\\12", "\n", true), ("\\1234", "S4", true), ("\\Qa.b\\E", "a.b", true), ("\\Qa.b\\E", "axb", false), ("\\Qa.b", "a.b", true),
        ("^\\Qab\\E*$", "abbb", true), ("^\\Qab\\E*$", "abab", false),
        // Perl classes, ASCII only; `\s` has no vertical tab.
        ("\\d+", "x42", true), ("^\\d+$", "4a", false), ("^\\D+$", "ab", true), ("\\w", "é", false), ("^\\W$", "é", true),
        ("\\s", "\u{0B}", false), ("\\s", "\t", true), ("^\\S$", "\u{0B}", true), ("^\\d$", "٣", false),
        // Classes.
        ("[a-c]x", "bx", true), ("[^a-c]x", "bx", false), ("[^a]", "\n", true), ("[]a]", "]", true), ("[^]a]", "]", false),
        ("[a-]", "-", true), ("[-a]", "-", true), ("[a-c-e]", "-", true), ("[a-c-e]", "d", false), ("[\\]]", "]", true), ("[[]", "[", true),
        ("[[:digit:]]", "5", true), ("[[:^digit:]x]", "5", false), ("[[:^digit:]x]", "x", true), ("[\\d\\s]", " ", true), ("[^\\d]", "5", false),
        ("[\\D]", "a", true), ("[.]", "x", false), ("[\\x41-\\x43]", "B", true), ("^[à-ä]$", "â", true), ("[[:alpha:]]", "é", false),
        // Groups and alternation.
        ("(ab)+$", "xabab", true), ("^(?:ab)+$", "aba", false), ("^(?P<x>a)b$", "ab", true), ("^(?<x>a)b$", "ab", true),
        ("^(a|b|)$", "", true), ("^(a|bc)$", "bc", true), ("a|b", "c", false), ("^(?:)$", "", true), ("^()+$", "", true),
        // Flags: for the rest of the group, or the group they open; `-` clears.
        ("(?i)abc", "ABC", true), ("(?i:a)b", "AB", false), ("(?i:a)b", "Ab", true), ("a(?i)b", "aB", true), ("a(?i)b", "AB", false),
        ("(a(?i)b)c", "aBC", false), ("(a(?i)b)c", "aBc", true), ("(?i)(?-i:a)", "A", false), ("(?i-i)a", "A", false), ("(?i)a|b", "B", true),
        ("^a(?i)*$", "", true), ("^a(?i){2}$", "aa", true), ("(?)a", "a", true), ("(?U)a+", "a", true), ("(?i)[a-c]", "B", true), ("(?i)[^a]", "A", false),
        ("(?i)\\x41", "a", true),
        // Case folding on Unicode scalars: simple folding orbits.
        ("(?i)k", "\u{212A}", true), ("(?i)\u{212A}", "k", true), ("(?i)[k]", "\u{212A}", true), ("(?i)[^k]", "\u{212A}", false),
        ("(?i)s", "ſ", true), ("(?i)i", "ı", false), ("(?i)I", "ı", false), ("(?i)σ", "ς", true), ("(?i)ß", "ẞ", true), ("(?i)é", "É", true),
        ("(?i)\\w", "\u{212A}", true), ("(?i)\\W", "\u{212A}", false), ("(?i)[[:lower:]]", "Q", true), ("k", "K", false),
        // Quantifiers and counts; their lazy forms give the same answer.
        ("^a{3}$", "aaa", true), ("^a{3}$", "aa", false), ("^a{2,}$", "aaaaa", true), ("^a{2,3}$", "aaaa", false), ("^a{0}$", "", true),
        ("^a{0,0}b$", "b", true), ("^a*?$", "aaa", true), ("^a+?b", "aab", true), ("^a??b$", "b", true), ("^a{2}?$", "aa", true),
        ("^a{2,}?$", "a", false), ("^(?:a{2}){3}$", "aaaaaa", true), ("^(?:a{2}){3}$", "aaaaa", false), ("^\\d{3,}$", "12", false),
        ("^(a+|b+)*c$", "aabbac", true), ("^(a|ab)(c|bcd)(d*)$", "abcd", true), ("^(?:a?){5}a{5}$", "aaaaa", true),
        // A `{` that does not open a count is a literal.
        ("a{,3}", "a{,3}", true), ("^a{01}$", "a{01}", true), ("x{", "x{", true), ("^a{1,2$", "a{1,2", true), ("{", "{", true), ("a{x}", "a{x}", true),
        // Unicode scalars, not characters or UTF-16 units.
        ("^.$", "é", true), ("^.$", "e\u{301}", false), ("^..$", "e\u{301}", true), ("^😀+$", "😀😀", true), ("^.$", "😀", true),
        ("^[^a]$", "🇫🇷", false), ("^[^a]{2}$", "🇫🇷", true),
        // The patterns the admission policies write.
        ("@sha256:[0-9a-f]{64}$", "x@sha256:" + String(repeating: "0", count: 64), true),
        ("@sha256:[0-9a-f]{64}$", "x@sha256:" + String(repeating: "0", count: 63), false),
        (
            "^(?i:registry[.]example[.]com)/shop(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$",
            "REGISTRY.example.com/shop/web:1.2", true
        ),
        (
            "^(?i:registry[.]example[.]com)/shop(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$",
            "registry.example.com/Shop/web", false
        ),
        (
            "^(?i:registry[.]example[.]com)/shop(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$",
            "registry.example.com/shop/web:" + String(repeating: "t", count: 129), false
        ),
    ]

    @Test func matchesAsRE2Does() throws {
        for (pattern, input, expected) in Self.table {
            let regex = try CELRegex(pattern)
            #expect(regex.matches(input) == expected, "'\(pattern)' on \(input.debugDescription)")
        }
    }

    /// Patterns RE2 refuses (and the few it accepts that the matcher refuses), with the
    /// byte offset of the construct and a word of the message.
    static let refused: [(pattern: String, offset: Int, message: String)] = [
        ("(a)\\1", 3, "backreference"), ("\\18", 0, "backreference"), ("\\8", 0, "invalid escape"), ("(?P=n)", 0, "named group reference"),
        ("(?P>n)", 0, "named group reference"),
        ("(?=a)", 0, "lookahead"), ("(?!a)", 0, "lookahead"), ("x(?<=a)b", 1, "lookbehind"), ("(?<!a)", 0, "lookbehind"),
        ("a**", 0, "nested repetition"), ("xa*+", 1, "nested repetition"), ("a{2}{3}", 0, "nested repetition"), ("a*??", 0, "nested repetition"),
        ("*a", 0, "missing argument"), ("a|*", 2, "missing argument"), ("(+)", 1, "missing argument"), ("(?i)*", 4, "missing argument"),
        ("a|(?i)+", 6, "missing argument"), ("{2}", 0, "missing argument"),
        ("a{1001}", 1, "invalid repeat count"), ("a{2,1}", 1, "invalid repeat count"), ("a{100000000}", 1, "invalid repeat count"),
        ("a{0,1001}", 1, "invalid repeat count"), ("(a{100}){100}", 0, "invalid repeat count"), ("((a{10}){10}){11}", 0, "invalid repeat count"),
        ("[z-a]", 1, "invalid character class range"), ("[\\x7a-a]", 1, "invalid character class range"), ("[a", 0, "missing closing ]"),
        ("[]", 0, "missing closing ]"), ("(a", 0, "missing closing )"),
        ("a)", 1, "unexpected )"), ("a\\", 1, "trailing backslash"), ("\\pL", 0, "Unicode classes"), ("[\\p{Greek}]", 1, "Unicode classes"),
        ("\\Z", 0, "invalid escape"), ("\\x4", 0, "invalid escape"), ("\\x{110000}", 0, "invalid escape"), ("\\é", 0, "invalid escape"),
        ("[[:foo:]]", 1, "invalid character class range"), ("[a-\\d]", 3, "invalid escape"), ("(?x)", 0, "unsupported Perl syntax"),
        ("(?i-)", 0, "unsupported Perl syntax"), ("(?--i)", 0, "unsupported Perl syntax"), ("(?P<a>x)(?P<a>y)", 8, "duplicate capture group name"),
        ("(?P<>x)", 0, "invalid named capture"), ("(?P<a-b>x)", 0, "invalid named capture"), ("é(", 2, "missing closing )"),
        (String(repeating: "(", count: 300) + String(repeating: ")", count: 300), 200, "nests more than"),
        (String(repeating: "a{1000}", count: 60), 0, "expands to more than"),
    ]

    static func refusal(_ pattern: String) -> CELRegexError? {
        do {
            _ = try CELRegex(pattern)
            return nil
        } catch {
            return error
        }
    }

    static func syntaxError(_ text: String) -> CELSyntaxError? {
        do {
            _ = try CELParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func refusesWhatRE2RefusesWithTheOffset() {
        for (pattern, offset, message) in Self.refused {
            let error = Self.refusal(pattern)
            #expect(error?.offset == offset, "'\(pattern)': \(String(describing: error))")
            #expect(error?.message.contains(message) == true, "'\(pattern)': \(String(describing: error))")
        }
        // Counts nested up to RE2's limit of 1000 in all are accepted.
        #expect(throws: Never.self) { _ = try CELRegex("((a{10}){10}){10}") }
        #expect(throws: Never.self) { _ = try CELRegex("(?:a{1000})*") }
    }

    /// Patterns that take a backtracking engine time exponential in the input: the search visits
    /// each instruction at most once per input position.
    @Test func pathologicalPatternsTakeStepsLinearInTheInput() throws {
        let cases: [(pattern: String, input: String)] = [
            ("(a+)+$", String(repeating: "a", count: 10_000) + "!"),
            ("^(a|aa)+$", String(repeating: "a", count: 10_000) + "!"),
            ("(a|a)*b", String(repeating: "a", count: 10_000)),
            ("(a*)*b", String(repeating: "a", count: 10_000)),
            ("(?:a?){30}a{30}b", String(repeating: "a", count: 5_000)),
            ("((a{1,10}){1,10}){1,10}$", String(repeating: "a", count: 1_000) + "!"),
            ("(x+x+)+y", String(repeating: "x", count: 10_000)),
        ]
        for (pattern, input) in cases {
            let regex = try CELRegex(pattern)
            let scalars = input.unicodeScalars.count
            let search = regex.search(input)
            #expect(search.matched == false, "'\(pattern)'")
            #expect(search.steps <= regex.instructionCount * (scalars + 1), "'\(pattern)': \(search.steps) steps")
            #expect(search.steps >= scalars, "'\(pattern)': the search reads the whole input")
        }
        // Without counts the program is linear in the pattern too.
        for pattern in ["(a+)+$", "^(a|aa)+$", "(a|a)*b", "(a*)*b", "(x+x+)+y"] {
            #expect(try CELRegex(pattern).instructionCount <= 2 * pattern.count, "'\(pattern)'")
        }
    }

    @Test func aSearchStopsAtItsStepLimit() throws {
        let regex = try CELRegex("(a+)+$")
        let input = String(repeating: "a", count: 1_000) + "!"
        let limited = regex.search(input, stepLimit: 100)
        #expect(limited.matched == nil)
        #expect(limited.steps == 101)
        #expect(regex.search(input).matched == false)
    }

    /// The evaluator charges a search's steps to the expression's budget, and refuses a pattern
    /// outside the syntax as an evaluation error; the parser refuses a literal one with its column.
    @Test func celMatchesUsesTheMatcher() throws {
        let long = String(repeating: "a", count: 2_000) + "!"
        let expression = try CELParser.parse("s.matches('^(a|aa)+$')")
        #expect(CELEvaluator().evaluate(expression, ["s": .string(long)]) == .success(.bool(false)))
        #expect(CELEvaluator().evaluate(expression, ["s": .string("aaaa")]) == .success(.bool(true)))
        guard case .failure(let error) = CELEvaluator(budget: 1_000).evaluate(expression, ["s": .string(long)]) else {
            Issue.record("a search beyond the budget succeeded")
            return
        }
        #expect(error.message.contains("budget"))
        let dynamic = try CELParser.parse("'a'.matches(p)")
        guard case .failure(let invalid) = CELEvaluator().evaluate(dynamic, ["p": .string("(?=a)")]) else {
            Issue.record("a lookahead evaluated")
            return
        }
        #expect(invalid.message.contains("lookahead"))
        // The column of the construct in the expression: `\\` in the literal is one byte of pattern.
        for (text, column) in [(#"x.matches('a(?=b)')"#, 13), (#"x.matches('\\.(?=b)')"#, 15), (#"x.matches("é(")"#, 14)] {
            let error = Self.syntaxError(text)
            #expect(error.map { $0.offset + 1 } == column, "\(text): \(String(describing: error))")
            #expect(error?.message.hasPrefix("invalid regular expression") == true, "\(text): \(String(describing: error))")
        }
    }

    /// Random small patterns and inputs where ICU (`NSRegularExpression`) and RE2 read the same
    /// (ASCII, no newlines, no bare braces, no quantified assertions), small enough that ICU's
    /// backtracking ends: the two agree.
    @Test func agreesWithICUWhereTheyAgree() throws {
        var random = Generator(state: 0x5EED_CE1)
        var compared = 0
        for _ in 0..<600 {
            let pattern = random.pattern(depth: 0).text
            let icu = try NSRegularExpression(pattern: pattern)
            let regex = try CELRegex(pattern)
            for _ in 0..<12 {
                let input = random.input()
                let range = NSRange(input.startIndex..<input.endIndex, in: input)
                let expected = icu.firstMatch(in: input, options: [], range: range) != nil
                #expect(regex.matches(input) == expected, "'\(pattern)' on '\(input)'")
                compared += 1
            }
        }
        #expect(compared == 7_200)
    }

    /// SplitMix64 with the pieces of random patterns.
    struct Generator {
        var state: UInt64

        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }

        mutating func pick(_ choices: [String]) -> String { choices[next(choices.count)] }

        mutating func input() -> String {
            String((0..<next(9)).map { _ in Array("aabbA1 -")[next(8)] })
        }

        /// An atom and whether it can match the empty string.
        mutating func atom(depth: Int) -> (text: String, nullable: Bool) {
            switch next(depth < 3 ? 10 : 6) {
            case 0, 1, 2: return (pick(["a", "b", "A", "1", " ", "\\-"]), false)
            case 3: return (pick([".", "\\d", "\\w", "\\s", "\\W", "[ab]", "[^a]", "[a-c1]", "[^\\d ]", "[-a]"]), false)
            case 4: return (pick(["^", "$", "\\b", "\\B"]), true)
            case 5: return (pick(["(?i:a)", "(?i)b"]), false)
            case 6, 7:
                let inner = alternation(depth: depth + 1)
                return ("(" + inner.text + ")", inner.nullable)
            default:
                let inner = alternation(depth: depth + 1)
                return ("(?:" + inner.text + ")", inner.nullable)
            }
        }

        mutating func alternation(depth: Int) -> (text: String, nullable: Bool) {
            let branches = (0..<(next(4) == 0 ? 2 : 1)).map { _ in pattern(depth: depth) }
            return (branches.map(\.text).joined(separator: "|"), branches.contains(where: \.nullable))
        }

        /// Atoms, some quantified: never one that can match the empty string (an assertion, a
        /// group that can), where ICU's loop over an empty match stops early (`(?:|a*?)*?\Ba`
        /// does not find the `a` of `ba` in `ab ba`).
        mutating func pattern(depth: Int) -> (text: String, nullable: Bool) {
            var result = ""
            var nullable = true
            for _ in 0..<(1 + next(4)) {
                var (text, empty) = atom(depth: depth)
                if !empty, next(3) == 0 {
                    let quantifier = pick(["*", "+", "?", "{2}", "{0,2}", "{1,}", "*?", "+?", "??", "{1,3}?"])
                    text += quantifier
                    empty = ["*", "?", "{0,2}", "*?", "??"].contains(quantifier)
                }
                result += text
                nullable = nullable && empty
            }
            return (result, nullable)
        }
    }
}
