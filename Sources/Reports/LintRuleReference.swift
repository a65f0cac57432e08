import Lint

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
