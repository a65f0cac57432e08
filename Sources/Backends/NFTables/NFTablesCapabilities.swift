import IR

/// What a host firewall enforces: traffic by workload host, address and port, with real drop
/// rules; nothing of runtime, secrets, grants or images.
extension NFTablesBackend {
    public var capabilities: [Capability: Support] { firewallCapabilities(denyRules: .full) }
}
