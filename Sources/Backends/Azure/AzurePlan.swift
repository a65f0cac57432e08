import Diagnostics
import IR

/// The security rules of a policy, decided from the firewall plan: an application security
/// group per service identity, and per segment an NSG whose allows carry the flows into and
/// out of its identities, closed by explicit denies at the lowest priority.
struct AzurePlan {
    /// One NSG security rule; each side is application security groups or address prefixes.
    struct Rule {
        enum Direction: String {
            case inbound = "Inbound"
            case outbound = "Outbound"
        }

        enum Access: String {
            case allow = "Allow"
            case deny = "Deny"
        }

        /// The protocols an NSG rule names; `*` is any protocol.
        enum NSGProtocol: String {
            case tcp = "Tcp"
            case udp = "Udp"
            case icmp = "Icmp"
            case any = "*"
        }

        var name: String
        var direction: Direction
        var access: Access
        var priority: Int
        var proto: NSGProtocol
        /// Destination ports as NSGs spell them: `*`, `443`, `8000-8010`.
        var ports: [String]
        var sourceGroups: [String] = []
        var sourcePrefixes: [String] = []
        var destinationGroups: [String] = []
        var destinationPrefixes: [String] = []
        var description: String
    }

    let policy: Policy
    let firewall: FirewallPlan
    let options: AzureOptions
    /// Rules per segment NSG, priorities assigned, in segment order.
    private(set) var rulesBySegment: [(segment: String, rules: [Rule])] = []

    /// Azure's limits: rules per NSG, priorities, prefixes per rule side, ASGs per rule side.
    static let rulesPerGroup = 1000
    static let lowestPriority = 4096
    static let firstPriority = 100
    static let prefixesPerSide = 4000
    /// Application security groups referenced across all the rules of one NSG.
    static let groupsPerNSG = 100

    init(policy: Policy, options: AzureOptions) throws {
        self.policy = policy
        self.options = options
        firewall = FirewallPlan(policy: policy, gaps: options.gaps)
        let pairs = firewall.between.sorted { $0.key < $1.key }
        for segment in policy.segments {
            let here = Set(segment.workloads.compactMap { firewall.identityOf[$0] })
            rulesBySegment.append((segment.name, numbered(inbound: inboundRules(here, pairs), outbound: outboundRules(here, pairs))))
        }
        try checkLimits()
    }

    /// The application security group of an identity.
    func asg(_ index: Int) -> String { Self.asg(firewall.identities[index], policy: policy) }

    static func asg(_ identity: FirewallPlan.Identity, policy: Policy) -> String { "asg-\(policy.name)-\(identity.name)" }

    /// Allows into the identities of a segment (`pairs`: the identity pairs, sorted): from the
    /// identities the intent lets in, and from external prefixes.
    func inboundRules(_ here: Set<Int>, _ pairs: [(key: FirewallPlan.Pair, value: PortSet)]) -> [Rule] {
        var rules: [Rule] = []
        for (pair, ports) in pairs where here.contains(pair.destination) {
            for (proto, list) in Self.protocols(ports, gaps: options.gaps) {
                rules.append(Rule(name: "", direction: .inbound, access: .allow, priority: 0, proto: proto, ports: list,
                                  sourceGroups: [asg(pair.source)], destinationGroups: [asg(pair.destination)], description: describe(pair)))
            }
        }
        for index in here.sorted() {
            for entry in firewall.ingress[index]?.entries ?? [] {
                for (proto, list) in Self.protocols(entry.ports, gaps: options.gaps) {
                    for prefixes in Self.chunks(entry.peers.addresses.cidrs.map(\.description)) {
                        rules.append(Rule(name: "", direction: .inbound, access: .allow, priority: 0, proto: proto, ports: list,
                                          sourcePrefixes: prefixes, destinationGroups: [asg(index)],
                                          description: "external to \(firewall.identities[index].name)"))
                    }
                }
            }
        }
        return rules
    }

