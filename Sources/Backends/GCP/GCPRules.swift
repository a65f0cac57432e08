import IR
import YAML

/// The firewall rules of a plan, and the relation a set of such rules allows.
struct GCPRules {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One compute v1 `Firewall` resource.
    struct Rule: Equatable {
        var name: String
        var description: String
        var network: String
        var direction: String
        var priority: Int
        var allow: Bool
        var protocols: [(String, [String])]
        var sourceRanges: [String] = []
        var destinationRanges: [String] = []
        var sourceServiceAccounts: [String] = []
        var targetServiceAccounts: [String] = []

        static func == (lhs: Rule, rhs: Rule) -> Bool { lhs.name == rhs.name }

        var json: StructuredValue {
            var entries: [StructuredValue.Entry] = [
                .init("name", .string(name)), .init("description", .string(description)), .init("network", .string(network)),
                .init("direction", .string(direction)), .init("priority", .int(priority)),
            ]
            if !sourceRanges.isEmpty { entries.append(.init("sourceRanges", .array(sourceRanges.map { .string($0) }))) }
            if !destinationRanges.isEmpty { entries.append(.init("destinationRanges", .array(destinationRanges.map { .string($0) }))) }
            if !sourceServiceAccounts.isEmpty { entries.append(.init("sourceServiceAccounts", .array(sourceServiceAccounts.map { .string($0) }))) }
            if !targetServiceAccounts.isEmpty { entries.append(.init("targetServiceAccounts", .array(targetServiceAccounts.map { .string($0) }))) }
            entries.append(.init(allow ? "allowed" : "denied", .array(protocols.map { proto, ports in
                var fields: [StructuredValue.Entry] = [.init("IPProtocol", .string(proto))]
                if !ports.isEmpty { fields.append(.init("ports", .array(ports.map { .string($0) }))) }
                return .object(fields)
            })))
            return .object(entries)
        }
    }

    /// Allows sit at this priority, the egress denies below them; GCP's implied rules are at 65535.
    static let allowPriority = 1000
    static let denyPriority = 65000
    /// Source and destination ranges one rule may hold.
    static let rangesPerRule = 5000

    var rules: [Rule] = []

    init(policy: Policy, plan: FirewallPlan, settings: GCPBackend.Settings) {
        func account(_ index: Int) -> String { "\(settings.prefix)\(plan.identities[index].name)@\(settings.project).iam.gserviceaccount.com" }
        var counter = 0
        func name(_ kind: String) -> String {
            counter += 1
            return "\(policy.name.prefix(40))-\(kind)-\(counter)"
        }
        func base(_ kind: String, _ direction: String, _ what: String, ports: PortSet) -> Rule {
            Rule(name: name(kind), description: "palisade \(policy.name): \(what)", network: settings.network, direction: direction,
                 priority: Self.allowPriority, allow: true, protocols: Self.protocols(ports))
        }
        // Between identities: ingress by service account; the source's egress to the VPC's ranges.
        var internalOut: [Int: PortSet] = [:]
        for pair in plan.between.keys.sorted() {
            let ports = plan.between[pair]!
            var rule = base("in", "INGRESS", "\(plan.identities[pair.source].name) to \(plan.identities[pair.destination].name)", ports: ports)
            rule.sourceServiceAccounts = [account(pair.source)]
            rule.targetServiceAccounts = [account(pair.destination)]
            rules.append(rule)
            internalOut[pair.source, default: PortSet()].formUnion(ports)
        }
        for index in plan.identities.indices {
            for entry in plan.ingress[index]?.entries ?? [] {
                for ranges in Self.families(entry.peers.addresses) {
                    var rule = base("in", "INGRESS", "external to \(plan.identities[index].name)", ports: entry.ports)
                    rule.sourceRanges = ranges
                    rule.targetServiceAccounts = [account(index)]
                    rules.append(rule)
                }
            }
            if let ports = internalOut[index] {
                var rule = base("vpc", "EGRESS", "\(plan.identities[index].name) to workloads (internal ranges)", ports: ports)
                rule.destinationRanges = settings.internalRanges.map(\.description)
                rule.targetServiceAccounts = [account(index)]
                rules.append(rule)
            }
            for entry in plan.egress[index]?.entries ?? [] {
                for ranges in Self.families(entry.peers.addresses) {
                    var rule = base("out", "EGRESS", "\(plan.identities[index].name) to external", ports: entry.ports)
                    rule.destinationRanges = ranges
                    rule.targetServiceAccounts = [account(index)]
                    rules.append(rule)
                }
            }
            // GCP allows every egress unless denied: deny the rest, IPv4 and IPv6 apart.
            for everything in ["0.0.0.0/0", "::/0"] {
                var rule = base("deny", "EGRESS", "\(plan.identities[index].name) sends nothing else", ports: .all)
                rule.priority = Self.denyPriority
                rule.allow = false
                rule.protocols = [("all", [])]
                rule.destinationRanges = [everything]
                rule.targetServiceAccounts = [account(index)]
                rules.append(rule)
            }
        }
    }

