import Diagnostics
import IR

/// Runs every rule not disabled, drops findings a `lint.ignore` accepts, and reports the
/// ignores that matched nothing (rule PAL600).
public enum Linter {
    public struct Result: Sendable {
        /// Findings in source order.
        public var findings: [Finding]
        public var rulesRun: [RuleDescription]
    }

    public static func lint(_ policy: Policy, rules: [any LintRule] = LintRegistry.rules) -> Result {
        let disabled = Set(policy.lint.disable.map(\.value))
        let active = rules.filter { !disabled.contains($0.description.id) }
        var findings = active.flatMap { $0.check(policy) }
        var used = Set<Int>()
        findings.removeAll { finding in
            guard let index = policy.lint.ignore.firstIndex(where: { $0.rule == finding.rule && matches($0.subject, finding.subject) }) else {
                return false
            }
            used.insert(index)
            return true
        }
        if !disabled.contains(UnmatchedIgnore.id) {
            for (index, ignore) in policy.lint.ignore.enumerated() where !used.contains(index) {
                let known = rules.contains { $0.description.id == ignore.rule }
                let why = !known ? "no rule \(ignore.rule) exists" : disabled.contains(ignore.rule) ? "\(ignore.rule) is disabled" : "\(ignore.rule) finds nothing about '\(ignore.subject)'"
                findings.append(Finding(rule: UnmatchedIgnore.id, severity: .warning, message: "lint ignore matches nothing: \(why)", range: ignore.origin, subject: ignore.subject))
            }
        }
        findings.sort { a, b in
            switch (a.range, b.range) {
            case let (x?, y?) where x != y: return x < y
            default: return (a.rule, a.message) < (b.rule, b.message)
            }
        }
        return Result(findings: findings, rulesRun: active.map(\.description))
    }

    /// `workload:db` and `db` both name workload db (a bare name is a workload, segment or network).
    static func matches(_ pattern: String, _ subject: String) -> Bool {
        if pattern == subject { return true }
        guard !pattern.contains(":"), let colon = subject.firstIndex(of: ":") else { return false }
        let kind = subject[..<colon]
        return ["workload", "segment", "network"].contains(kind) && subject[subject.index(after: colon)...] == pattern
    }
}

/// The rule the linter itself raises for ignores that match no finding.
public enum UnmatchedIgnore {
    public static let id = "PAL600"
    public static let description = RuleDescription(
        id: id, name: "unmatched-ignore", severity: .warning,
        summary: "a lint.ignore entry matches no finding",
        rationale: "An ignore that matches nothing is stale: the finding was fixed, or the subject or rule is misspelled, and it could hide a future finding.",
        fix: "Remove the ignore, or correct its rule or subject.",
        triggering: [], nonTriggering: [])
}
