import IR

/// The rule the linter itself raises for `lint.ignore` entries that match no finding; it has
/// no check of its own (`Linter` knows which ignores were used).
enum UnmatchedIgnore: DescribedRule {
    static let metadata = RuleMetadata(
        id: "PAL600", name: "unmatched-ignore", category: .hygiene, severity: .warning,
        summary: "a lint.ignore entry matches no finding",
        rationale: """
            An ignore that matches nothing is stale: the finding was fixed, or the subject or rule is misspelled, \
            and it could hide a future finding.
            """,
        fix: "Remove the ignore, or correct its rule or subject.",
        messages: [
            "unknown-rule": "lint ignore matches nothing: no rule {rule} exists",
            "disabled": "lint ignore matches nothing: {rule} is disabled",
            "no-finding": "lint ignore matches nothing: {rule} finds nothing about '{subject}'",
        ],
        triggering: [], nonTriggering: [])

    /// A finding for each ignore that matched nothing, saying why: its rule is not one of
    /// `known`, is `disabled`, or found nothing about its subject.
    static func findings(_ ignores: [LintIgnore], known: Set<String>, disabled: Set<String>) -> [Finding] {
        ignores.map { ignore in
            let key = !known.contains(ignore.rule) ? "unknown-rule" : disabled.contains(ignore.rule) ? "disabled" : "no-finding"
            return metadata.finding(key, ["rule": ignore.rule, "subject": ignore.subject], at: ignore.origin, subject: ignore.subject)
        }
    }
}
