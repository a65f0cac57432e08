import IR

/// What OpenShift enforces: namespaces and NetworkPolicies (no ICMP, no host-network pods),
/// EgressFirewalls for names, SCC-admitted security contexts, secrets and RBAC; not AppArmor
/// (RHCOS uses SELinux); image policy by a ValidatingAdmissionPolicy (OpenShift 4.17 and later).
extension OpenShiftBackend {
    public var capabilities: [Capability: Support] {
        [
            .workloadSegmentation: .full, .portFiltering: .partial, .externalIngress: .partial, .externalEgress: .full,
            .dnsEgress: .partial, .denyRules: .partial, .runtimeUser: .full, .privileged: .full, .readOnlyRoot: .full,
            .noNewPrivileges: .full, .linuxCapabilities: .full, .seccomp: .full, .apparmor: .none,
            .hostNamespaces: .full, .resourceLimits: .partial, .secrets: .full, .rbac: .full, .imagePolicy: .full,
        ]
    }
}
