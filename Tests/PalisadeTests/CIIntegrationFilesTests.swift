import Foundation
import TestSupport
import Testing
import YAML

/// The files other people's pipelines read: the GitHub Action and the pre-commit hooks.
@Suite struct CIIntegrationFilesTests {
    func load(_ path: String) throws -> YAMLNode {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        let loaded = YAMLLoader.load(text: text, file: path)
        #expect(loaded.diagnostics.isEmpty, "\(path): \(loaded.diagnostics.map(\.message))")
        return try #require(loaded.root)
    }

    func pairs(_ node: YAMLNode?) -> [YAMLPair] {
        if case .mapping(let pairs) = node?.content { return pairs }
        return []
    }

    func value(_ node: YAMLNode?, _ key: String) -> YAMLNode? { pairs(node).first { $0.name == key }?.value }

    @Test func actionDeclaresAndDocumentsEveryInputItUses() throws {
        let action = try load("action.yml")
        for key in ["name", "description", "inputs", "outputs", "runs"] { #expect(value(action, key) != nil, "action.yml lacks \(key)") }
        #expect(value(value(action, "runs"), "using")?.scalar == "composite")
        let inputs = pairs(value(action, "inputs"))
        let declared = Set(inputs.map(\.name))
        #expect(declared.isSuperset(of: ["command", "spec", "targets", "format", "output", "fail-on", "baseline", "comment", "sarif-category"]))
        for input in inputs {
            let description = value(input.value, "description")?.scalar ?? ""
            #expect(description.count > 10, "input \(input.name) has no description")
        }
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("action.yml"), encoding: .utf8)
        let used = Set(text.matches(of: /inputs\.([a-z][a-z0-9-]*)/).map { String($0.output.1) })
        #expect(used.subtracting(declared).isEmpty, "used but not declared: \(used.subtracting(declared).sorted())")
        #expect(declared.subtracting(used).isEmpty, "declared but never used: \(declared.subtracting(used).sorted())")
        // The run step's script reads what the action passes it, and nothing else.
        let script = try String(contentsOf: repositoryRoot.appendingPathComponent("scripts/action-run.sh"), encoding: .utf8)
        let read = Set(script.matches(of: /INPUT_([A-Z_]+)/).map { String($0.output.1) })
        let passed = Set(text.matches(of: /INPUT_([A-Z_]+):/).map { String($0.output.1) })
        #expect(read == passed, "script reads \(read.sorted()), action passes \(passed.sorted())")
        // Every input is in the table of docs/ci/README.md.
        let docs = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/ci/README.md"), encoding: .utf8)
        for name in declared { #expect(docs.contains("| `\(name)` |"), "docs/ci/README.md does not document input \(name)") }
    }

    @Test func preCommitHooksMatchSpecFilesOnly() throws {
        let hooks = try load(".pre-commit-hooks.yaml")
        guard case .sequence(let items) = hooks.content else {
            Issue.record(".pre-commit-hooks.yaml is not a list")
            return
        }
        #expect(items.compactMap { value($0, "id")?.scalar } == ["palisade-lint", "palisade-lint-system", "palisade-check"])
        for hook in items {
            for key in ["id", "name", "entry", "language", "files", "pass_filenames"] {
                #expect(value(hook, key) != nil, "hook \(value(hook, "id")?.scalar ?? "?") lacks \(key)")
            }
            let pattern = try #require(value(hook, "files")?.scalar)
            let regex = try NSRegularExpression(pattern: pattern)
            func matches(_ path: String) -> Bool { regex.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil }
            for path in ["palisade.yaml", "specs/shop.palisade.yaml", "a/b/x.palisade.yml"] { #expect(matches(path), "\(pattern) misses \(path)") }
            for path in ["deploy/openshift/shop/manifests.yaml", "notpalisade.yaml", "palisade.yaml.bak", "x.palisade.json"] {
                #expect(!matches(path), "\(pattern) matches \(path)")
            }
        }
        #expect(value(items[0], "language")?.scalar == "swift")
        #expect(value(items[2], "pass_filenames")?.scalar == "false")
    }
}
