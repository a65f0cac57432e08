import IR
import YAML

/// Reads the ARM templates back, from the files alone, into what the NSGs allow: a workload's
/// traffic passes its segment's NSG (by `palisade-segment` tag); per direction the rules are
/// tried by priority and the first match decides; without a user rule Azure's defaults apply
/// (VNet traffic and Internet egress allowed, other inbound denied). A connection between
/// workloads needs the source NSG's outbound and the destination NSG's inbound.
struct AzureReader {
    typealias Rule = AzurePlan.Rule

    let policy: Policy
    let files: [OutputFile]

    func read() throws -> ReadBack {
        ReadBack(relation: try relation())
    }

    func relation() throws -> Relation {
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        return NSGSemantics(rulesBySegment: try parse(), plan: plan, identityByASG: Self.identities(plan, policy: policy), policy: policy).relation()
    }

    /// The identity index of each application security group.
    static func identities(_ plan: FirewallPlan, policy: Policy) -> [String: Int] {
        var identityByASG: [String: Int] = [:]
        for (index, identity) in plan.identities.enumerated() { identityByASG[AzurePlan.asg(identity, policy: policy)] = index }
        return identityByASG
    }

    /// The rules of the templates by segment (Azure's default rules included), for `explain`.
    func views() throws -> [FirewallRuleView] {
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        let identityByASG = Self.identities(plan, policy: policy)
        var views: [FirewallRuleView] = []
        for (segment, rules) in try parse().sorted(by: { $0.key < $1.key }) {
            let here = Set(plan.identities.indices.filter { plan.identities[$0].segments.contains(segment) })
            let nsg = AzurePlan.nsg(segment, policy: policy)
            for rule in rules {
                let (own, peer) = (rule.ownSide, rule.peerSide)
                let addresses = peer.prefixes == ["*"] || peer.prefixes == ["Internet"] ? AddressSet.all : Self.addresses(peer.prefixes)
                views.append(
                    FirewallRuleView(
                        name: "NSG \(nsg) rule \(rule.name) (priority \(rule.priority))", inbound: rule.direction == .inbound, allow: rule.access == .allow,
                        owners: own.isWide ? here : Set(own.groups.compactMap { identityByASG[$0] }).intersection(here),
                        peers: peer.isWide ? Set(plan.identities.indices) : Set(peer.groups.compactMap { identityByASG[$0] }),
                        addresses: addresses, ports: Self.portSet(rule.proto, rule.ports), group: "\(nsg)/\(rule.direction.rawValue)"))
            }
        }
        return views
    }

    // MARK: Parsing

    /// The templates: the first, and the numbered ones of a split policy.
    func templates() throws -> [OutputFile] { try files.requiredSeries(AzureEmitter.file) }

    /// Each segment's NSG rules, Azure's default rules included, by priority.
    func parse() throws -> [String: [Rule]] {
        var rulesBySegment: [String: [Rule]] = [:]
        for file in try templates() {
            guard case .sequence(let resources)? = try file.document()["resources"]?.content else {
                throw ReadFailure(file.path, "the template has no resources")
            }
            for resource in resources where resource["type"]?.scalar == "Microsoft.Network/networkSecurityGroups" {
                guard let segment = resource["tags"]?["palisade-segment"]?.scalar else { throw ReadFailure(file.path, "an NSG without a segment tag") }
                guard case .sequence(let items)? = resource["properties"]?["securityRules"]?.content else { continue }
                rulesBySegment[segment] = (try items.map { try rule($0, in: file.path) } + Self.defaults).sorted { $0.priority < $1.priority }
            }
        }
        return rulesBySegment
    }