    /// `allowed` entries for a port set: tcp, udp and sctp with port strings, icmp as ICMP and
    /// ICMPv6 (protocol 58).
    static func protocols(_ ports: PortSet) -> [(String, [String])] {
        var result: [(String, [String])] = []
        for proto in ports.protocols {
            let ranges = ports.ranges.filter { $0.proto == proto }
            switch proto {
            case .icmp:
                result.append(("icmp", []))
                result.append(("58", []))
            default:
                let whole = ranges.count == 1 && ranges[0].isWholeProtocol
                result.append((proto.description, whole ? [] : ranges.map { $0.lower == $0.upper ? "\($0.lower)" : "\($0.lower)-\($0.upper)" }))
            }
        }
        return result
    }

    /// Ranges split by family (a rule holds IPv4 or IPv6, not both) and by the per-rule limit.
    static func families(_ addresses: AddressSet) -> [[String]] {
        let v4 = AddressSet(v4: addresses.v4).cidrs.map(\.description)
        let v6 = AddressSet(v6: addresses.v6).cidrs.map(\.description)
        return [v4, v6].filter { !$0.isEmpty }.flatMap { list in
            stride(from: 0, to: list.count, by: rangesPerRule).map { Array(list[$0..<min(list.count, $0 + rangesPerRule)]) }
        }
    }

    // MARK: Semantics

    /// What rules allow: an ingress connection between identities needs an allow for the
    /// source's service account on the target's, and an egress allow from the source towards
    /// every internal range on those ports (ahead of any deny); external ingress is the allows
    /// from source ranges; egress is the allows ahead of the identity's denies, or everything
    /// when nothing denies it (GCP's implied allow).
    static func relation(_ rules: [Rule], plan: FirewallPlan, settings: GCPBackend.Settings) -> Relation {
        var indexByAccount: [String: Int] = [:]
        for (index, identity) in plan.identities.enumerated() {
            indexByAccount["\(settings.prefix)\(identity.name)@\(settings.project).iam.gserviceaccount.com"] = index
        }
        let vpcRanges = settings.internalRanges.reduce(AddressSet()) { $0.union($1.addressSet) }
        var between: [FirewallPlan.Pair: PortSet] = [:]
        var ingress: [Int: [ExternalRules.Entry]] = [:]
        var egress: [Int: [ExternalRules.Entry]] = [:]
        var internalOut: [Int: PortSet] = [:]
        var denyAt: [Int: Int] = [:]
        for rule in rules where rule.direction == "EGRESS" && !rule.allow && Set(rule.destinationRanges) == ["0.0.0.0/0"] {
            for target in rule.targetServiceAccounts { if let index = indexByAccount[target] { denyAt[index] = rule.priority } }
        }
        for rule in rules where rule.allow {
            let ports = portSet(rule.protocols)
            let targets = rule.targetServiceAccounts.compactMap { indexByAccount[$0] }
            if rule.direction == "INGRESS" {
                for target in targets {
                    for source in rule.sourceServiceAccounts.compactMap({ indexByAccount[$0] }) {
                        between[FirewallPlan.Pair(source: source, destination: target), default: PortSet()].formUnion(ports)
                    }
                    let peers = addresses(rule.sourceRanges)
                    if !peers.isEmpty { ingress[target, default: []].append(.init(ports: ports, peers: ExternalSet(addresses: peers))) }
                }
            } else {
                let peers = addresses(rule.destinationRanges)
                for target in targets where rule.priority < (denyAt[target] ?? Int.max) {
                    egress[target, default: []].append(.init(ports: ports, peers: ExternalSet(addresses: peers)))
                    if vpcRanges.isSubset(of: peers) { internalOut[target, default: PortSet()].formUnion(ports) }
                }
            }
        }
        for index in plan.identities.indices where denyAt[index] == nil {
            egress[index] = [.init(ports: .all, peers: ExternalSet(addresses: .all))]
            internalOut[index] = .all
        }
        for pair in Array(between.keys) {
            between[pair] = between[pair]!.intersection(internalOut[pair.source] ?? PortSet())
        }
        return plan.relation(
            between: between,
            ingress: ingress.mapValues { ExternalRules(entries: $0) },
            egress: egress.mapValues { ExternalRules(entries: $0) })
    }

