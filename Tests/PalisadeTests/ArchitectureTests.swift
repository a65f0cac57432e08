import Foundation
import TestSupport
import Testing

/// The module graph of docs/architecture.md against the code: `Package.swift`'s targets and the
/// `import` lines of every `Sources/<Module>/**/*.swift`. The rules are parsed out of the page,
/// so the page and this test cannot disagree.
@Suite struct ArchitectureTests {
    @Test func thePackageAndTheImportsFollowTheDocumentedRules() throws {
        let rules = try ArchitectureRules.documented()
        let graph = try ModuleGraph.current()
        let problems = rules.violations(of: graph)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func theDiagramDrawsTheAllowedDependencies() throws {
        let rules = try ArchitectureRules.documented()
        var allowed = rules.allowed
        allowed.removeValue(forKey: ArchitectureRules.system)
        let edges = allowed.filter { !$0.value.isEmpty }
        #expect(rules.diagram == edges, "the Mermaid diagram and the modules table differ")
    }

    @Test func theRulesAreTheOnesTheArchitectureAsksFor() throws {
        let rules = try ArchitectureRules.documented()
        func forbidden(_ module: String) -> Set<String> { rules.forbidden.filter { $0.module == module }.reduce([]) { $0.union($1.names) } }
        #expect(forbidden("IR").isSuperset(of: ["YAML", "Spec", "Backends"]))
        #expect(forbidden("Backends").contains("Spec"))
        #expect(forbidden("Lint").contains("Backends"))
        #expect(forbidden("Reports").contains("Spec") && forbidden("Analysis").contains("Spec"))
        #expect(forbidden("PalisadeCLI").isSuperset(of: ["Foundation", "Backends", "Spec", "IR"]))
        #expect(rules.allowed["PalisadeCLI"] == ["ArgumentParser", "Palisade"])
    }

    /// The checker itself: bad imports and dependencies added to the real graph are caught.
    @Test func aForbiddenImportOrDependencyFails() throws {
        let rules = try ArchitectureRules.documented()
        let graph = try ModuleGraph.current()

        var cli = graph
        cli.imports["PalisadeCLI", default: [:]]["Sources/PalisadeCLI/main.swift", default: []].formUnion(["Foundation", "IR"])
        let cliProblems = rules.violations(of: cli)
        #expect(cliProblems.contains { $0.contains("main.swift imports Foundation") && $0.contains("must never") })
        #expect(cliProblems.contains { $0.contains("main.swift imports IR") })

        var reports = graph
        reports.imports["Reports", default: [:]]["Sources/Reports/X.swift", default: []].insert("Spec")
        #expect(rules.violations(of: reports).contains { $0.contains("X.swift imports Spec") })

        // Through another module: Lint on Analysis brings Backends.
        var lint = graph
        lint.dependencies["Lint", default: []].insert("Analysis")
        let lintProblems = rules.violations(of: lint)
        #expect(lintProblems.contains { $0.contains("Lint depends on Backends") })
        #expect(lintProblems.contains { $0.contains("Package.swift: Lint depends on [Analysis, Diagnostics, IR]") })

        var unlisted = graph
        unlisted.dependencies["Extra"] = []
        #expect(rules.violations(of: unlisted).contains { $0.contains("Extra") })
    }

    @Test func importLinesAreReadWithTheirAttributesAndKinds() {
        let source = """
            import ArgumentParser
            @testable import Backends
            @preconcurrency internal import CLibXML2
            public import struct Foundation.URL
            // import Commented
            /* import Block
               import StillBlock */
            let text = "import NotCode"
              import Indented
            """
        #expect(ModuleGraph.imports(in: source) == ["ArgumentParser", "Backends", "CLibXML2", "Foundation", "Indented"])
    }

    @Test func packageTargetsAreReadWithTheirDependencies() {
        let manifest = """
            let package = Package(
                name: "p",
                products: [.executable(name: "p", targets: ["CLI"])],
                // a comment's apostrophe: it's ignored
                targets: [
                    .systemLibrary(name: "CSys", pkgConfig: "sys"),
                    .target(name: "Core", dependencies: ["CSys"]),
                    .executableTarget(name: "CLI", dependencies: ["Core", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                                                  .target(name: "Extra")]),
                    .target(name: "Helpers", dependencies: ["Core"], path: "Tests/Helpers"),
                    .testTarget(name: "CoreTests", dependencies: ["Core"]),
                ]
            )
            """
        let targets = ModuleGraph.targets(inManifest: manifest)
        #expect(targets.map(\.name) == ["CSys", "Core", "CLI", "Helpers", "CoreTests"])
        #expect(targets.map(\.kind) == ["systemLibrary", "target", "executableTarget", "target", "testTarget"])
        #expect(targets[2].dependencies == ["Core", "ArgumentParser", "Extra"])
        #expect(targets[3].path == "Tests/Helpers")
    }
}

// MARK: - The rules, from docs/architecture.md

struct ArchitectureRules {
    /// The row of the modules table for modules of the platform.
    static let system = "(system)"

