import IR

/// What Mesos with Marathon enforces: tasks grouped by container networks (no traffic filter),
/// the runtime controls the containerizer applies, and the master's ACLs for the neutral actions.
extension MesosBackend {
    public var capabilities: [Capability: Support] {
        [
            .workloadSegmentation: .partial, .portFiltering: .none, .externalIngress: .partial, .externalEgress: .none,
            .dnsEgress: .none, .denyRules: .none, .runtimeUser: .partial, .privileged: .partial, .readOnlyRoot: .partial,
            .noNewPrivileges: .partial, .linuxCapabilities: .partial, .seccomp: .partial, .apparmor: .partial,
            .hostNamespaces: .partial, .resourceLimits: .partial, .secrets: .none, .rbac: .partial, .imagePolicy: .none,
        ]
    }
}
