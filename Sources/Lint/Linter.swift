import Diagnostics
import IR

/// Runs every rule not disabled, drops findings a `lint.ignore` accepts, and reports the
/// ignores that matched nothing (rule PAL600, `UnmatchedIgnore`).
public enum Linter {
    public struct Result: Sendable {
        /// Findings in source order.
        public var findings: [Finding]
        public var rulesRun: [RuleMetadata]
    }

    public static func lint(_ policy: Policy, rules: [any LintRule] = LintRegistry.rules) -> Result {
        let disabled = Set(policy.lint.disable.map(\.value))
        let active = rules.filter { !disabled.contains($0.metadata.id) }
        var findings = active.flatMap { $0.check(policy) }
        var used = Set<Int>()
        findings.removeAll { finding in
            guard let index = policy.lint.ignore.firstIndex(where: { $0.rule == finding.rule && matches($0.subject, finding.subject) }) else {
                return false
            }
            used.insert(index)
            return true
        }
        if !disabled.contains(UnmatchedIgnore.metadata.id) {
            let unused = policy.lint.ignore.enumerated().filter { !used.contains($0.offset) }.map(\.element)
            findings += UnmatchedIgnore.findings(unused, known: Set(rules.map(\.metadata.id)), disabled: disabled)
        }
        findings.sort { a, b in
            switch (a.range, b.range) {
            case (let x?, let y?) where x != y: return x < y
            default: return (a.rule, a.message) < (b.rule, b.message)
            }
        }
        return Result(findings: findings, rulesRun: active.map(\.metadata))
    }

    /// `workload:db` and `db` both name workload db (a bare name is a workload, segment or network).
    static func matches(_ pattern: String, _ subject: String) -> Bool {
        if pattern == subject { return true }
        guard !pattern.contains(":"), let colon = subject.firstIndex(of: ":") else { return false }
        let kind = subject[..<colon]
        return ["workload", "segment", "network"].contains(kind) && subject[subject.index(after: colon)...] == pattern
    }
}
