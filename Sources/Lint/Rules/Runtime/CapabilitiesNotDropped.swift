import IR

struct CapabilitiesNotDropped: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL105", name: "capabilities-not-dropped", category: .runtime, severity: .warning,
        summary: "a workload does not drop ALL capabilities",
        rationale: "Container runtimes grant a default set (CHOWN, SETUID, NET_RAW…) most workloads never use.",
        fix: "Set `capabilities: {drop: [ALL]}` and add back only what the workload needs.",
        messages: ["kept": "{workload}: does not drop ALL capabilities"],
        triggering: [runtimeExample("↓capabilities: {drop: [NET_RAW]}"), noRuntimeExample],
        nonTriggering: [runtimeExample("capabilities: {drop: [ALL], add: [CHOWN]}")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { !($0.runtime.capabilities?.drop.contains("ALL") ?? false) }.map { workload in
            Self.metadata.finding("kept", workload: workload, setting: workload.runtime.capabilities == nil ? nil : .capabilities)
        }
    }
}
