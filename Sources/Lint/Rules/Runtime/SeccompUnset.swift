import IR

struct SeccompUnset: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL201", name: "seccomp-unset", category: .runtime, severity: .warning,
        summary: "a workload sets no seccomp profile",
        rationale: "Kubernetes runs pods Unconfined unless told otherwise; only some platforms apply a default profile.",
        fix: "Set `seccomp: runtime-default` (in `defaults.runtime`).",
        messages: ["unset": "{workload}: no seccomp profile: the platform's default applies, Unconfined on Kubernetes"],
        triggering: [noRuntimeExample],
        nonTriggering: [runtimeExample("seccomp: runtime-default"), runtimeExample("seccomp: localhost/profiles/app.json")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.runtime.seccomp == nil }.map {
            Self.metadata.finding("unset", workload: $0, setting: nil)
        }
    }
}