    func rule(_ item: YAMLNode, in file: String) throws -> Rule {
        let name = item["name"]?.scalar ?? ""
        let properties = item["properties"]
        func list(_ single: String, _ plural: String) -> [String] {
            if let value = properties?[single]?.scalar { return [value] }
            guard case .sequence(let values)? = properties?[plural]?.content else { return [] }
            return values.compactMap(\.scalar)
        }
        func groups(_ key: String) -> [String] {
            guard case .sequence(let values)? = properties?[key]?.content else { return [] }
            return values.compactMap { value in
                value["id"]?.scalar.flatMap { id in id.split(separator: "'").dropLast().last.map(String.init) }
            }
        }
        func field<Value: RawRepresentable>(_ key: String, _ what: String, default fallback: String? = nil) throws -> Value where Value.RawValue == String {
            let text = properties?[key]?.scalar ?? fallback ?? ""
            guard let value = Value(rawValue: text) else { throw ReadFailure(file, "rule \(name): \(what) '\(text)' is not one an NSG takes") }
            return value
        }
        return Rule(
            name: name, direction: try field("direction", "direction"), access: try field("access", "access"),
            priority: properties?["priority"]?.scalar.flatMap { Int($0) } ?? 0, proto: try field("protocol", "protocol", default: "*"),
            ports: try checkedPortTexts(list("destinationPortRange", "destinationPortRanges"), in: file, star: true, zeroMeansOne: true),
            sourceGroups: groups("sourceApplicationSecurityGroups"), sourcePrefixes: list("sourceAddressPrefix", "sourceAddressPrefixes"),
            destinationGroups: groups("destinationApplicationSecurityGroups"),
            destinationPrefixes: list("destinationAddressPrefix", "destinationAddressPrefixes"),
            description: "")
    }

    /// Azure's default rules, under every NSG's own (VirtualNetwork: every workload; Internet:
    /// every external address).
    static let defaults: [Rule] = [
        defaultRule("AllowVnetInBound", .inbound, .allow, 65000, from: "VirtualNetwork", to: "VirtualNetwork"),
        defaultRule("DenyAllInBound", .inbound, .deny, 65500, from: "*", to: "*"),
        defaultRule("AllowVnetOutBound", .outbound, .allow, 65000, from: "VirtualNetwork", to: "VirtualNetwork"),
        defaultRule("AllowInternetOutBound", .outbound, .allow, 65001, from: "*", to: "Internet"),
        defaultRule("DenyAllOutBound", .outbound, .deny, 65500, from: "*", to: "*"),
    ]

    static func defaultRule(_ name: String, _ direction: Rule.Direction, _ access: Rule.Access, _ priority: Int, from: String, to: String) -> Rule {
        Rule(
            name: name, direction: direction, access: access, priority: priority, proto: .any, ports: ["*"],
            sourcePrefixes: [from], destinationPrefixes: [to], description: "")
    }

    // MARK: Values

    /// The ports a rule's protocol and port list cover; `*` is every protocol.
    static func portSet(_ proto: Rule.NSGProtocol, _ ports: [String]) -> PortSet {
        let protocols: [TransportProtocol] =
            switch proto {
            case .tcp: [.tcp]
            case .udp: [.udp]
            case .icmp: [.icmp]
            case .any: [.tcp, .udp, .sctp, .icmp]
            }
        var result = PortSet()
        for proto in protocols {
            if !proto.hasPorts || ports.contains("*") {
                result.formUnion(.whole(proto))
                continue
            }
            for text in ports {
                let bounds = text.split(separator: "-").compactMap { Int($0) }
                if let low = bounds.first, let high = bounds.last { result.formUnion(PortSet(PortRange(proto, max(low, 1), high))) }
            }
        }
        return result
    }

    static func addresses(_ prefixes: [String]) -> AddressSet {
        prefixes.reduce(AddressSet()) { set, text in
            if case .valid(let cidr) = CIDR.parse(text) { return set.union(cidr.addressSet) }
            return set
        }
    }
}

/// One side of a rule: the application security groups it names, or its address prefixes.
struct RuleSide {
    var groups: [String]
    var prefixes: [String]

    /// Every workload of the virtual network: any address, or the VirtualNetwork tag.
    var isWide: Bool { prefixes == ["*"] || prefixes == ["VirtualNetwork"] }
}

extension AzurePlan.Rule {
    /// The side of the workloads whose NSG holds the rule: the destination of an inbound
    /// rule, the source of an outbound one.
    var ownSide: RuleSide {
        direction == .inbound ? RuleSide(groups: destinationGroups, prefixes: destinationPrefixes) : RuleSide(groups: sourceGroups, prefixes: sourcePrefixes)
    }

    /// The other side: where inbound traffic comes from, where outbound traffic goes.
    var peerSide: RuleSide {
        direction == .inbound ? RuleSide(groups: sourceGroups, prefixes: sourcePrefixes) : RuleSide(groups: destinationGroups, prefixes: destinationPrefixes)
    }
}

