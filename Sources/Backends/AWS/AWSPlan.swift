import Diagnostics
import IR

/// One security group rule as CloudFormation spells it.
struct SecurityGroupRule: Hashable {
    enum Peer: Hashable {
        case ipv4(String)
        case ipv6(String)
        /// Another security group, by identity index.
        case group(Int)
    }

    var proto: String
    var fromPort: Int
    var toPort: Int
    var peer: Peer

    /// The ports it opens, as a port set.
    var ports: PortSet {
        switch proto {
        case "tcp": PortSet(PortRange(.tcp, fromPort, toPort))
        case "udp": PortSet(PortRange(.udp, fromPort, toPort))
        case "132": .whole(.sctp)
        case "icmp", "icmpv6": .whole(.icmp)
        case "-1": .all
        default: PortSet()
        }
    }

    /// Whether the peer is another security group (a standalone rule resource) rather than
    /// an address range (a rule inline in its group).
    var isGroupReference: Bool {
        if case .group = peer { true } else { false }
    }

    /// The rule that keeps CloudFormation from adding its allow-all egress when a group may
    /// send nothing: ICMP type 252 code 86 to 255.255.255.255/32 matches no real traffic.
    static let sentinel = SecurityGroupRule(proto: "icmp", fromPort: 252, toPort: 86, peer: .ipv4("255.255.255.255/32"))

    var isSentinel: Bool { self == Self.sentinel }
}

/// The security groups of a policy and their rules, decided from the firewall plan: one group
/// per service identity, group-to-group rules for the identity pairs, CIDR rules for external
/// peers fitted to the quota. `planned` is what they allow.
struct AWSPlan {
    let policy: Policy
    let firewall: FirewallPlan
    let options: AWSOptions

    /// Rules by identity index.
    var ingressRules: [Int: [SecurityGroupRule]] = [:]
    var egressRules: [Int: [SecurityGroupRule]] = [:]
    /// The template's name of each identity's group (`SgOrderWorker`), by identity index.
    var logicalIDs: [String] = []
    /// The group-to-group rules, each a resource of its own, in logical id order.
    var standalone: [StandaloneRule] = []

    /// A group-to-group rule as a resource: `SgDbInFromCatalogTcp5432` is the inbound rule of
    /// `SgDb` from `SgCatalog` on tcp/5432.
    struct StandaloneRule {
        var logicalID: String
        var owner: Int
        var ingress: Bool
        var rule: SecurityGroupRule
    }

    /// CloudFormation's limit on a logical id (letters and digits).
    static let logicalIDLimit = 255

    /// Default VPC quotas (adjustable): rules per security group and direction, per address family.
    static let rulesPerGroup = 60

    init(policy: Policy, options: AWSOptions) throws {
        self.policy = policy
        self.options = options
        firewall = FirewallPlan(policy: policy, gaps: options.gaps)
        for (pair, ports) in firewall.between.sorted(by: { $0.key < $1.key }) {
            ingressRules[pair.destination, default: []] += rules(ports, peer: .group(pair.source))
            egressRules[pair.source, default: []] += rules(ports, peer: .group(pair.destination))
        }
        // CIDR rules share the group's quota with the group references already there.
        for (index, rules) in firewall.ingress {
            let budget = Self.rulesPerGroup - (ingressRules[index]?.count ?? 0)
            ingressRules[index, default: []] += external(fit(rules, budget))
        }
        for (index, rules) in firewall.egress {
            let budget = Self.rulesPerGroup - (egressRules[index]?.count ?? 0)
            egressRules[index, default: []] += external(fit(rules, budget))
        }
        try checkLimits()
        nameResources()
    }

    /// Logical ids from names alone: a group's from its identity (`SgOrderWorker`), a
    /// standalone rule's from its group, direction, peer group, protocol and ports. Ids that
    /// meet (`a-b` and `a--b` are both `SgAB`) each get a hash of what they stand for.
    mutating func nameResources() {
        var items: [(name: String, key: String)] = firewall.identities.map { ("Sg" + StableName.camel($0.name), "group|\($0.name)") }
        let groups = firewall.identities.indices.map { items[$0].name }
        var rules: [(owner: Int, ingress: Bool, rule: SecurityGroupRule)] = []
        for index in firewall.identities.indices {
            for (ingress, list) in [(true, ingressRules[index] ?? []), (false, egressRules[index] ?? [])] {
                for rule in list {
                    guard case .group(let peer) = rule.peer else { continue }
                    rules.append((index, ingress, rule))
                    let what = (ingress ? "InFrom" : "OutTo") + groups[peer].dropFirst(2) + Self.protocolWords(rule)
                    let key =
                        "rule|\(firewall.identities[index].name)|\(ingress ? "in" : "out")|\(firewall.identities[peer].name)|"
                        + "\(rule.proto)|\(rule.fromPort)|\(rule.toPort)"
                    items.append((groups[index] + what, key))
                }
            }
        }
        let names = StableName.unique(items, limit: Self.logicalIDLimit, separator: "")
        logicalIDs = Array(names.prefix(firewall.identities.count))
        standalone = zip(rules, names.dropFirst(firewall.identities.count)).map { item, name in
            StandaloneRule(logicalID: name, owner: item.owner, ingress: item.ingress, rule: item.rule)
        }.sorted { $0.logicalID < $1.logicalID }
    }

