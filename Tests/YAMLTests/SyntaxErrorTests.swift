import Diagnostics
import Testing
import YAML

/// libyaml's errors reach the user in Palisade's words, at the place to look, with a help line.
@Suite struct SyntaxErrorTests {
    static func error(_ text: String) throws -> Diagnostic {
        let result = YAMLLoader.load(text: text, file: "s.yaml")
        return try #require(result.diagnostics.first)
    }

    @Test func aTabIsNamed() throws {
        let error = try Self.error("a: 1\nb:\n\tc: 2\n")
        #expect(error.message == "a tab character: YAML indents with spaces only")
        #expect(error.range?.start.line == 3 && error.help == "replace the tab with spaces")
    }

    @Test func anUnclosedQuoteIsFoundWhereItOpens() throws {
        let error = try Self.error("name: \"t\nother: 1\n")
        #expect(error.message == "a quoted string is never closed")
        #expect(error.range?.start.line == 1 && error.range?.start.column == 7)
    }

    @Test func unclosedBracketsAreFoundWhereTheyOpen() throws {
        let mapping = try Self.error("a: {b: 1\nc: 2\n")
        #expect(mapping.message.hasPrefix("a '{…}' mapping is not closed") && mapping.range?.start.column == 4)
        let list = try Self.error("a: [1, 2\nc: 2\n")
        #expect(list.message.hasPrefix("a '[…]' list is not closed") && list.range?.start.column == 4)
    }

    @Test func aKeyWithoutAValueIsOnItsOwnLine() throws {
        let error = try Self.error("version: 1\nworkloads\n")
        #expect(error.message == "a key without ':'")
        #expect(error.range?.start.line == 2)
    }

    @Test func aMisindentedKeyIsShownWithItsMapping() throws {
        let error = try Self.error("w:\n  web:\n    image: x\n   ports: 1\n")
        #expect(error.message == "this line is not indented like the keys of its mapping")
        #expect(error.range?.start.line == 4 && error.notes.first?.range?.start.line == 2)
    }

    @Test func aColonInAPlainValueSaysToQuote() throws {
        let error = try Self.error("a: b: c\n")
        #expect(error.message == "a ':' where YAML expects none")
        #expect(error.help?.contains("quote") == true)
    }

    @Test func noLibyamlWordsForTheErrorsItKnows() throws {
        for text in ["a: 1\nb:\n\tc: 2\n", "name: \"t\n", "a: {b: 1\n", "a: [1\n", "x\ny: 1\n", "a: b: c\n"] {
            let error = try Self.error(text)
            #expect(!error.message.contains("while "), "\(error.message)")
        }
    }
}
