import Diagnostics
import IR

/// A rule with a place on the rule page: its metadata is data, one value per rule.
public protocol DescribedRule: Sendable {
    static var metadata: RuleMetadata { get }
}

/// One lint rule: its metadata and its check. Each rule is one file,
/// `Sources/Lint/Rules/<Category>/<TypeName>.swift`, whose type name is the rule's name in
/// UpperCamelCase; a test holds the files, `LintRegistry` and the rule page in step.
public protocol LintRule: DescribedRule {
    func check(_ policy: Policy) -> [Finding]
}

extension LintRule {
    /// The rule's metadata, through an instance.
    public var metadata: RuleMetadata { Self.metadata }
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

extension RuleMetadata {
    /// A finding of this rule: its message `key` filled in with `values`.
    func finding(_ key: String, _ values: [String: String] = [:], at range: SourceRange?, subject: String) -> Finding {
        Finding(rule: id, severity: severity, message: message(key, values), range: range, subject: subject)
    }

    /// A finding about a workload's runtime setting, at the setting (in the workload or in
    /// `defaults.runtime`) or at the workload when the setting is unset. The message's
    /// `{workload}` is the workload's name.
    func finding(_ key: String, _ values: [String: String] = [:], workload: Workload, setting: RuntimeKey?) -> Finding {
        let range = setting.flatMap { workload.runtime.origins[$0] } ?? workload.origin
        return finding(key, values.merging(["workload": workload.name]) { own, _ in own }, at: range, subject: "workload:\(workload.name)")
    }
}
