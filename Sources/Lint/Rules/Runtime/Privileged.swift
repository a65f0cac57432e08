import IR

struct Privileged: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL101", name: "privileged", category: .runtime, severity: .error,
        summary: "a workload runs privileged",
        rationale: "A privileged container has every capability and every device of the node: escaping it is trivial.",
        fix: "Remove `privileged: true`; add only the capabilities the workload needs.",
        messages: ["privileged": "{workload}: runs privileged"],
        triggering: [runtimeExample("↓privileged: true"), runtimeExample("", defaults: "↓privileged: true")],
        nonTriggering: [runtimeExample("privileged: false"), runtimeExample("")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.runtime.privileged == true }.map {
            Self.metadata.finding("privileged", workload: $0, setting: .privileged)
        }
    }
}
