import IR

struct PrivilegeEscalation: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL103", name: "privilege-escalation", category: .runtime, severity: .warning,
        summary: "a workload may gain privileges (setuid binaries, file capabilities)",
        rationale: "Without no_new_privileges a process can become more privileged than it started, through setuid or file capabilities.",
        fix: "Set `no_new_privileges: true` (in `defaults.runtime` for every workload).",
        messages: ["allowed": "{workload}: privilege escalation is allowed (no_new_privileges is not true)"],
        triggering: [runtimeExample("↓no_new_privileges: false"), noRuntimeExample],
        nonTriggering: [runtimeExample("no_new_privileges: true")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.runtime.noNewPrivileges != true }.map { workload in
            Self.metadata.finding("allowed", workload: workload, setting: workload.runtime.noNewPrivileges == nil ? nil : .noNewPrivileges)
        }
    }
}
