import Foundation
import TestSupport
import Testing

@testable import Lint

/// The rule files, `LintRegistry` and the rule page hold the same rules: a rule missing from
/// one of them, or an id or name used twice, fails here.
@Suite struct RegistryTests {
    /// A rule's type name: its kebab-case name in UpperCamelCase (`flow-reaches-no-port` is `FlowReachesNoPort`).
    static func typeName(_ ruleName: String) -> String {
        ruleName.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// A Swift file of the Lint module: its path relative to `Sources/Lint` and its text.
    struct SourceFile {
        var path: [String]
        var text: String
    }

    static func lintSources() throws -> [SourceFile] {
        let root = repositoryRoot.appendingPathComponent("Sources/Lint")
        let enumerator = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
        var files: [SourceFile] = []
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            let path = url.standardizedFileURL.pathComponents.dropFirst(root.standardizedFileURL.pathComponents.count)
            files.append(SourceFile(path: Array(path), text: try String(contentsOf: url, encoding: .utf8)))
        }
        return files.sorted { $0.path.lexicographicallyPrecedes($1.path) }
    }

    /// The types a file declares at its top level (`struct X`, `enum X`, …; with `extensions`,
    /// the types it extends too).
    static func declaredTypes(_ text: String, extensions: Bool = false) -> [String] {
        let keywords = ["struct", "enum", "class", "actor"] + (extensions ? ["extension"] : [])
        return text.split(separator: "\n").compactMap { line in
            guard line.first?.isWhitespace == false else { return nil }
            let words = line.split(separator: " ").drop { ["public", "internal", "final", "fileprivate", "private"].contains($0) }
            guard words.count >= 2, keywords.contains(String(words[words.startIndex])) else { return nil }
            return String(words[words.index(after: words.startIndex)].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        }
    }

    /// The types a file declares conforming to `LintRule` or `DescribedRule`, nested or not.
    static func declaredRules(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let line = line.drop { $0.isWhitespace }
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let conformances = line[line.index(after: colon)...].prefix { $0 != "{" }.split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard conformances.contains("LintRule") || conformances.contains("DescribedRule") else { return nil }
            return declaredTypes(String(line[..<colon]), extensions: true).first
        }
    }

    @Test func everyRuleFileHoldsOneRegisteredRuleOfItsName() throws {
        let registered = Dictionary(LintRegistry.metadata.map { (Self.typeName($0.name), $0) }) { first, _ in first }
        let files = try Self.lintSources().filter { $0.path.first == "Rules" }
        #expect(files.count >= LintRegistry.all.count)
        for file in files {
            let location = file.path.joined(separator: "/")
            #expect(file.path.count == 3, "\(location): rules live in Rules/<Category>/<TypeName>.swift")
            let type = String(file.path[file.path.count - 1].dropLast(".swift".count))
            #expect(Self.declaredTypes(file.text) == [type], "\(location) should declare the one type \(type)")
            #expect(Self.declaredRules(file.text) == [type], "\(location) should declare the rule \(type)")
            guard let metadata = registered[type] else {
                Issue.record("\(location): \(type) is not in LintRegistry (or its type name is not its rule name in UpperCamelCase)")
                continue
            }
            #expect(file.path.count == 3 && file.path[1] == metadata.category.rawValue, "\(location): \(metadata.id) is in category \(metadata.category)")
        }
    }

    @Test func everyRuleIsDeclaredInItsOwnRuleFile() throws {
        let sources = try Self.lintSources()
        for file in sources {
            for rule in Self.declaredRules(file.text) {
                #expect(file.path.first == "Rules" && file.path.last == "\(rule).swift", "\(rule) is declared in \(file.path.joined(separator: "/"))")
            }
        }
        let paths = Set(sources.map { $0.path.joined(separator: "/") })
        for type in LintRegistry.all {
            let metadata = type.metadata
            #expect(String(describing: type) == Self.typeName(metadata.name), "\(metadata.id)'s type should be named after \(metadata.name)")
            let path = "Rules/\(metadata.category.rawValue)/\(String(describing: type)).swift"
            let exists = paths.contains(path)
            #expect(exists, "\(metadata.id) has no rule file \(path)")
        }
    }

    @Test func everyRegisteredRuleIsOnTheRulePageAndNothingElse() throws {
        let page = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/lint-rules.md"), encoding: .utf8)
        let lines = page.split(separator: "\n")
        let headings = lines.filter { $0.hasPrefix("## PAL") }.map { String($0.dropFirst(3)) }
        let rows = lines.filter { $0.hasPrefix("| [PAL") }.map { row in
            row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }.map { cells in "\(cells[0].dropFirst().prefix(6)) \(cells[1])" }
        let expected = LintRegistry.metadata.map { "\($0.id) \($0.name)" }
        for (what, listed) in [("sections", headings), ("table", rows)] {
            let missing = expected.filter { !listed.contains($0) }
            let unregistered = listed.filter { !expected.contains($0) }
            #expect(missing.isEmpty, "docs/lint-rules.md's \(what) lack \(missing)")
            #expect(unregistered.isEmpty, "docs/lint-rules.md's \(what) hold rules the registry does not: \(unregistered)")
            if missing.isEmpty && unregistered.isEmpty {
                #expect(listed == expected, "docs/lint-rules.md's \(what) are not in the registry's order")
            }
        }
    }

    @Test func idsAndNamesAreUnique() {
        let metadata = LintRegistry.metadata
        for (what, values) in [("id", metadata.map(\.id)), ("name", metadata.map(\.name))] {
            let repeated = Dictionary(grouping: values) { $0 }.filter { $0.value.count > 1 }.keys.sorted()
            #expect(repeated.isEmpty, "\(what)s used by more than one rule: \(repeated)")
        }
        let types = LintRegistry.all.map { String(describing: $0) }
        #expect(Set(types).count == types.count, "a rule registered twice")
    }

    @Test func idsAreWellFormedSortedAndInTheirCategorysHundreds() {
        for metadata in LintRegistry.metadata {
            let number = metadata.id.hasPrefix("PAL") && metadata.id.count == 6 ? Int(metadata.id.dropFirst(3)) : nil
            #expect(number != nil, "\(metadata.id) is not PAL and three digits")
            #expect(metadata.category.idHundreds.contains((number ?? 0) / 100), "\(metadata.id) is outside category \(metadata.category)'s ids")
            #expect(
                metadata.name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" } && !metadata.name.hasPrefix("-"),
                "\(metadata.name) is not kebab-case")
            #expect(!metadata.summary.isEmpty && !metadata.rationale.isEmpty && !metadata.fix.isEmpty && !metadata.messages.isEmpty)
            let keys = metadata.messages.map(\.key)
            #expect(Set(keys).count == keys.count, "\(metadata.id) has two messages of one key")
        }
        let ids = LintRegistry.rules.map(\.metadata.id)
        #expect(ids == ids.sorted())
    }

    @Test func typeNamesAreRuleNamesInUpperCamelCase() {
        #expect(Self.typeName("flow-reaches-no-port") == "FlowReachesNoPort")
        #expect(Self.typeName("privileged") == "Privileged")
        #expect(Self.declaredTypes("import IR\n\nstruct A: LintRule {\n    struct Inner {}\n}\nextension B {}\npublic enum C {}\n") == ["A", "C"])
        #expect(
            Self.declaredRules("struct A: LintRule {\n    enum B: Sendable, DescribedRule {\nstruct C: Hashable {\nextension D: LintRule {}\n")
                == ["A", "B", "D"])
    }
}
