import IR

/// What VPC firewall rules enforce: traffic by service account, address and port, with real
/// deny rules; nothing of runtime, secrets, grants or images.
extension GCPBackend {
    public var capabilities: [Capability: Support] { firewallCapabilities(denyRules: .full) }
}
