import IR

/// What security groups enforce: traffic by identity, address and port (SCTP by protocol
/// only), with denies only as the absence of an allow; nothing of runtime, secrets, grants or
/// images.
extension AWSBackend {
    public var capabilities: [Capability: Support] { firewallCapabilities(denyRules: .partial) }
}
