import IR
import YAML

/// The ARM template: ASGs, NSGs with their rules; and NSG semantics for reading it back.
struct AzureTemplate {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One security rule; a side is application security groups or address prefixes.
    struct Rule {
        var name: String
        var direction: String
        var access: String
        var priority: Int
        var proto: String
        var ports: [String]
        var sourceGroups: [String] = []
        var sourcePrefixes: [String] = []
        var destinationGroups: [String] = []
        var destinationPrefixes: [String] = []
        var description: String
    }

    let policy: Policy
    let plan: FirewallPlan
    let location: String
    /// Rules per segment NSG, priorities assigned.
    private(set) var rulesBySegment: [(String, [Rule])] = []

    init(policy: Policy, plan: FirewallPlan, gaps: GapPolicy, location: String) {
        self.policy = policy
        self.plan = plan
        self.location = location
        let asg = { (index: Int) in "asg-\(policy.name)-\(plan.identities[index].name)" }
        for segment in policy.segments {
            let here = Set(segment.workloads.compactMap { plan.identityOf[$0] })
            var inbound: [Rule] = []
            var outbound: [Rule] = []
            for pair in plan.between.keys.sorted() {
                let ports = plan.between[pair]!
                let what = "\(plan.identities[pair.source].name) to \(plan.identities[pair.destination].name)"
                if here.contains(pair.destination) {
                    for (proto, list) in Self.protocols(ports, gaps: gaps) {
                        inbound.append(Rule(name: "", direction: "Inbound", access: "Allow", priority: 0, proto: proto, ports: list,
                                            sourceGroups: [asg(pair.source)], destinationGroups: [asg(pair.destination)], description: what))
                    }
                }
                if here.contains(pair.source) {
                    for (proto, list) in Self.protocols(ports, gaps: gaps) {
                        outbound.append(Rule(name: "", direction: "Outbound", access: "Allow", priority: 0, proto: proto, ports: list,
                                             sourceGroups: [asg(pair.source)], destinationGroups: [asg(pair.destination)], description: what))
                    }
                }
            }
            for index in here.sorted() {
                for entry in plan.ingress[index]?.entries ?? [] {
                    for (proto, list) in Self.protocols(entry.ports, gaps: gaps) {
                        for prefixes in Self.chunks(entry.peers.addresses.cidrs.map(\.description)) {
                            inbound.append(Rule(name: "", direction: "Inbound", access: "Allow", priority: 0, proto: proto, ports: list,
                                                sourcePrefixes: prefixes, destinationGroups: [asg(index)], description: "external to \(plan.identities[index].name)"))
                        }
                    }
                }
                for entry in plan.egress[index]?.entries ?? [] {
                    for (proto, list) in Self.protocols(entry.ports, gaps: gaps) {
                        for prefixes in Self.chunks(entry.peers.addresses.cidrs.map(\.description)) {
                            outbound.append(Rule(name: "", direction: "Outbound", access: "Allow", priority: 0, proto: proto, ports: list,
                                                 sourceGroups: [asg(index)], destinationPrefixes: prefixes, description: "\(plan.identities[index].name) to external"))
                        }
                    }
                }
            }
            var rules: [Rule] = []
            for (direction, list) in [("in", inbound), ("out", outbound)] {
                for (offset, var rule) in list.enumerated() {
                    rule.priority = AzureBackend.firstPriority + offset
                    rule.name = "allow-\(direction)-\(offset + 1)"
                    rules.append(rule)
                }
            }
            // Azure allows VNet traffic both ways and Internet egress by default: deny the rest.
            for direction in ["Inbound", "Outbound"] {
                rules.append(Rule(name: "deny-all-\(direction.lowercased())", direction: direction, access: "Deny", priority: AzureBackend.lowestPriority,
                                  proto: "*", ports: ["*"], sourcePrefixes: ["*"], destinationPrefixes: ["*"], description: "default deny"))
            }
            rulesBySegment.append((segment.name, rules))
        }
    }