    /// A rule's protocol and ports in a logical id: `Tcp5432`, `Udp8000To8100`, `Sctp`,
    /// `Icmp`, `Icmpv6`, `All`.
    static func protocolWords(_ rule: SecurityGroupRule) -> String {
        switch rule.proto {
        case "tcp", "udp":
            let ports = rule.fromPort == rule.toPort ? "\(rule.fromPort)" : "\(rule.fromPort)To\(rule.toPort)"
            return rule.proto.prefix(1).uppercased() + rule.proto.dropFirst() + ports
        case "132": return "Sctp"
        case "icmp": return "Icmp"
        case "icmpv6": return "Icmpv6"
        case "-1": return "All"
        default: return "Proto" + rule.proto.filter { $0.isLetter || $0.isNumber }
        }
    }

    /// External rules coarsened (widen) or cut (narrow) to fit the quota.
    func fit(_ rules: ExternalRules, _ ipv4Budget: Int) -> ExternalRules {
        fitted(rules, ipv4Budget: max(ipv4Budget, 1), ipv6Budget: Self.rulesPerGroup, widen: options.gaps == .widen) { ports in
            self.rules(ports, peer: .ipv4("0.0.0.0/0")).count
        }
    }

    /// The rules for a port set towards one peer: TCP and UDP ranges exactly, SCTP only as a
    /// whole protocol (security groups filter ports for TCP and UDP only), ICMP as icmp for
    /// IPv4 and icmpv6 for IPv6.
    func rules(_ ports: PortSet, peer: SecurityGroupRule.Peer) -> [SecurityGroupRule] {
        var result: [SecurityGroupRule] = []
        for range in ports.ranges {
            switch range.proto {
            case .tcp, .udp:
                result.append(SecurityGroupRule(proto: range.proto.description, fromPort: range.lower, toPort: range.upper, peer: peer))
            case .sctp:
                if options.gaps == .narrow, !range.isWholeProtocol { continue }
                result.append(SecurityGroupRule(proto: "132", fromPort: -1, toPort: -1, peer: peer))
            case .icmp:
                if case .ipv6 = peer {} else { result.append(SecurityGroupRule(proto: "icmp", fromPort: -1, toPort: -1, peer: peer)) }
                if case .ipv4 = peer {} else { result.append(SecurityGroupRule(proto: "icmpv6", fromPort: -1, toPort: -1, peer: peer)) }
            }
        }
        return Array(Set(result)).sorted { ($0.proto, $0.fromPort, $0.toPort, "\($0.peer)") < ($1.proto, $1.fromPort, $1.toPort, "\($1.peer)") }
    }

    func external(_ rules: ExternalRules) -> [SecurityGroupRule] {
        rules.entries.flatMap { entry in
            entry.peers.addresses.cidrs.flatMap { cidr in
                self.rules(entry.ports, peer: cidr.isIPv4 ? .ipv4(cidr.description) : .ipv6(cidr.description))
            }
        }
    }

    /// What the rules allow, by the semantics the reader applies to the file.
    var planned: Relation {
        AWSReader.relation(plan: firewall, ingress: ingressRules, egress: egressRules)
    }

    /// A located error for the first group that needs more rules than the quota, per
    /// direction and address family.
    func checkLimits() throws {
        for (index, identity) in firewall.identities.enumerated() {
            for (direction, rules) in [("inbound", ingressRules[index] ?? []), ("outbound", egressRules[index] ?? [])] {
                let ipv6 = rules.filter { if case .ipv6 = $0.peer { true } else { false } }.count
                let ipv4 = rules.count - ipv6
                for (family, count) in [("IPv4", ipv4), ("IPv6", ipv6)] where count > Self.rulesPerGroup {
                    let origin = policy.identities.first { $0.name == identity.name }?.origin ?? options.origin
                    throw BackendError(
                        .error(
                            .targetLimit,
                            "aws: security group of identity '\(identity.name)' needs \(count) \(direction) \(family) rules; "
                                + "a security group holds \(Self.rulesPerGroup) (the default VPC quota)",
                            at: origin, help: "merge its peers into fewer, wider ranges, or give its workloads separate identities"))
                }
            }
        }
    }
}