    static func portSet(_ protocols: [(String, [String])]) -> PortSet {
        var result = PortSet()
        for (name, ports) in protocols {
            switch name {
            case "all": result.formUnion(.all)
            case "icmp", "58": result.formUnion(.whole(.icmp))
            default:
                guard let proto = TransportProtocol(name: name) else { continue }
                if ports.isEmpty { result.formUnion(.whole(proto)) }
                for text in ports {
                    let bounds = text.split(separator: "-").compactMap { Int($0) }
                    if let low = bounds.first, let high = bounds.last { result.formUnion(PortSet(PortRange(proto, low, high))) }
                }
            }
        }
        return result
    }

    static func addresses(_ ranges: [String]) -> AddressSet {
        ranges.reduce(AddressSet()) { set, text in
            if case .valid(let cidr) = CIDR.parse(text) { return set.union(cidr.addressSet) }
            return set
        }
    }

    /// Parses the emitted array back into rules, then applies `relation`.
    static func read(_ text: String, policy: Policy, settings: GCPBackend.Settings) throws -> Relation {
        relation(try parse(text), plan: FirewallPlan(policy: policy, gaps: .widen), settings: settings)
    }

    /// The rules of the file, for `explain`.
    static func views(_ text: String, policy: Policy, settings: GCPBackend.Settings) throws -> [FirewallRuleView] {
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        var indexByAccount: [String: Int] = [:]
        for (index, identity) in plan.identities.enumerated() {
            indexByAccount["\(settings.prefix)\(identity.name)@\(settings.project).iam.gserviceaccount.com"] = index
        }
        let ordered = try parse(text).sorted { ($0.priority, $0.allow ? 1 : 0) < ($1.priority, $1.allow ? 1 : 0) }
        return ordered.map { rule in
            let inbound = rule.direction == "INGRESS"
            return FirewallRuleView(
                name: "firewall rule \(rule.name) (priority \(rule.priority))", inbound: inbound, allow: rule.allow,
                owners: Set(rule.targetServiceAccounts.compactMap { indexByAccount[$0] }),
                peers: Set(rule.sourceServiceAccounts.compactMap { indexByAccount[$0] }),
                addresses: addresses(inbound ? rule.sourceRanges : rule.destinationRanges), ports: portSet(rule.protocols), group: rule.direction)
        }
    }

    static func parse(_ text: String) throws -> [Rule] {
        guard let root = YAMLLoader.load(text: text, file: "firewall-rules.json", limits: .generatedFiles).root, case .sequence(let items) = root.content else {
            throw Failure(description: "firewall-rules.json is not an array")
        }
        func strings(_ node: YAMLNode?) -> [String] {
            guard let node, case .sequence(let values) = node.content else { return [] }
            return values.compactMap(\.scalar)
        }
        let rules = try items.map { item -> Rule in
            guard let name = item["name"]?.scalar else { throw Failure(description: "a rule without a name") }
            let allowed = item["allowed"]
            guard case .sequence(let entries)? = (allowed ?? item["denied"])?.content else { throw Failure(description: "\(name): no allowed or denied") }
            return Rule(
                name: name, description: item["description"]?.scalar ?? "", network: item["network"]?.scalar ?? "",
                direction: item["direction"]?.scalar ?? "INGRESS", priority: item["priority"]?.scalar.flatMap { Int($0) } ?? 1000,
                allow: allowed != nil, protocols: entries.map { ($0["IPProtocol"]?.scalar ?? "", strings($0["ports"])) },
                sourceRanges: strings(item["sourceRanges"]), destinationRanges: strings(item["destinationRanges"]),
                sourceServiceAccounts: strings(item["sourceServiceAccounts"]), targetServiceAccounts: strings(item["targetServiceAccounts"]))
        }
        return rules
    }
}
