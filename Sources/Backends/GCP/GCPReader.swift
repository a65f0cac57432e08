import IR
import YAML

/// Reads `firewall-rules.json` back, from the file alone, into what VPC firewall rules allow
/// (see `relation`).
struct GCPReader {
    typealias Rule = GCPPlan.Rule

    let policy: Policy
    let files: [OutputFile]
    /// The options of the policy's `gcp` target: how service accounts are named, and the
    /// internal ranges.
    let options: GCPOptions

    /// The file it reads.
    static let file = GCPEmitter.file

    func read() throws -> ReadBack {
        ReadBack(relation: Self.relation(try parse(), plan: FirewallPlan(policy: policy, gaps: .widen), options: options, policy: policy))
    }

    /// The rules of the file, by priority, for `explain`.
    func views() throws -> [FirewallRuleView] {
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        let identityByAccount = Self.identities(plan, options: options, policy: policy)
        let ordered = try parse().sorted { ($0.priority, $0.action == .allow ? 1 : 0) < ($1.priority, $1.action == .allow ? 1 : 0) }
        return ordered.map { rule in
            let inbound = rule.direction == .ingress
            return FirewallRuleView(
                name: "firewall rule \(rule.name) (priority \(rule.priority))", inbound: inbound, allow: rule.action == .allow,
                owners: Set(rule.targetServiceAccounts.compactMap { identityByAccount[$0] }),
                peers: Set(rule.sourceServiceAccounts.compactMap { identityByAccount[$0] }),
                addresses: Self.addresses(inbound ? rule.sourceRanges : rule.destinationRanges), ports: Self.portSet(rule.matches),
                group: rule.direction.rawValue)
        }
    }

    // MARK: Semantics

    /// The identity index of each service account.
    static func identities(_ plan: FirewallPlan, options: GCPOptions, policy: Policy) -> [String: Int] {
        var indexByAccount: [String: Int] = [:]
        for (index, identity) in plan.identities.enumerated() { indexByAccount[options.serviceAccount(identity.name, policy: policy)] = index }
        return indexByAccount
    }

    /// What rules allow: an ingress connection between identities needs an allow for the
    /// source's service account on the target's, and an egress allow from the source towards
    /// every internal range on those ports (ahead of any deny); external ingress is the allows
    /// from source ranges; egress is the allows ahead of the identity's denies, or everything
    /// when nothing denies it (GCP's implied allow).
    static func relation(_ rules: [Rule], plan: FirewallPlan, options: GCPOptions, policy: Policy) -> Relation {
        groupedRelation(rules, plan: plan, options: options, policy: policy).expanded
    }

    /// The same relation at identity level (`FirewallPlan.groupedRelation`).
    static func groupedRelation(_ rules: [Rule], plan: FirewallPlan, options: GCPOptions, policy: Policy) -> GroupedRelation {
        let indexByAccount = identities(plan, options: options, policy: policy)
        let vpcRanges = options.internalRanges.reduce(AddressSet()) { $0.union($1.addressSet) }
        var between: [FirewallPlan.Pair: PortSet] = [:]
        var ingress: [Int: [ExternalRules.Entry]] = [:]
        var egress: [Int: [ExternalRules.Entry]] = [:]
        var internalOut: [Int: PortSet] = [:]
        // Egress allows that reach some of the internal ranges but not all: together they may.
        var partlyInside: [Int: [(ports: PortSet, addresses: AddressSet)]] = [:]
        // Many rules name the same ranges and ports (the internal ranges, an external network,
        // a service's ports): each list is parsed once.
        var addressCache: [[String]: AddressSet] = [:]
        var parser = AddressRanges()
        func addresses(_ ranges: [String]) -> AddressSet {
            if let known = addressCache[ranges] { return known }
            let parsed = parser.addresses(ranges)
            addressCache[ranges] = parsed
            return parsed
        }
        var portCache: [[Rule.Match]: PortSet] = [:]
        func portSet(_ matches: [Rule.Match]) -> PortSet {
            if let known = portCache[matches] { return known }
            let parsed = Self.portSet(matches)
            portCache[matches] = parsed
            return parsed
        }
        var denyAt: [Int: Int] = [:]
        for rule in rules where rule.direction == .egress && rule.action == .deny && Set(rule.destinationRanges) == ["0.0.0.0/0"] {
            for target in rule.targetServiceAccounts { if let index = indexByAccount[target] { denyAt[index] = rule.priority } }
        }
        for rule in rules where rule.action == .allow {
            let ports = portSet(rule.matches)
            let targets = rule.targetServiceAccounts.compactMap { indexByAccount[$0] }
            switch rule.direction {
            case .ingress:
                for target in targets {
                    for source in rule.sourceServiceAccounts.compactMap({ indexByAccount[$0] }) {
                        between[FirewallPlan.Pair(source: source, destination: target), default: PortSet()].formUnion(ports)
                    }
                    let peers = addresses(rule.sourceRanges)
                    if !peers.isEmpty { ingress[target, default: []].append(.init(ports: ports, peers: ExternalSet(addresses: peers))) }
                }
            case .egress:
                let peers = addresses(rule.destinationRanges)
                for target in targets where rule.priority < (denyAt[target] ?? Int.max) {
                    egress[target, default: []].append(.init(ports: ports, peers: ExternalSet(addresses: peers)))
                    if vpcRanges.isSubset(of: peers) {
                        internalOut[target, default: PortSet()].formUnion(ports)
                    } else {
                        let inside = peers.intersection(vpcRanges)
                        if !inside.isEmpty { partlyInside[target, default: []].append((ports, inside)) }
                    }
                }
            }
        }
        for (target, entries) in partlyInside {
            internalOut[target, default: PortSet()].formUnion(coveredPorts(entries, inside: vpcRanges))
        }
        for index in plan.identities.indices where denyAt[index] == nil {
            egress[index] = [.init(ports: .all, peers: ExternalSet(addresses: .all))]
            internalOut[index] = .all
        }
        for (pair, inbound) in between {
            between[pair] = inbound.intersection(internalOut[pair.source] ?? PortSet())
        }
        return plan.groupedRelation(
            between: between,
            ingress: ingress.mapValues { ExternalRules(entries: $0) },
            egress: egress.mapValues { ExternalRules(entries: $0) })
    }

