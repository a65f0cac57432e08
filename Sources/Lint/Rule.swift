import Diagnostics
import IR

/// Everything about a rule that is data: it feeds the rule page (`docs/lint-rules.md`),
/// SARIF's `rules[]`, and the tests, which run every rule on its own examples.
public struct RuleDescription: Sendable {
    /// `PAL` and three digits; never reused.
    public var id: String
    /// kebab-case, for humans and SARIF's `name`.
    public var name: String
    public var severity: Diagnostic.Severity
    public var summary: String
    public var rationale: String
    public var fix: String
    /// Specs that trigger the rule, with `↓` where each finding is expected.
    public var triggering: [String]
    /// Specs that do not.
    public var nonTriggering: [String]
}

/// One lint rule: its description and its check.
public protocol LintRule: Sendable {
    var description: RuleDescription { get }
    func check(_ policy: Policy) -> [Finding]
}

/// What a rule found, where, and about what (a reference such as `workload:db`, matched by
/// `lint.ignore` subjects).
public struct Finding: Sendable, Hashable {
    public var rule: String
    public var severity: Diagnostic.Severity
    public var message: String
    public var range: SourceRange?
    public var subject: String

    public init(rule: String, severity: Diagnostic.Severity, message: String, range: SourceRange?, subject: String) {
        self.rule = rule
        self.severity = severity
        self.message = message
        self.range = range
        self.subject = subject
    }
}

extension RuleDescription {
    /// A finding of this rule.
    func finding(_ message: String, at range: SourceRange?, subject: String) -> Finding {
        Finding(rule: id, severity: severity, message: message, range: range, subject: subject)
    }

    /// A finding about a workload's runtime key, at the key (in the workload or in
    /// `defaults.runtime`) or at the workload when the key is unset.
    func finding(_ message: String, workload: Workload, key: String?) -> Finding {
        let range = key.flatMap { workload.runtime.origins[$0] } ?? workload.origin
        return finding("\(workload.name): \(message)", at: range, subject: "workload:\(workload.name)")
    }
}
