import Diagnostics
import Lint
import Reports
import Spec

/// `palisade lint`: compile each spec's front end, run the rules, build the report.
public enum LintPipeline {
    public struct Result: Sendable {
        public var run: LintRun
        /// Errors that kept a spec from being linted (the spec does not compile).
        public var diagnostics: [Diagnostic]
        public var allReadable: Bool
    }

    public static func lint(paths: [String], fileSystem: any SpecFileSystem = LocalFileSystem(), toolVersion: String) -> Result {
        var specs: [LintRun.Spec] = []
        var diagnostics: [Diagnostic] = []
        var sources = SourceFiles()
        var readable = true
        for path in paths {
            let output = SpecCompiler.compile(path: path, fileSystem: fileSystem)
            for file in output.sources.all { sources.add(file) }
            readable = readable && output.readable
            diagnostics += output.diagnostics
            guard let policy = output.policy else { continue }
            specs.append(LintRun.Spec(path: path, findings: Linter.lint(policy).findings))
        }
        return Result(run: LintRun(specs: specs, rules: LintRegistry.descriptions, sources: sources, toolVersion: toolVersion),
                      diagnostics: diagnostics, allReadable: readable)
    }
}

/// `docs/lint-rules.md`, generated from the rules' own descriptions.
public enum LintRuleReference {
    public static func markdown() -> String {
        var out = """
        # Lint rules

        Generated from the rules in `Sources/Lint/` (a test fails when this page is stale; regenerate with
        `PALISADE_UPDATE_GOLDEN=1 swift test --filter LintRuleReference`). Run them with
        `palisade lint SPEC… [--format text|json|sarif|junit] [--fail-on error|warning]`; turn one off with
        `lint: {disable: [PAL…]}`, accept one finding with `lint: {ignore: [{rule, subject, reason}]}`.

        | id | name | severity | summary |
        |---|---|---|---|

        """
        let rules = LintRegistry.descriptions
        for rule in rules {
            out += "| [\(rule.id)](#\(rule.id.lowercased())-\(rule.name)) | \(rule.name) | \(rule.severity.rawValue) | \(rule.summary) |\n"
        }
        for rule in rules {
            out += "\n## \(rule.id) \(rule.name)\n\n"
            out += "**Severity:** \(rule.severity.rawValue). \(rule.summary.prefix(1).uppercased() + rule.summary.dropFirst()).\n\n"
            out += "**Why:** \(rule.rationale)\n\n**Fix:** \(rule.fix)\n"
            if let example = rule.triggering.first {
                out += "\nTriggers (`↓` marks the finding):\n\n```yaml\n\(example)```\n"
            }
            if let example = rule.nonTriggering.first {
                out += "\nDoes not trigger:\n\n```yaml\n\(example)```\n"
            }
        }
        return out
    }
}
