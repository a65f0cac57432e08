import IR

/// Every backend, one line each. A target with no backend yet is known (so the spec may
/// name it) but compiles to nothing.
public enum BackendRegistry {
    public static let all: [any Backend] = [
        OpenShiftBackend(),
        SwarmBackend(),
        MesosBackend(),
        AWSBackend(),
        GCPBackend(),
        AzureBackend(),
        KubernetesBackend(),
        NFTablesBackend(),
    ]

    public static func backend(for target: TargetName) -> (any Backend)? {
        all.first { $0.target == target }
    }
}
