import IR

/// What network security groups enforce: traffic by application security group, address and
/// port (SCTP only as any protocol), with real deny rules; nothing of runtime, secrets, grants
/// or images.
extension AzureBackend {
    public var capabilities: [Capability: Support] { firewallCapabilities(denyRules: .full) }
}
