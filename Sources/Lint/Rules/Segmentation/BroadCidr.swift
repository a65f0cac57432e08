import IR

struct BroadCidr: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL407", name: "broad-cidr", category: .segmentation, severity: .warning,
        summary: "a network holds a range broader than lint.min_prefix (default /16 for IPv4, /32 for IPv6)",
        rationale: "A /8 is sixteen million addresses: usually a shortcut for a few that were not looked up.",
        fix: "List the ranges really meant, or raise lint.min_prefix deliberately.",
        messages: ["broad": "network {network} holds {cidrs}"],
        triggering: ["version: 1\nname: t\nnetworks:\n  ↓corp: [10.0.0.0/8]\nworkloads: {}\n"],
        nonTriggering: [
            "version: 1\nname: t\nnetworks:\n  corp: [10.20.0.0/16, \"2001:db8::/48\"]\nworkloads: {}\n",
            "version: 1\nname: t\nnetworks:\n  corp: [10.0.0.0/8]\nworkloads: {}\nlint: {min_prefix: {ipv4: 8}}\n",
        ])

    func check(_ policy: Policy) -> [Finding] {
        policy.networks.compactMap { network in
            let broad = network.members.addresses.cidrs.filter { cidr in
                switch cidr {
                case .v4(_, let prefix): prefix < policy.lint.minimumIPv4Prefix
                case .v6(_, let prefix): prefix < policy.lint.minimumIPv6Prefix
                }
            }
            guard !broad.isEmpty else { return nil }
            return Self.metadata.finding(
                "broad", ["network": network.name, "cidrs": broad.map(\.description).joined(separator: ", ")],
                at: network.origin, subject: "network:\(network.name)")
        }
    }
}