    /// Protocol and port lists for a port set: Tcp and Udp with their ranges, Icmp whole; SCTP
    /// has no NSG protocol, so it is any protocol on its ports (widen) or nothing (narrow).
    static func protocols(_ ports: PortSet, gaps: GapPolicy) -> [(String, [String])] {
        var result: [(String, [String])] = []
        for proto in ports.protocols {
            let ranges = ports.ranges.filter { $0.proto == proto }
            let list = ranges.map { $0.isWholeProtocol ? "*" : $0.lower == $0.upper ? "\($0.lower)" : "\($0.lower)-\($0.upper)" }
            switch proto {
            case .tcp: result.append(("Tcp", list))
            case .udp: result.append(("Udp", list))
            case .icmp: result.append(("Icmp", ["*"]))
            case .sctp: if gaps == .widen { result.append(("*", list)) }
            }
        }
        return result
    }

    static func chunks(_ prefixes: [String]) -> [[String]] {
        stride(from: 0, to: prefixes.count, by: AzureBackend.prefixesPerSide).map { Array(prefixes[$0..<min(prefixes.count, $0 + AzureBackend.prefixesPerSide)]) }
    }

    // MARK: JSON

    func asgID(_ name: String) -> String { "[resourceId('Microsoft.Network/applicationSecurityGroups', '\(name)')]" }

    func asgResource(_ identity: FirewallPlan.Identity) -> StructuredValue {
        .object([
            .init("type", "Microsoft.Network/applicationSecurityGroups"), .init("apiVersion", "2024-05-01"),
            .init("name", .string("asg-\(policy.name)-\(identity.name)")), .init("location", "[parameters('location')]"),
            .init("tags", .object([.init("palisade-policy", .string(policy.name)), .init("palisade-identity", .string(identity.name))])),
            .init("properties", .object([])),
        ])
    }