    /// Allows out of the identities of a segment: to the identities the intent lets them
    /// reach, and to external prefixes.
    func outboundRules(_ here: Set<Int>, _ pairs: [(key: FirewallPlan.Pair, value: PortSet)]) -> [Rule] {
        var rules: [Rule] = []
        for (pair, ports) in pairs where here.contains(pair.source) {
            for (proto, list) in Self.protocols(ports, gaps: options.gaps) {
                rules.append(Rule(name: "", direction: .outbound, access: .allow, priority: 0, proto: proto, ports: list,
                                  sourceGroups: [asg(pair.source)], destinationGroups: [asg(pair.destination)], description: describe(pair)))
            }
        }
        for index in here.sorted() {
            for entry in firewall.egress[index]?.entries ?? [] {
                for (proto, list) in Self.protocols(entry.ports, gaps: options.gaps) {
                    for prefixes in Self.chunks(entry.peers.addresses.cidrs.map(\.description)) {
                        rules.append(Rule(name: "", direction: .outbound, access: .allow, priority: 0, proto: proto, ports: list,
                                          sourceGroups: [asg(index)], destinationPrefixes: prefixes,
                                          description: "\(firewall.identities[index].name) to external"))
                    }
                }
            }
        }
        return rules
    }

    func describe(_ pair: FirewallPlan.Pair) -> String {
        "\(firewall.identities[pair.source].name) to \(firewall.identities[pair.destination].name)"
    }

    /// The allows named and given priorities in order per direction, then the denies that
    /// close the NSG: Azure allows VNet traffic both ways and Internet egress by default.
    func numbered(inbound: [Rule], outbound: [Rule]) -> [Rule] {
        var rules: [Rule] = []
        for (direction, list) in [("in", inbound), ("out", outbound)] {
            for (offset, var rule) in list.enumerated() {
                rule.priority = Self.firstPriority + offset
                rule.name = "allow-\(direction)-\(offset + 1)"
                rules.append(rule)
            }
        }
        for direction in [Rule.Direction.inbound, .outbound] {
            rules.append(Rule(name: "deny-all-\(direction.rawValue.lowercased())", direction: direction, access: .deny, priority: Self.lowestPriority,
                              proto: .any, ports: ["*"], sourcePrefixes: ["*"], destinationPrefixes: ["*"], description: "default deny"))
        }
        return rules
    }

    /// Protocol and port lists for a port set: Tcp and Udp with their ranges, Icmp whole; SCTP
    /// has no NSG protocol, so it is any protocol on its ports (widen) or nothing (narrow).
    static func protocols(_ ports: PortSet, gaps: GapPolicy) -> [(Rule.NSGProtocol, [String])] {
        var result: [(Rule.NSGProtocol, [String])] = []
        for proto in ports.protocols {
            let ranges = ports.ranges.filter { $0.proto == proto }
            let list = ranges.map { $0.isWholeProtocol ? "*" : $0.lower == $0.upper ? "\($0.lower)" : "\($0.lower)-\($0.upper)" }
            switch proto {
            case .tcp: result.append((.tcp, list))
            case .udp: result.append((.udp, list))
            case .icmp: result.append((.icmp, ["*"]))
            case .sctp: if gaps == .widen { result.append((.any, list)) }
            }
        }
        return result
    }

    /// Prefixes cut to what one rule side holds.
    static func chunks(_ prefixes: [String]) -> [[String]] {
        stride(from: 0, to: prefixes.count, by: prefixesPerSide).map { Array(prefixes[$0..<min(prefixes.count, $0 + prefixesPerSide)]) }
    }

    /// A located error for the first NSG with more rules than Azure takes, then for the first
    /// whose rules name more application security groups than it takes.
    func checkLimits() throws {
        let origin = { (segment: String) in self.policy.segments.first { $0.name == segment }?.origin ?? self.options.origin }
        for (segment, rules) in rulesBySegment where rules.count > Self.rulesPerGroup {
            throw BackendError(.error(
                .targetLimit, "azure: the network security group of segment '\(segment)' needs \(rules.count) rules; an NSG holds \(Self.rulesPerGroup)",
                at: origin(segment), help: "split the segment"))
        }
        for (segment, rules) in rulesBySegment {
            let groups = Set(rules.flatMap { $0.sourceGroups + $0.destinationGroups })
            guard groups.count <= Self.groupsPerNSG else {
                throw BackendError(.error(
                    .targetLimit,
                    "azure: the rules of segment '\(segment)' name \(groups.count) application security groups; an NSG's rules may name \(Self.groupsPerNSG)",
                    at: origin(segment), help: "split the segment, or let its workloads share fewer service identities' peers"))
            }
        }
    }
}