    struct Forbidden: Hashable {
        var module: String
        var names: Set<String>
        /// Through other modules too, not only directly.
        var transitive: Bool
    }

    /// Module → the modules it may depend on; `system` → the platform's modules.
    var allowed: [String: Set<String>]
    var forbidden: [Forbidden]
    /// The edges of the Mermaid diagram: module → what it depends on.
    var diagram: [String: Set<String>]

    static func documented() throws -> ArchitectureRules {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        return try ArchitectureRules(markdown: text)
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    init(markdown: String) throws {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let modules = try Self.table(in: lines, after: "## Modules")
        guard let allowedColumn = modules.header.firstIndex(of: "may depend on") else { throw ParseError(description: "no 'may depend on' column") }
        allowed = [:]
        for row in modules.rows { allowed[row[0]] = Self.names(row[allowedColumn]) }
        let never = try Self.table(in: lines, after: "## Dependencies that must never exist")
        guard let namesColumn = never.header.firstIndex(of: "must never depend on"), let reachColumn = never.header.firstIndex(of: "reach") else {
            throw ParseError(description: "the forbidden table lacks its columns")
        }
        forbidden = try never.rows.map { row in
            guard ["at all", "directly"].contains(row[reachColumn]) else { throw ParseError(description: "reach '\(row[reachColumn])'") }
            return Forbidden(module: row[0], names: Self.names(row[namesColumn]), transitive: row[reachColumn] == "at all")
        }
        diagram = [:]
        guard let start = lines.firstIndex(of: "```mermaid") else { throw ParseError(description: "no Mermaid diagram") }
        for line in lines[(start + 1)...].prefix(while: { $0 != "```" }) {
            let sides = line.components(separatedBy: "-->")
            guard sides.count == 2 else { continue }
            let from = sides[0].trimmingCharacters(in: .whitespaces)
            for to in sides[1].split(separator: "&") { diagram[from, default: []].insert(to.trimmingCharacters(in: .whitespaces)) }
        }
    }

    /// The first Markdown table after the heading: its header cells and its rows, backticks removed.
    static func table(in lines: [String], after heading: String) throws -> (header: [String], rows: [[String]]) {
        guard let start = lines.firstIndex(of: heading) else { throw ParseError(description: "no heading '\(heading)'") }
        let body = lines[(start + 1)...].drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
        func cells(_ line: String) -> [String] {
            line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.replacingOccurrences(of: "`", with: "").trimmingCharacters(in: .whitespaces) }
        }
        guard let header = body.first.map(cells) else { throw ParseError(description: "no table after '\(heading)'") }
        return (header, body.dropFirst(2).map(cells))
    }

    /// `A, B` → {A, B}; `—` → {}.
    static func names(_ cell: String) -> Set<String> {
        Set(cell.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "—" && $0 != "-" })
    }

