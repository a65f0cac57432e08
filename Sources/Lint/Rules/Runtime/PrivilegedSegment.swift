import IR

struct PrivilegedSegment: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL107", name: "privileged-segment", category: .runtime, severity: .warning,
        summary: "a workload's runtime forces its whole segment to the privileged Pod Security level",
        rationale: """
            Kubernetes admits pods by namespace (Pod Security Admission): one workload that is privileged, shares a host \
            namespace, adds a capability beyond baseline's or runs unconfined takes its segment's namespace to `privileged`, \
            where any pod of the namespace is admitted unchecked, not just that workload.
            """,
        fix: "Move the workload to a segment of its own, or drop what baseline refuses.",
        messages: ["forces": "{workload}: forces segment '{segment}' to the privileged Pod Security level ({setting})"],
        triggering: [
            runtimeExample("↓privileged: true"), runtimeExample("↓host_pid: true"),
            runtimeExample("↓capabilities: {drop: [ALL], add: [SYS_TIME]}"), runtimeExample("seccomp: runtime-default, ↓apparmor: unconfined"),
        ],
        nonTriggering: [runtimeExample("capabilities: {drop: [ALL], add: [CHOWN, NET_BIND_SERVICE]}, seccomp: runtime-default, host_network: false")])

    /// Capabilities the baseline Pod Security level lets a container add.
    static let baselineCapabilities: Set<String> = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
        "SYS_CHROOT",
    ]

    /// The first setting of a runtime profile that baseline refuses.
    static func refused(_ runtime: RuntimeProfile) -> RuntimeKey? {
        if runtime.privileged == true { return .privileged }
        if runtime.hostNetwork == true { return .hostNetwork }
        if runtime.hostPID == true { return .hostPID }
        if runtime.hostIPC == true { return .hostIPC }
        if (runtime.capabilities?.add ?? []).contains(where: { !baselineCapabilities.contains($0) }) { return .capabilities }
        if runtime.seccomp == .unconfined { return .seccomp }
        if runtime.apparmor == .unconfined { return .apparmor }
        return nil
    }

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.compactMap { workload in
            guard let key = Self.refused(workload.runtime) else { return nil }
            let segment = policy.segments[workload.segment.index].name
            return Self.metadata.finding("forces", ["segment": segment, "setting": key.name], workload: workload, setting: key)
        }
    }
}