    /// A segment's NSG; `dependsOn` names the ASGs deployed by the same template.
    func nsgResource(_ segment: String, _ rules: [Rule], dependsOn: [FirewallPlan.Identity]) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [
            .init("type", "Microsoft.Network/networkSecurityGroups"), .init("apiVersion", "2024-05-01"),
            .init("name", .string("nsg-\(policy.name)-\(segment)")), .init("location", "[parameters('location')]"),
            .init("tags", .object([.init("palisade-policy", .string(policy.name)), .init("palisade-segment", .string(segment))])),
        ]
        if !dependsOn.isEmpty { entries.append(.init("dependsOn", .array(dependsOn.map { .string(asgID("asg-\(policy.name)-\($0.name)")) }))) }
        entries.append(.init("properties", .object([.init("securityRules", .array(rules.map { rule in
            var properties: [StructuredValue.Entry] = [
                .init("description", .string(String("palisade: \(rule.description)".prefix(140)))),
                .init("priority", .int(rule.priority)), .init("direction", .string(rule.direction)),
                .init("access", .string(rule.access)), .init("protocol", .string(rule.proto)),
                .init("sourcePortRange", "*"),
            ]
            if rule.ports.count == 1 {
                properties.append(.init("destinationPortRange", .string(rule.ports[0])))
            } else {
                properties.append(.init("destinationPortRanges", .array(rule.ports.map { .string($0) })))
            }
            func side(_ name: String, _ groups: [String], _ prefixes: [String]) {
                if !groups.isEmpty {
                    properties.append(.init("\(name)ApplicationSecurityGroups", .array(groups.map { .object([.init("id", .string(asgID($0)))]) })))
                } else if prefixes.count == 1 {
                    properties.append(.init("\(name)AddressPrefix", .string(prefixes[0])))
                } else {
                    properties.append(.init("\(name)AddressPrefixes", .array(prefixes.map { .string($0) })))
                }
            }
            side("source", rule.sourceGroups, rule.sourcePrefixes)
            side("destination", rule.destinationGroups, rule.destinationPrefixes)
            return .object([.init("name", .string(rule.name)), .init("properties", .object(properties))])
        }))])))
        return .object(entries)
    }

    func template(_ resources: [StructuredValue], part: Int? = nil) -> StructuredValue {
        let generator = "palisade from \(policy.files.joined(separator: ", ")) (content hash \(policy.contentHash)); do not edit"
        return .object([
            .init("$schema", "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"),
            .init("contentVersion", "1.0.0.0"),
            .init("metadata", .object([.init("generator", .string(part.map { "\(generator) (part \($0))" } ?? generator))])),
            .init("parameters", .object([.init("location", .object([
                .init("type", "string"), .init("defaultValue", .string(location)),
            ]))])),
            .init("resources", .array(resources)),
        ])
    }

    /// The whole policy in one template.
    func document() -> StructuredValue {
        template(plan.identities.map(asgResource) + rulesBySegment.map { nsgResource($0.0, $0.1, dependsOn: plan.identities) })
    }

    /// `nsg.json`, or when one template would break ARM's limits (resources, size), numbered
    /// templates to deploy in order into the same resource group: the application security
    /// groups first, then the NSGs, which name them by `resourceId`.
    func files() -> [OutputFile] {
        let single = JSONWriter.write(document())
        if plan.identities.count + rulesBySegment.count <= AzureBackend.resourcesPerTemplate, single.utf8.count <= AzureBackend.templateBytes {
            return [OutputFile(path: "nsg.json", contents: single)]
        }
        let budget = AzureBackend.templateBytes - 20_000
        let groups = [plan.identities.map(asgResource), rulesBySegment.map { nsgResource($0.0, $0.1, dependsOn: []) }]
        let parts = groups.flatMap { chunked($0, limit: AzureBackend.resourcesPerTemplate, budget: budget) { JSONWriter.write($0).utf8.count } }
        return parts.enumerated().map { number, resources in
            OutputFile(path: number == 0 ? "nsg.json" : "nsg-\(number + 1).json", contents: JSONWriter.write(template(resources, part: number + 1)))
        }
    }

    // MARK: Semantics

    /// What the NSGs allow, from the template alone: a workload's traffic passes its segment's
    /// NSG (by `palisade-segment` tag); per direction the rules are tried by priority and the
    /// first match decides; without a user rule Azure's defaults apply (VNet traffic and Internet
    /// egress allowed, other inbound denied). A connection between workloads needs the source
    /// NSG's outbound and the destination NSG's inbound.
    static func relation(_ texts: [String], policy: Policy) throws -> Relation {
        let rulesBySegment = try parse(texts)
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        var identityByASG: [String: Int] = [:]
        for (index, identity) in plan.identities.enumerated() { identityByASG["asg-\(policy.name)-\(identity.name)"] = index }
        return relation(rulesBySegment, plan: plan, identityByASG: identityByASG, policy: policy)
    }

    /// The rules of the templates by segment (Azure's default rules included), for `explain`.
    static func views(_ texts: [String], policy: Policy) throws -> [FirewallRuleView] {
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        var identityByASG: [String: Int] = [:]
        for (index, identity) in plan.identities.enumerated() { identityByASG["asg-\(policy.name)-\(identity.name)"] = index }
        var views: [FirewallRuleView] = []
        for (segment, rules) in try parse(texts).sorted(by: { $0.key < $1.key }) {
            let here = Set(plan.identities.indices.filter { plan.identities[$0].segments.contains(segment) })
            for rule in rules {
                let inbound = rule.direction == "Inbound"
                let (own, ownPrefixes, peer, peerPrefixes) = inbound
                    ? (rule.destinationGroups, rule.destinationPrefixes, rule.sourceGroups, rule.sourcePrefixes)
                    : (rule.sourceGroups, rule.sourcePrefixes, rule.destinationGroups, rule.destinationPrefixes)
                let wide = { (prefixes: [String]) in prefixes == ["*"] || prefixes == ["VirtualNetwork"] }
                let addresses = peerPrefixes == ["*"] || peerPrefixes == ["Internet"] ? AddressSet.all : peerPrefixes.reduce(AddressSet()) { set, text in
                    if case .valid(let cidr) = CIDR.parse(text) { return set.union(cidr.addressSet) }
                    return set
                }
                views.append(FirewallRuleView(
                    name: "NSG nsg-\(policy.name)-\(segment) rule \(rule.name) (priority \(rule.priority))", inbound: inbound, allow: rule.access == "Allow",
                    owners: wide(ownPrefixes) ? here : Set(own.compactMap { identityByASG[$0] }).intersection(here),
                    peers: wide(peerPrefixes) ? Set(plan.identities.indices) : Set(peer.compactMap { identityByASG[$0] }),
                    addresses: addresses, ports: portSet(rule.proto, rule.ports), group: "nsg-\(policy.name)-\(segment)/\(rule.direction)"))
            }
        }
        return views
    }

    static func parse(_ texts: [String]) throws -> [String: [Rule]] {
        var resources: [YAMLNode] = []
        for text in texts {
            guard let root = YAMLLoader.load(text: text, file: "nsg.json", limits: .generatedFiles).root, case .sequence(let own)? = root["resources"]?.content else {
                throw Failure(description: "a template has no resources")
            }
            resources += own
        }
        var rulesBySegment: [String: [Rule]] = [:]
        for resource in resources where resource["type"]?.scalar == "Microsoft.Network/networkSecurityGroups" {
            guard let segment = resource["tags"]?["palisade-segment"]?.scalar else { throw Failure(description: "an NSG without a segment tag") }
            guard case .sequence(let items)? = resource["properties"]?["securityRules"]?.content else { continue }
            rulesBySegment[segment] = (items.map { item in
                let p = item["properties"]
                func list(_ single: String, _ plural: String) -> [String] {
                    if let value = p?[single]?.scalar { return [value] }
                    guard case .sequence(let values)? = p?[plural]?.content else { return [] }
                    return values.compactMap(\.scalar)
                }
                func groups(_ key: String) -> [String] {
                    guard case .sequence(let values)? = p?[key]?.content else { return [] }
                    return values.compactMap { value in
                        value["id"]?.scalar.flatMap { id in id.split(separator: "'").dropLast().last.map(String.init) }
                    }
                }
                return Rule(
                    name: item["name"]?.scalar ?? "", direction: p?["direction"]?.scalar ?? "", access: p?["access"]?.scalar ?? "",
                    priority: p?["priority"]?.scalar.flatMap { Int($0) } ?? 0, proto: p?["protocol"]?.scalar ?? "*",
                    ports: list("destinationPortRange", "destinationPortRanges"),
                    sourceGroups: groups("sourceApplicationSecurityGroups"), sourcePrefixes: list("sourceAddressPrefix", "sourceAddressPrefixes"),
                    destinationGroups: groups("destinationApplicationSecurityGroups"), destinationPrefixes: list("destinationAddressPrefix", "destinationAddressPrefixes"),
                    description: "")
            } + defaults).sorted { $0.priority < $1.priority }
        }
        return rulesBySegment
    }

    static func relation(_ rulesBySegment: [String: [Rule]], plan: FirewallPlan, identityByASG: [String: Int], policy: Policy) -> Relation {
        // Per segment and identity: ports allowed in and out, towards identities and prefixes.
        func evaluate(_ rules: [Rule], direction: String, identity: Int, peerIdentity: Int?) -> (ports: PortSet, external: [ExternalRules.Contribution]) {
            var decided = PortSet()
            var allowed = PortSet()
            var external: [ExternalRules.Contribution] = []
            var externalDecided: [ExternalRules.Contribution] = []
            let ownSide = { (rule: Rule) in direction == "Inbound" ? rule.destinationGroups : rule.sourceGroups }
            let peerGroups = { (rule: Rule) in direction == "Inbound" ? rule.sourceGroups : rule.destinationGroups }
            let peerPrefixes = { (rule: Rule) in direction == "Inbound" ? rule.sourcePrefixes : rule.destinationPrefixes }
            let ownPrefixes = { (rule: Rule) in direction == "Inbound" ? rule.destinationPrefixes : rule.sourcePrefixes }
            for rule in rules where rule.direction == direction {
                let appliesToUs = ownSide(rule).contains { identityByASG[$0] == identity } || ownPrefixes(rule) == ["*"] || ownPrefixes(rule) == ["VirtualNetwork"]
                guard appliesToUs else { continue }
                let ports = portSet(rule.proto, rule.ports).subtracting(decided)
                if let peerIdentity {
                    let matches = peerGroups(rule).contains { identityByASG[$0] == peerIdentity } || peerPrefixes(rule) == ["*"] || peerPrefixes(rule) == ["VirtualNetwork"]
                    guard matches else { continue }
                    if rule.access == "Allow" { allowed.formUnion(ports) }
                    decided.formUnion(ports)
                } else {
                    let wildcard = peerPrefixes(rule) == ["*"] || peerPrefixes(rule) == ["Internet"]
                    let peers = wildcard ? ExternalSet.any : ExternalSet(addresses: peerPrefixes(rule).reduce(AddressSet()) { set, text in
                        if case .valid(let cidr) = CIDR.parse(text) { return set.union(cidr.addressSet) }
                        return set
                    })
                    guard !peers.isEmpty else { continue }
                    // First match wins: an allow counts only where no earlier rule decided.
                    let region = portSet(rule.proto, rule.ports)
                    if rule.access == "Allow" {
                        let fresh = ExternalRules(contributions: [.init(ports: region, peers: peers, deny: false)] + externalDecided)
                        external += fresh.entries.map { .init(ports: $0.ports, peers: $0.peers, deny: false) }
                    }
                    externalDecided.append(.init(ports: region, peers: peers, deny: true))
                }
            }
            return (allowed, external)
        }
        var relation = Relation()
        let segmentOf = { (id: WorkloadID) in policy.segments[policy.workloads[id.index].segment.index].name }
        // Identity pairs some rule could allow: those its groups name, or all of them when an
        // allow matches every workload (a wildcard or VirtualNetwork ahead of every deny).
        var candidates = Set<FirewallPlan.Pair>()
        var everyPair = false
        let wide = ["*", "VirtualNetwork"]
        for rules in rulesBySegment.values {
            for rule in rules where rule.access == "Allow" {
                for s in rule.sourceGroups.compactMap({ identityByASG[$0] }) {
                    for d in rule.destinationGroups.compactMap({ identityByASG[$0] }) { candidates.insert(FirewallPlan.Pair(source: s, destination: d)) }
                }
            }
            for direction in ["Inbound", "Outbound"] {
                for rule in rules where rule.direction == direction {
                    if rule.access == "Deny", rule.sourcePrefixes == ["*"], rule.destinationPrefixes == ["*"] { break }
                    let wideSource = rule.sourceGroups.isEmpty && wide.contains(rule.sourcePrefixes.first ?? "")
                    let wideDestination = rule.destinationGroups.isEmpty && wide.contains(rule.destinationPrefixes.first ?? "")
                    if rule.access == "Allow", wideSource || wideDestination { everyPair = true }
                }
            }
        }
        if everyPair {
            for s in plan.identities.indices { for d in plan.identities.indices { candidates.insert(FirewallPlan.Pair(source: s, destination: d)) } }
        }
        // Rules that can match an identity pair: those naming both groups, and the wide ones.
        // Evaluations are cached per (segment, direction, identity, peer): workloads of one
        // identity in one segment see the same NSG.
        struct Key: Hashable {
            var segment: String
            var direction: String
            var identity: Int
            var peer: Int
        }
        var relevant: [Key: [Rule]] = [:]
        var wideRules: [String: [Rule]] = [:]
        for (segment, rules) in rulesBySegment {
            for rule in rules {
                let sources = rule.sourceGroups.compactMap { identityByASG[$0] }
                let destinations = rule.destinationGroups.compactMap { identityByASG[$0] }
                if sources.isEmpty || destinations.isEmpty {
                    wideRules[segment, default: []].append(rule)
                    continue
                }
                for s in sources {
                    for d in destinations {
                        let own = rule.direction == "Inbound" ? d : s
                        let peer = rule.direction == "Inbound" ? s : d
                        relevant[Key(segment: segment, direction: rule.direction, identity: own, peer: peer), default: []].append(rule)
                    }
                }
            }
        }
        var cache: [Key: PortSet] = [:]
        func ports(_ segment: String, _ direction: String, _ identity: Int, _ peer: Int) -> PortSet {
            let key = Key(segment: segment, direction: direction, identity: identity, peer: peer)
            if let known = cache[key] { return known }
            let rules = ((relevant[key] ?? []) + (wideRules[segment] ?? defaults)).sorted { $0.priority < $1.priority }
            let result = evaluate(rules, direction: direction, identity: identity, peerIdentity: peer).ports
            cache[key] = result
            return result
        }
        for pair in candidates {
            for sourceID in plan.identities[pair.source].workloads {
                let out = ports(segmentOf(sourceID), "Outbound", pair.source, pair.destination)
                guard !out.isEmpty else { continue }
                for destinationID in plan.identities[pair.destination].workloads {
                    let allowed = out.intersection(ports(segmentOf(destinationID), "Inbound", pair.destination, pair.source))
                    if !allowed.isEmpty { relation.betweenWorkloads[WorkloadPair(sourceID, destinationID)] = allowed }
                }
            }
        }
        var externalCache: [Key: (ingress: ExternalRules, egress: ExternalRules)] = [:]
        for source in policy.workloads {
            guard let index = plan.identityOf[source.id] else { continue }
            let segment = segmentOf(source.id)
            let key = Key(segment: segment, direction: "", identity: index, peer: -1)
            if externalCache[key] == nil {
                // Only rules with an address side can concern external peers.
                let rules = (rulesBySegment[segment] ?? defaults).filter { $0.sourceGroups.isEmpty || $0.destinationGroups.isEmpty }
                let ingress = ExternalRules(contributions: evaluate(rules, direction: "Inbound", identity: index, peerIdentity: nil).external)
                // Egress open to every address reaches every dns: name too.
                let egress = ExternalRules(entries: ExternalRules(contributions: evaluate(rules, direction: "Outbound", identity: index, peerIdentity: nil).external)
                    .entries.map { entry in
                        var peers = entry.peers
                        if peers.addresses.isAll { peers.dns = .all }
                        return ExternalRules.Entry(ports: entry.ports, peers: peers)
                    })
                externalCache[key] = (ingress, egress)
            }
            let (ingress, egress) = externalCache[key]!
            if !ingress.isEmpty { relation.ingress[source.id] = ingress }
            if !egress.isEmpty { relation.egress[source.id] = egress }
        }
        return relation
    }

    /// Azure's default rules, under every NSG's own (VirtualNetwork: every workload; Internet:
    /// every external address).
    static let defaults: [Rule] = [
        Rule(name: "AllowVnetInBound", direction: "Inbound", access: "Allow", priority: 65000, proto: "*", ports: ["*"], sourcePrefixes: ["VirtualNetwork"], destinationPrefixes: ["VirtualNetwork"], description: ""),
        Rule(name: "DenyAllInBound", direction: "Inbound", access: "Deny", priority: 65500, proto: "*", ports: ["*"], sourcePrefixes: ["*"], destinationPrefixes: ["*"], description: ""),
        Rule(name: "AllowVnetOutBound", direction: "Outbound", access: "Allow", priority: 65000, proto: "*", ports: ["*"], sourcePrefixes: ["VirtualNetwork"], destinationPrefixes: ["VirtualNetwork"], description: ""),
        Rule(name: "AllowInternetOutBound", direction: "Outbound", access: "Allow", priority: 65001, proto: "*", ports: ["*"], sourcePrefixes: ["*"], destinationPrefixes: ["Internet"], description: ""),
        Rule(name: "DenyAllOutBound", direction: "Outbound", access: "Deny", priority: 65500, proto: "*", ports: ["*"], sourcePrefixes: ["*"], destinationPrefixes: ["*"], description: ""),
    ]

    static func portSet(_ proto: String, _ ports: [String]) -> PortSet {
        let protocols: [TransportProtocol] = switch proto {
        case "Tcp": [.tcp]
        case "Udp": [.udp]
        case "Icmp": [.icmp]
        default: [.tcp, .udp, .sctp, .icmp]
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
}

