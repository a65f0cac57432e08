import IR

struct ApparmorUnset: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL202", name: "apparmor-unset", category: .runtime, severity: .note,
        summary: "a workload sets no AppArmor profile",
        rationale: "Where AppArmor is enabled, only an explicit profile makes every platform confine the workload the same way.",
        fix: "Set `apparmor: runtime-default` (in `defaults.runtime`).",
        messages: ["unset": "{workload}: no AppArmor profile: the platform's default applies"],
        triggering: [noRuntimeExample],
        nonTriggering: [runtimeExample("apparmor: runtime-default")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.runtime.apparmor == nil }.map {
            Self.metadata.finding("unset", workload: $0, setting: nil)
        }
    }
}
