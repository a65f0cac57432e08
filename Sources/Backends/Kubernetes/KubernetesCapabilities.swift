import IR

/// What Kubernetes enforces: namespaces and NetworkPolicies (no ICMP, no names, no
/// host-network pods), security contexts admitted by Pod Security Admission (AppArmor through
/// the 1.30 field), secrets and RBAC, image policy by a ValidatingAdmissionPolicy; no PID
/// limit per pod.
extension KubernetesBackend {
    public var capabilities: [Capability: Support] {
        [
            .workloadSegmentation: .full, .portFiltering: .partial, .externalIngress: .partial, .externalEgress: .full,
            .dnsEgress: .none, .denyRules: .partial, .runtimeUser: .full, .privileged: .full, .readOnlyRoot: .full,
            .noNewPrivileges: .full, .linuxCapabilities: .full, .seccomp: .full, .apparmor: .full,
            .hostNamespaces: .full, .resourceLimits: .partial, .secrets: .full, .rbac: .full, .imagePolicy: .full,
        ]
    }
}