/// NSG semantics over the rules of every segment, in named steps: which identity pairs some
/// rule could allow, which rules can decide each pair, the first-match evaluation of those
/// rules per direction, and the external peers each workload's NSG lets in and out.
struct NSGSemantics {
    typealias Rule = AzurePlan.Rule

    /// Each segment's rules by priority, Azure's defaults included.
    let rulesBySegment: [String: [Rule]]
    let plan: FirewallPlan
    let identityByASG: [String: Int]
    let policy: Policy

    /// Rules evaluated for one identity towards one peer in one segment's NSG.
    struct Key: Hashable {
        var segment: String
        var direction: Rule.Direction
        var identity: Int
        var peer: Int
    }

    /// The rules that can match each identity pair: those naming both groups (by key), and
    /// per segment the wide ones (an address side), which can match every pair.
    struct RuleIndex {
        var naming: [Key: [Rule]] = [:]
        var wide: [String: [Rule]] = [:]
    }

    func relation() -> Relation {
        var relation = Relation()
        addBetweenWorkloads(to: &relation)
        addExternal(to: &relation)
        return relation
    }

    func segment(of id: WorkloadID) -> String { policy.segments[policy.workloads[id.index].segment.index].name }

    // MARK: Between workloads

    /// Identity pairs some rule could allow: those its groups name, or all of them when an
    /// allow matches every workload (a wildcard or VirtualNetwork ahead of every deny).
    func candidatePairs() -> Set<FirewallPlan.Pair> {
        var candidates = Set<FirewallPlan.Pair>()
        var everyPair = false
        let wide = ["*", "VirtualNetwork"]
        for rules in rulesBySegment.values {
            for rule in rules where rule.access == .allow {
                for source in rule.sourceGroups.compactMap({ identityByASG[$0] }) {
                    for destination in rule.destinationGroups.compactMap({ identityByASG[$0] }) {
                        candidates.insert(FirewallPlan.Pair(source: source, destination: destination))
                    }
                }
            }
            for direction in [Rule.Direction.inbound, .outbound] {
                for rule in rules where rule.direction == direction {
                    if rule.access == .deny, rule.sourcePrefixes == ["*"], rule.destinationPrefixes == ["*"] { break }
                    let wideSource = rule.sourceGroups.isEmpty && wide.contains(rule.sourcePrefixes.first ?? "")
                    let wideDestination = rule.destinationGroups.isEmpty && wide.contains(rule.destinationPrefixes.first ?? "")
                    if rule.access == .allow, wideSource || wideDestination { everyPair = true }
                }
            }
        }
        if everyPair {
            for source in plan.identities.indices {
                for destination in plan.identities.indices { candidates.insert(FirewallPlan.Pair(source: source, destination: destination)) }
            }
        }
        return candidates
    }

    func ruleIndex() -> RuleIndex {
        var index = RuleIndex()
        for (segment, rules) in rulesBySegment {
            for rule in rules {
                let sources = rule.sourceGroups.compactMap { identityByASG[$0] }
                let destinations = rule.destinationGroups.compactMap { identityByASG[$0] }
                if sources.isEmpty || destinations.isEmpty {
                    index.wide[segment, default: []].append(rule)
                    continue
                }
                for source in sources {
                    for destination in destinations {
                        let (own, peer) = rule.direction == .inbound ? (destination, source) : (source, destination)
                        index.naming[Key(segment: segment, direction: rule.direction, identity: own, peer: peer), default: []].append(rule)
                    }
                }
            }
        }
        return index
    }

    /// Every workload of the source identity reaches every workload of the destination where
    /// its NSG lets the traffic out and the destination's NSG lets it in. Evaluations are
    /// cached per (segment, direction, identity, peer): workloads of one identity in one
    /// segment see the same NSG.
    func addBetweenWorkloads(to relation: inout Relation) {
        let index = ruleIndex()
        var cache: [Key: PortSet] = [:]
        func ports(_ segment: String, _ direction: Rule.Direction, _ identity: Int, _ peer: Int) -> PortSet {
            let key = Key(segment: segment, direction: direction, identity: identity, peer: peer)
            if let known = cache[key] { return known }
            let rules = ((index.naming[key] ?? []) + (index.wide[segment] ?? AzureReader.defaults)).sorted { $0.priority < $1.priority }
            let result = allowedPorts(rules, direction: direction, identity: identity, peer: peer)
            cache[key] = result
            return result
        }
        for pair in candidatePairs() {
            for sourceID in plan.identities[pair.source].workloads {
                let out = ports(segment(of: sourceID), .outbound, pair.source, pair.destination)
                guard !out.isEmpty else { continue }
                for destinationID in plan.identities[pair.destination].workloads {
                    let allowed = out.intersection(ports(segment(of: destinationID), .inbound, pair.destination, pair.source))
                    if !allowed.isEmpty { relation.betweenWorkloads[WorkloadPair(sourceID, destinationID)] = allowed }
                }
            }
        }
    }

