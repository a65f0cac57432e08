import IR

struct HostNamespaces: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL106", name: "host-namespaces", category: .runtime, severity: .error,
        summary: "a workload shares the host's network, PID or IPC namespace",
        rationale: """
            Host networking bypasses every network policy; the host PID namespace shows and signals every process; \
            host IPC reads shared memory.
            """,
        fix: "Remove `host_network`, `host_pid` and `host_ipc`.",
        messages: ["shared": "{workload}: shares the host's namespace ({setting})"],
        triggering: [runtimeExample("↓host_network: true"), runtimeExample("host_network: false, ↓host_pid: true, ↓host_ipc: true")],
        nonTriggering: [runtimeExample("host_network: false, host_pid: false, host_ipc: false")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.flatMap { workload -> [Finding] in
            let runtime = workload.runtime
            return [(RuntimeKey.hostNetwork, runtime.hostNetwork), (.hostPID, runtime.hostPID), (.hostIPC, runtime.hostIPC)]
                .filter { $0.1 == true }
                .map { Self.metadata.finding("shared", ["setting": $0.0.name], workload: workload, setting: $0.0) }
        }
    }
}