    /// The ports on which allows together reach every address of `inside`, each allow
    /// holding some of it (a rule split by ranges, or several peers that tile the ranges):
    /// allows with the same ports first join their addresses; then each stretch of ports
    /// between the allows' edges is covered when the allows holding it cover `inside`.
    static func coveredPorts(_ entries: [(ports: PortSet, addresses: AddressSet)], inside: AddressSet) -> PortSet {
        var byPorts: [PortSet: AddressSet] = [:]
        for entry in entries { byPorts[entry.ports] = (byPorts[entry.ports] ?? AddressSet()).union(entry.addresses) }
        var covered = PortSet()
        for (ports, addresses) in byPorts where inside.isSubset(of: addresses) { covered.formUnion(ports) }
        let groups = byPorts.filter { !$0.key.isSubset(of: covered) }
        guard groups.count > 1 else { return covered }
        var edges = Set<UInt32>()
        for ports in groups.keys {
            for interval in ports.keys.intervals {
                edges.insert(interval.lower)
                if interval.upper < .max { edges.insert(interval.upper + 1) }
            }
        }
        let sorted = edges.sorted()
        for (index, lower) in sorted.enumerated() {
            let upper = index + 1 < sorted.count ? sorted[index + 1] - 1 : UInt32.max
            let holding = groups.filter { $0.key.keys.contains(lower) }
            guard holding.count > 1 else { continue }
            if inside.isSubset(of: holding.values.reduce(AddressSet()) { $0.union($1) }) {
                covered.formUnion(PortSet(keys: IntervalSet(lower: lower, upper: upper)))
            }
        }
        return covered
    }

    static func portSet(_ matches: [Rule.Match]) -> PortSet {
        var result = PortSet()
        for match in matches {
            let proto: TransportProtocol
            switch match.proto {
            case .all:
                result.formUnion(.all)
                continue
            case .icmp, .icmpv6:
                result.formUnion(.whole(.icmp))
                continue
            case .other:
                continue
            case .tcp: proto = .tcp
            case .udp: proto = .udp
            case .sctp: proto = .sctp
            }
            if match.ports.isEmpty { result.formUnion(.whole(proto)) }
            for text in match.ports {
                let bounds = text.split(separator: "-").compactMap { Int($0) }
                if let low = bounds.first, let high = bounds.last { result.formUnion(PortSet(PortRange(proto, low, high))) }
            }
        }
        return result
    }

    static func addresses(_ ranges: [String]) -> AddressSet {
        var parser = AddressRanges()
        return parser.addresses(ranges)
    }

    // MARK: Parsing

    func parse() throws -> [Rule] {
        let terraform = files.first { $0.path == GCPTerraformEmitter.file }
        if options.format == .terraform || (terraform != nil && !files.contains { $0.path == Self.file }) {
            return try GCPTerraformReader(file: try files.required(GCPTerraformEmitter.file), project: options.project ?? policy.name).rules()
        }
        guard case .sequence(let items) = try files.required(Self.file).document().content else {
            throw ReadFailure(Self.file, "not a JSON array")
        }
        return try items.map(rule)
    }

    func rule(_ item: YAMLNode) throws -> Rule {
        func strings(_ node: YAMLNode?) -> [String] {
            guard let node, case .sequence(let values) = node.content else { return [] }
            return values.compactMap(\.scalar)
        }
        guard let name = item["name"]?.scalar else { throw ReadFailure(Self.file, "a rule without a name") }
        let allowed = item["allowed"]
        guard case .sequence(let entries)? = (allowed ?? item["denied"])?.content else { throw ReadFailure(Self.file, "\(name): no allowed or denied") }
        // GCP's default direction is INGRESS.
        let directionText = item["direction"]?.scalar ?? Rule.Direction.ingress.rawValue
        guard let direction = Rule.Direction(rawValue: directionText) else {
            throw ReadFailure(Self.file, "\(name): direction '\(directionText)' is neither INGRESS nor EGRESS")
        }
        return Rule(
            name: name, description: item["description"]?.scalar ?? "", network: item["network"]?.scalar ?? "",
            direction: direction, priority: item["priority"]?.scalar.flatMap { Int($0) } ?? GCPPlan.allowPriority,
            action: allowed != nil ? .allow : .deny,
            matches: try entries.map { entry in
                Rule.Match(
                    proto: Rule.IPProtocol(name: entry["IPProtocol"]?.scalar ?? ""), ports: try checkedPortTexts(strings(entry["ports"]), in: Self.file))
            },
            sourceRanges: strings(item["sourceRanges"]), destinationRanges: strings(item["destinationRanges"]),
            sourceServiceAccounts: strings(item["sourceServiceAccounts"]), targetServiceAccounts: strings(item["targetServiceAccounts"]))
    }
}