    /// Whether a rule is about the traffic of `identity`'s workloads (it names its group, or
    /// every workload).
    func applies(_ rule: Rule, to identity: Int) -> Bool {
        let own = rule.ownSide
        return own.groups.contains { identityByASG[$0] == identity } || own.isWide
    }

    /// The ports rules of one direction allow between `identity` and `peer`: first match
    /// wins, so a rule decides only the ports no earlier rule decided.
    func allowedPorts(_ rules: [Rule], direction: Rule.Direction, identity: Int, peer: Int) -> PortSet {
        var decided = PortSet()
        var allowed = PortSet()
        for rule in rules where rule.direction == direction && applies(rule, to: identity) {
            let side = rule.peerSide
            guard side.groups.contains(where: { identityByASG[$0] == peer }) || side.isWide else { continue }
            let ports = AzureReader.portSet(rule.proto, rule.ports).subtracting(decided)
            if rule.access == .allow { allowed.formUnion(ports) }
            decided.formUnion(ports)
        }
        return allowed
    }

    // MARK: External peers

    /// The external peers each workload's NSG lets in and out. Egress open to every address
    /// reaches every dns: name too. Cached per segment and identity.
    func addExternal(to relation: inout Relation) {
        var cache: [Key: (ingress: ExternalRules, egress: ExternalRules)] = [:]
        for source in policy.workloads {
            guard let index = plan.identityOf[source.id] else { continue }
            let segment = segment(of: source.id)
            let key = Key(segment: segment, direction: .inbound, identity: index, peer: -1)
            let (ingress, egress) = cache[key] ?? external(segment: segment, identity: index)
            cache[key] = (ingress, egress)
            if !ingress.isEmpty { relation.ingress[source.id] = ingress }
            if !egress.isEmpty { relation.egress[source.id] = egress }
        }
    }

    func external(segment: String, identity: Int) -> (ingress: ExternalRules, egress: ExternalRules) {
        // Only rules with an address side can concern external peers.
        let rules = (rulesBySegment[segment] ?? AzureReader.defaults).filter { $0.sourceGroups.isEmpty || $0.destinationGroups.isEmpty }
        let ingress = ExternalRules(contributions: allowedExternal(rules, direction: .inbound, identity: identity))
        let egress = ExternalRules(
            entries: ExternalRules(contributions: allowedExternal(rules, direction: .outbound, identity: identity))
                .entries.map { entry in
                    var peers = entry.peers
                    if peers.addresses.isAll { peers.dns = .all }
                    return ExternalRules.Entry(ports: entry.ports, peers: peers)
                })
        return (ingress, egress)
    }

    /// The external peers and ports rules of one direction allow for `identity`: first match
    /// wins, so an allow counts only where no earlier rule decided.
    func allowedExternal(_ rules: [Rule], direction: Rule.Direction, identity: Int) -> [ExternalRules.Contribution] {
        var allowed: [ExternalRules.Contribution] = []
        var decided: [ExternalRules.Contribution] = []
        for rule in rules where rule.direction == direction && applies(rule, to: identity) {
            let prefixes = rule.peerSide.prefixes
            let peers = prefixes == ["*"] || prefixes == ["Internet"] ? ExternalSet.any : ExternalSet(addresses: AzureReader.addresses(prefixes))
            guard !peers.isEmpty else { continue }
            let region = AzureReader.portSet(rule.proto, rule.ports)
            if rule.access == .allow {
                let fresh = ExternalRules(contributions: [.init(ports: region, peers: peers, deny: false)] + decided)
                allowed += fresh.entries.map { .init(ports: $0.ports, peers: $0.peers, deny: false) }
            }
            decided.append(.init(ports: region, peers: peers, deny: true))
        }
        return allowed
    }
}