    /// Every way the graph breaks the rules, one sentence each.
    func violations(of graph: ModuleGraph) -> [String] {
        var problems: [String] = []
        let system = allowed[Self.system] ?? []
        let documented = Set(allowed.keys).subtracting([Self.system])
        for module in Set(graph.dependencies.keys).subtracting(documented).sorted() {
            problems.append("\(module) is a module of Package.swift that docs/architecture.md does not list")
        }
        for module in documented.subtracting(graph.dependencies.keys).sorted() {
            problems.append("docs/architecture.md lists \(module), which is no module under Sources/ in Package.swift")
        }
        for (module, dependencies) in graph.dependencies.sorted(by: { $0.key < $1.key }) where documented.contains(module) {
            let expected = allowed[module] ?? []
            if dependencies != expected {
                problems.append(
                    "Package.swift: \(module) depends on [\(dependencies.sorted().joined(separator: ", "))], "
                        + "docs/architecture.md says [\(expected.sorted().joined(separator: ", "))]")
            }
        }
        for (module, files) in graph.imports.sorted(by: { $0.key < $1.key }) {
            let permitted = (allowed[module] ?? []).union(system).union([module])
            for (file, imports) in files.sorted(by: { $0.key < $1.key }) {
                for name in imports.sorted() where !permitted.contains(name) {
                    problems.append("\(file) imports \(name), which \(module) may not depend on")
                }
            }
        }
        for rule in forbidden {
            for (file, imports) in (graph.imports[rule.module] ?? [:]).sorted(by: { $0.key < $1.key }) {
                for name in imports.intersection(rule.names).sorted() {
                    problems.append("\(file) imports \(name): \(rule.module) must never depend on \(name)")
                }
            }
            let reached = rule.transitive ? graph.closure(of: rule.module) : graph.dependencies[rule.module] ?? []
            for name in reached.intersection(rule.names).sorted() {
                problems.append("\(rule.module) depends on \(name)\(rule.transitive ? " (directly or through another module)" : ""): it must never")
            }
        }
        return problems
    }
}

// MARK: - The code: Package.swift and the import lines

struct ModuleGraph {
    /// Target → its dependencies, for the targets whose sources are under `Sources/`.
    var dependencies: [String: Set<String>]
    /// Module → file → the modules it imports.
    var imports: [String: [String: Set<String>]]

    struct Target {
        var kind: String
        var name: String
        var dependencies: [String]
        var path: String?
    }

    static func current() throws -> ModuleGraph {
        let manifest = try String(contentsOf: repositoryRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        var graph = ModuleGraph(dependencies: [:], imports: [:])
        for target in targets(inManifest: manifest) where target.kind != "testTarget" {
            let path = target.path ?? "Sources/\(target.name)"
            guard path.hasPrefix("Sources/") else { continue }
            graph.dependencies[target.name] = Set(target.dependencies)
            let folder = repositoryRoot.appendingPathComponent(path)
            let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
            for file in files.sorted() {
                let source = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                graph.imports[target.name, default: [:]]["\(path)/\(file)"] = imports(in: source)
            }
        }
        // A folder under Sources/ that no target claims is a module nobody checks.
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Sources").path)) ?? []
        for folder in folders where !folder.hasPrefix(".") && graph.dependencies[folder] == nil {
            graph.dependencies[folder] = []
        }
        return graph
    }

    /// Everything `module` depends on, directly or through other modules.
    func closure(of module: String) -> Set<String> {
        var seen: Set<String> = []
        var pending = Array(dependencies[module] ?? [])
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            pending += dependencies[next] ?? []
        }
        return seen
    }

