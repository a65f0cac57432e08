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
    /// Names external peers after the spec's networks.
    let peerNamer: PeerNamer
    /// Rules per segment NSG, priorities assigned, in segment order.
    private(set) var rulesBySegment: [(segment: String, rules: [Rule])] = []

    /// Azure's limits: rules per NSG, priorities, prefixes per rule side, ASGs per rule side.
    static let rulesPerGroup = 1000
    static let lowestPriority = 4096
    static let firstPriority = 100
    static let prefixesPerSide = 4000
    /// Application security groups referenced across all the rules of one NSG.
    static let groupsPerNSG = 100

    /// Azure's limit on the name of a resource (NSG, ASG) and of a security rule.
    static let nameLimit = 80

    init(policy: Policy, options: AzureOptions) throws {
        self.policy = policy
        self.options = options
        firewall = FirewallPlan(policy: policy, gaps: options.gaps)
        peerNamer = PeerNamer(policy)
        let pairs = firewall.between.sorted { $0.key < $1.key }
        for segment in policy.segments {
            let here = Set(segment.workloads.compactMap { firewall.identityOf[$0] })
            rulesBySegment.append((segment.name, numbered(inbound: inboundRules(here, pairs), outbound: outboundRules(here, pairs))))
        }
        try checkLimits()
    }

    /// The application security group of an identity.
    func asg(_ index: Int) -> String { Self.asg(firewall.identities[index], policy: policy) }

    /// `asg-POLICY-IDENTITY`, shortened with a hash beyond Azure's 80 characters.
    static func asg(_ identity: FirewallPlan.Identity, policy: Policy) -> String {
        StableName.fitted("asg-\(policy.name)-\(identity.name)", limit: nameLimit)
    }

    /// `nsg-POLICY-SEGMENT`, shortened with a hash beyond Azure's 80 characters.
    static func nsg(_ segment: String, policy: Policy) -> String {
        StableName.fitted("nsg-\(policy.name)-\(segment)", limit: nameLimit)
    }

    /// An allow rule, named (`allow-in-db-from-catalog-tcp`) but not yet given its priority.
    func allow(
        _ direction: Rule.Direction, _ name: String, _ proto: Rule.NSGProtocol, _ ports: [String], description: String
    ) -> Rule {
        Rule(name: name, direction: direction, access: .allow, priority: 0, proto: proto, ports: ports, description: description)
    }

    /// How a rule's name says its protocol: SCTP is the only traffic an any-protocol allow carries.
    static func protocolWord(_ proto: Rule.NSGProtocol) -> String {
        switch proto {
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        case .any: "sctp"
        }
    }

    /// A suffix for the parts of a prefix list longer than one rule side holds: none for the
    /// first, `-N` for the others (numbers only where Azure's limit forces them).
    static func part(_ number: Int) -> String { number == 0 ? "" : "-\(number + 1)" }

    /// Allows into the identities of a segment (`pairs`: the identity pairs, sorted): from the
    /// identities the intent lets in, and from external prefixes.
    func inboundRules(_ here: Set<Int>, _ pairs: [(key: FirewallPlan.Pair, value: PortSet)]) -> [Rule] {
        var rules: [Rule] = []
        for (pair, ports) in pairs where here.contains(pair.destination) {
            let (source, destination) = (firewall.identities[pair.source].name, firewall.identities[pair.destination].name)
            for (proto, list) in Self.protocols(ports, gaps: options.gaps) {
                var rule = allow(.inbound, "allow-in-\(destination)-from-\(source)-\(Self.protocolWord(proto))", proto, list, description: describe(pair))
                rule.sourceGroups = [asg(pair.source)]
                rule.destinationGroups = [asg(pair.destination)]
                rules.append(rule)
            }
        }
        for index in here.sorted() {
            let identity = firewall.identities[index].name
            for peer in peerNamer.peers(firewall.ingress[index]?.entries ?? []) {
                for (proto, list) in Self.protocols(peer.ports, gaps: options.gaps) {
                    for (number, prefixes) in Self.chunks(peer.addresses.cidrs.map(\.description)).enumerated() {
                        var rule = allow(
                            .inbound, "allow-in-\(identity)-from-\(peer.slug)-\(Self.protocolWord(proto))\(Self.part(number))", proto, list,
                            description: "\(peer.words) to \(identity)")
                        rule.sourcePrefixes = prefixes
                        rule.destinationGroups = [asg(index)]
                        rules.append(rule)
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
            let (source, destination) = (firewall.identities[pair.source].name, firewall.identities[pair.destination].name)
            for (proto, list) in Self.protocols(ports, gaps: options.gaps) {
                var rule = allow(.outbound, "allow-out-\(source)-to-\(destination)-\(Self.protocolWord(proto))", proto, list, description: describe(pair))
                rule.sourceGroups = [asg(pair.source)]
                rule.destinationGroups = [asg(pair.destination)]
                rules.append(rule)
            }
        }
        for index in here.sorted() {
            let identity = firewall.identities[index].name
            for peer in peerNamer.peers(firewall.egress[index]?.entries ?? []) {
                for (proto, list) in Self.protocols(peer.ports, gaps: options.gaps) {
                    for (number, prefixes) in Self.chunks(peer.addresses.cidrs.map(\.description)).enumerated() {
                        var rule = allow(
                            .outbound, "allow-out-\(identity)-to-\(peer.slug)-\(Self.protocolWord(proto))\(Self.part(number))", proto, list,
                            description: "\(identity) to \(peer.words)")
                        rule.sourceGroups = [asg(index)]
                        rule.destinationPrefixes = prefixes
                        rules.append(rule)
                    }
                }
            }
        }
        return rules
    }

    func describe(_ pair: FirewallPlan.Pair) -> String {
        "\(firewall.identities[pair.source].name) to \(firewall.identities[pair.destination].name)"
    }

    /// The allows of each direction, names made unique (by a hash of what a rule matches,
    /// where two names meet) and fitted to Azure's 80 characters, each given a priority that
    /// depends on its name alone (`priorities`); then the denies that close the NSG, since
    /// Azure allows VNet traffic both ways and Internet egress by default. In name order.
    func numbered(inbound: [Rule], outbound: [Rule]) -> [Rule] {
        var rules: [Rule] = []
        for list in [inbound, outbound] {
            let names = StableName.unique(list.map { ($0.name, Self.key($0)) }, limit: Self.nameLimit)
            let priorities = Self.priorities(names)
            for (index, var rule) in list.enumerated() {
                rule.name = names[index]
                rule.priority = priorities[index]
                rules.append(rule)
            }
        }
        rules.sort { $0.name < $1.name }
        for direction in [Rule.Direction.inbound, .outbound] {
            rules.append(
                Rule(
                    name: "deny-all-\(direction.rawValue.lowercased())", direction: direction, access: .deny, priority: Self.lowestPriority,
                    proto: .any, ports: ["*"], sourcePrefixes: ["*"], destinationPrefixes: ["*"], description: "default deny"))
        }
        return rules
    }

    /// What a rule matches, to tell apart two rules whose names meet.
    static func key(_ rule: Rule) -> String {
        [
            rule.direction.rawValue, rule.proto.rawValue, rule.ports.joined(separator: ","), rule.sourceGroups.joined(separator: ","),
            rule.sourcePrefixes.joined(separator: ","), rule.destinationGroups.joined(separator: ","), rule.destinationPrefixes.joined(separator: ","),
        ]
        .joined(separator: "|")
    }

    /// Priorities for the allows of one direction of an NSG, from their names alone: each
    /// rule's own slot in 100...4095 from a hash of its name, or when an earlier name (in name
    /// order) holds it, the next free one. The allows never overlap a deny, so their order
    /// decides nothing; what a priority must be is unique, and the same from one compile to
    /// the next while the rule is.
    static func priorities(_ names: [String]) -> [Int] {
        let slots = lowestPriority - firstPriority
        var taken = Set<Int>()
        var result = [Int](repeating: 0, count: names.count)
        for index in names.indices.sorted(by: { names[$0] < names[$1] }) {
            // Beyond the slots the NSG is far over its rule limit, which `checkLimits` reports.
            guard taken.count < slots else {
                result[index] = lowestPriority
                continue
            }
            var slot = Int(StableName.hash(names[index]) % UInt64(slots))
            while taken.contains(slot) { slot = (slot + 1) % slots }
            taken.insert(slot)
            result[index] = firstPriority + slot
        }
        return result
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
            throw BackendError(
                .error(
                    .targetLimit, "azure: the network security group of segment '\(segment)' needs \(rules.count) rules; an NSG holds \(Self.rulesPerGroup)",
                    at: origin(segment), help: "split the segment"))
        }
        for (segment, rules) in rulesBySegment {
            let groups = Set(rules.flatMap { $0.sourceGroups + $0.destinationGroups })
            guard groups.count <= Self.groupsPerNSG else {
                throw BackendError(
                    .error(
                        .targetLimit,
                        "azure: the rules of segment '\(segment)' name \(groups.count) application security groups; an NSG's rules may name "
                            + "\(Self.groupsPerNSG)",
                        at: origin(segment), help: "split the segment, or let its workloads share fewer service identities' peers"))
            }
        }
    }
}
