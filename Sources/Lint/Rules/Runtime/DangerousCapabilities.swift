import IR

struct DangerousCapabilities: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL104", name: "dangerous-capabilities", category: .runtime, severity: .error,
        summary: "a workload adds a capability that amounts to control of the node (SYS_ADMIN, NET_ADMIN, SYS_PTRACE…)",
        rationale: """
            SYS_ADMIN is nearly root; NET_ADMIN rewrites the node's network; SYS_PTRACE reads other processes' memory; \
            NET_RAW forges packets.
            """,
        fix: "Drop the capability; if the workload really needs it, isolate it on dedicated nodes and record why with lint.ignore.",
        messages: ["adds": "{workload}: adds {capabilities}"],
        triggering: [runtimeExample("↓capabilities: {drop: [ALL], add: [SYS_ADMIN]}")],
        nonTriggering: [runtimeExample("capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}")])

    /// Capabilities that amount to control of the node or its network.
    static let dangerous: Set<String> = [
        "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "DAC_READ_SEARCH", "SYS_BOOT", "SYS_TIME",
        "MAC_ADMIN", "MAC_OVERRIDE", "BPF", "PERFMON", "NET_RAW", "SYSLOG",
    ]

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.compactMap { workload in
            let added = (workload.runtime.capabilities?.add ?? []).filter(Self.dangerous.contains)
            guard !added.isEmpty else { return nil }
            return Self.metadata.finding("adds", ["capabilities": added.joined(separator: ", ")], workload: workload, setting: .capabilities)
        }
    }
}