    /// The modules a Swift source imports: `import M`, with attributes (`@testable`), an access
    /// level (`internal import`) or a kind (`import struct M.Type`); comments are skipped.
    static func imports(in source: String) -> Set<String> {
        var result: Set<String> = []
        var inBlockComment = false
        for line in source.split(separator: "\n") {
            var text = line.trimmingCharacters(in: .whitespaces)
            if inBlockComment {
                guard let end = text.range(of: "*/") else { continue }
                inBlockComment = false
                text = String(text[end.upperBound...]).trimmingCharacters(in: .whitespaces)
            }
            if text.hasPrefix("/*") {
                if text.range(of: "*/") == nil { inBlockComment = true }
                continue
            }
            var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)[...]
            while let first = words.first, first.hasPrefix("@") || ["public", "package", "internal", "fileprivate", "private"].contains(first) {
                words = words.dropFirst()
            }
            guard words.first == "import" else { continue }
            words = words.dropFirst()
            if let kind = words.first, ["typealias", "struct", "class", "enum", "protocol", "let", "var", "func"].contains(kind) {
                words = words.dropFirst()
            }
            guard let path = words.first, let module = path.split(separator: ".").first else { continue }
            result.insert(String(module))
        }
        return result
    }

    /// The targets of a manifest's `Package(targets: [...])`, in order.
    static func targets(inManifest manifest: String) -> [Target] {
        let code = Array(withoutComments(manifest))
        guard let package = code.indices.first(where: { String(code[$0...].prefix(8)) == "Package(" }),
            let arguments = enclosed(code, from: package + 7),
            let list = argument("targets", in: code, arguments), let items = enclosed(code, from: list)
        else { return [] }
        return topLevelItems(code, items).compactMap { item -> Target? in
            let text = String(code[item])
            guard text.hasPrefix("."), let open = text.firstIndex(of: "(") else { return nil }
            let kind = String(text[text.index(after: text.startIndex)..<open])
            guard let body = enclosed(code, from: item.lowerBound + text.distance(from: text.startIndex, to: open)) else { return nil }
            guard let name = stringArgument("name", in: code, body) else { return nil }
            var dependencies: [String] = []
            if let start = argument("dependencies", in: code, body), let list = enclosed(code, from: start) {
                for dependency in topLevelItems(code, list) {
                    let entry = String(code[dependency])
                    if entry.hasPrefix("\"") {
                        dependencies.append(String(entry.dropFirst().prefix { $0 != "\"" }))
                    } else if let open = entry.firstIndex(of: "("),
                        let inner = enclosed(code, from: dependency.lowerBound + entry.distance(from: entry.startIndex, to: open)),
                        let value = stringArgument("name", in: code, inner)
                    {
                        dependencies.append(value)
                    }
                }
            }
            return Target(kind: kind, name: name, dependencies: dependencies, path: stringArgument("path", in: code, body))
        }
    }

    /// The manifest without `//` comments (string literals kept whole).
    static func withoutComments(_ text: String) -> String {
        var out = ""
        var inString = false
        var iterator = Array(text).makeIterator()
        var previous: Character?
        while let character = iterator.next() {
            if !inString, character == "/", previous == "/" {
                out.removeLast()
                while let skipped = iterator.next(), skipped != "\n" {}
                out.append("\n")
                previous = nil
                continue
            }
            if character == "\"" { inString.toggle() }
            out.append(character)
            previous = character
        }
        return out
    }

    /// The range strictly inside the bracket at `open` (`(` or `[`), strings skipped.
    static func enclosed(_ code: [Character], from open: Int) -> Range<Int>? {
        guard open < code.count, let close = closing(code[open]) else { return nil }
        var depth = 0
        var inString = false
        for index in open..<code.count {
            let character = code[index]
            if character == "\"" { inString.toggle() }
            if inString { continue }
            if character == code[open] { depth += 1 }
            if character == close {
                depth -= 1
                if depth == 0 { return (open + 1)..<index }
            }
        }
        return nil
    }

    static func closing(_ character: Character) -> Character? {
        switch character {
        case "(": ")"
        case "[": "]"
        default: nil
        }
    }

    /// The comma-separated items of a list or argument list, nested brackets and strings kept whole.
    static func topLevelItems(_ code: [Character], _ range: Range<Int>) -> [Range<Int>] {
        var items: [Range<Int>] = []
        var depth = 0
        var inString = false
        var start = range.lowerBound
        func close(_ end: Int) {
            var lower = start
            var upper = end
            while lower < upper, code[lower].isWhitespace { lower += 1 }
            while upper > lower, code[upper - 1].isWhitespace { upper -= 1 }
            if lower < upper { items.append(lower..<upper) }
        }
        for index in range {
            let character = code[index]
            if character == "\"" { inString.toggle() }
            if inString { continue }
            switch character {
            case "(", "[": depth += 1
            case ")", "]": depth -= 1
            case "," where depth == 0:
                close(index)
                start = index + 1
            default: break
            }
        }
        close(range.upperBound)
        return items
    }

    /// Where the value of `label:` begins among the top-level items of `range`.
    static func argument(_ label: String, in code: [Character], _ range: Range<Int>) -> Int? {
        for item in topLevelItems(code, range) {
            let text = String(code[item])
            guard text.hasPrefix(label + ":") else { continue }
            let value = text.dropFirst(label.count + 1).drop { $0.isWhitespace }
            return item.lowerBound + (text.count - value.count)
        }
        return nil
    }

    /// The string literal of `label: "…"` among the top-level items of `range`.
    static func stringArgument(_ label: String, in code: [Character], _ range: Range<Int>) -> String? {
        guard let start = argument(label, in: code, range), code[start] == "\"" else { return nil }
        return String(code[(start + 1)...].prefix { $0 != "\"" })
    }
}
