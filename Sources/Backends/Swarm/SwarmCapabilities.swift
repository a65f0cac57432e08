import IR

/// What Swarm enforces: segmentation by overlay networks (no port filter, no source filter on
/// published ports), the runtime keys `docker stack deploy` converts, and secrets.
extension SwarmBackend {
    public var capabilities: [Capability: Support] {
        [
            .workloadSegmentation: .partial, .portFiltering: .none, .externalIngress: .partial, .externalEgress: .partial,
            .dnsEgress: .none, .denyRules: .none, .runtimeUser: .full, .privileged: .partial, .readOnlyRoot: .full,
            .noNewPrivileges: .none, .linuxCapabilities: .full, .seccomp: .partial, .apparmor: .partial,
            .hostNamespaces: .partial, .resourceLimits: .full, .secrets: .full, .rbac: .none, .imagePolicy: .none,
        ]
    }
}
