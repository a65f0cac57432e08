import IR
import YAML

/// Reads the CloudFormation templates back, from the files alone, into what the security
/// groups allow (stateful; a group-to-group connection needs the destination's ingress and
/// the source's egress; CIDR rules for external peers; the no-egress sentinel allows nothing).
struct AWSReader {
    let policy: Policy
    let files: [OutputFile]

    /// Every rule of the templates with the group it belongs to and a name for `explain`.
    struct Entry {
        var name: String
        var owner: Int
        var inbound: Bool
        var rule: SecurityGroupRule
    }

    /// Reads one template, or the numbered templates of a split policy (groups exported by
    /// one, imported by the others) as one.
    func read() throws -> ReadBack {
        var ingress: [Int: [SecurityGroupRule]] = [:]
        var egress: [Int: [SecurityGroupRule]] = [:]
        for entry in try entries() {
            if entry.inbound { ingress[entry.owner, default: []].append(entry.rule) } else { egress[entry.owner, default: []].append(entry.rule) }
        }
        return ReadBack(relation: Self.relation(plan: FirewallPlan(policy: policy, gaps: .widen), ingress: ingress, egress: egress))
    }

    /// The rules as `explain` names them.
    func views() throws -> [FirewallRuleView] {
        try entries().map { entry in
            var view = FirewallRuleView(name: entry.name, inbound: entry.inbound, allow: true, owners: [entry.owner], ports: entry.rule.ports)
            switch entry.rule.peer {
            case .group(let index): view.peers = [index]
            case .ipv4(let text), .ipv6(let text):
                if case .valid(let cidr) = CIDR.parse(text) { view.addresses = cidr.addressSet }
            }
            if entry.rule.isSentinel { view.addresses = .empty }
            return view
        }
    }

    // MARK: Semantics

    /// A connection between groups needs ingress at the destination and egress at the source
    /// (towards the group or towards every address); external peers need one side only.
    static func relation(plan: FirewallPlan, ingress: [Int: [SecurityGroupRule]], egress: [Int: [SecurityGroupRule]]) -> Relation {
        var between: [FirewallPlan.Pair: PortSet] = [:]
        for (destination, rules) in ingress {
            for rule in rules {
                guard case .group(let source) = rule.peer else { continue }
                between[FirewallPlan.Pair(source: source, destination: destination), default: PortSet()].formUnion(rule.ports)
            }
        }
        for (pair, inbound) in between {
            var out = PortSet()
            for rule in egress[pair.source] ?? [] {
                switch rule.peer {
                case .group(let group) where group == pair.destination: out.formUnion(rule.ports)
                case .ipv4("0.0.0.0/0"): out.formUnion(rule.ports)
                default: break
                }
            }
            between[pair] = inbound.intersection(out)
        }
        return plan.relation(
            between: between,
            ingress: ingress.compactMapValues(externalRules),
            egress: egress.compactMapValues(externalRules))
    }

    /// What a group's rules towards address ranges allow, if any do.
    static func externalRules(_ rules: [SecurityGroupRule]) -> ExternalRules? {
        let entries = rules.compactMap { rule -> ExternalRules.Entry? in
            let cidr: String
            switch rule.peer {
            case .ipv4(let text), .ipv6(let text): cidr = text
            case .group: return nil
            }
            guard !rule.isSentinel, case .valid(let parsed) = CIDR.parse(cidr) else { return nil }
            // icmp covers ICMP for IPv4 peers and icmpv6 for IPv6 ones: the spec's icmp is both.
            return ExternalRules.Entry(ports: rule.ports, peers: ExternalSet(addresses: parsed.addressSet))
        }
        return entries.isEmpty ? nil : ExternalRules(entries: entries)
    }

    // MARK: Parsing

    /// The templates: the first, and the numbered ones of a split policy.
    func templates() throws -> [OutputFile] { try files.requiredSeries(AWSEmitter.file) }

    /// The resources of every template, the template each comes from, and the group
    /// exports (export name → logical id).
    func resources() throws -> (resources: [(file: String, resource: YAMLPair)], exports: [String: String]) {
        var resources: [(file: String, resource: YAMLPair)] = []
        var exports: [String: String] = [:]
        for file in try templates() {
            let root = try file.document()
            guard case .mapping(let own)? = root["Resources"]?.content else { throw ReadFailure(file.path, "the template has no Resources") }
            resources += own.map { (file.path, $0) }
            if case .mapping(let outputs)? = root["Outputs"]?.content {
                for output in outputs {
                    guard let name = output.value["Export"]?["Name"]?.scalar,
                        case .sequence(let parts)? = output.value["Value"]?["Fn::GetAtt"]?.content, let logical = parts.first?.scalar
                    else { continue }
                    exports[name] = logical
                }
            }
        }
        return (resources, exports)
    }

    func entries() throws -> [Entry] {
        let (resources, exports) = try resources()
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        var indexByName: [String: Int] = [:]
        for (index, identity) in plan.identities.enumerated() { indexByName[identity.name] = index }
        var indexByLogical: [String: Int] = [:]
        for (file, resource) in resources where resource.value["Type"]?.scalar == "AWS::EC2::SecurityGroup" {
            guard case .sequence(let tags)? = resource.value["Properties"]?["Tags"]?.content,
                let identity = tags.first(where: { $0["Key"]?.scalar == "palisade:identity" })?["Value"]?.scalar,
                let index = indexByName[identity]
            else { throw ReadFailure(file, "security group \(resource.name) names no identity of the spec") }
            indexByLogical[resource.name] = index
        }
        func group(_ node: YAMLNode?) -> Int? {
            if let name = node?["Fn::ImportValue"]?.scalar { return exports[name].flatMap { indexByLogical[$0] } }
            guard case .sequence(let parts)? = node?["Fn::GetAtt"]?.content, let logical = parts.first?.scalar else { return nil }
            return indexByLogical[logical]
        }
        func rule(_ node: YAMLNode, ingress: Bool, in file: String) throws -> SecurityGroupRule {
            guard let proto = node["IpProtocol"]?.scalar else { throw ReadFailure(file, "a rule without IpProtocol") }
            let from = node["FromPort"]?.scalar.flatMap { Int($0) } ?? -1
            let to = node["ToPort"]?.scalar.flatMap { Int($0) } ?? -1
            // Ports as EC2 reads them: tcp and udp need 0 <= FromPort <= ToPort <= 65535; ICMP
            // types and codes are -1 (any) to 255; other protocols ignore them.
            switch proto.lowercased() {
            case "tcp", "udp", "6", "17":
                guard node["FromPort"]?.scalar != nil, node["ToPort"]?.scalar != nil else {
                    throw ReadFailure(file, "a \(proto) rule without FromPort and ToPort")
                }
                guard (0...65535).contains(from), (0...65535).contains(to), from <= to else {
                    throw ReadFailure(file, "a \(proto) rule with ports \(from)-\(to): ports are 0-65535, FromPort no greater than ToPort")
                }
            case "icmp", "1", "icmpv6", "58":
                guard (-1...255).contains(from), (-1...255).contains(to) else {
                    throw ReadFailure(file, "an ICMP rule with type \(from) and code \(to): each is -1 (any) to 255")
                }
            default:
                break
            }
            let peer: SecurityGroupRule.Peer
            if let cidr = node["CidrIp"]?.scalar {
                peer = .ipv4(cidr)
            } else if let cidr = node["CidrIpv6"]?.scalar {
                peer = .ipv6(cidr)
            } else if let other = group(node[ingress ? "SourceSecurityGroupId" : "DestinationSecurityGroupId"]) {
                peer = .group(other)
            } else {
                throw ReadFailure(file, "a rule with no peer this reader knows")
            }
            return SecurityGroupRule(proto: proto, fromPort: from, toPort: to, peer: peer)
        }
        var entries: [Entry] = []
        for (file, resource) in resources {
            let properties = resource.value["Properties"]
            let name = resource.name
            switch resource.value["Type"]?.scalar {
            case "AWS::EC2::SecurityGroup":
                guard let index = indexByLogical[name] else { continue }  // cannot happen: every group was indexed above
                for (position, node) in items(properties?["SecurityGroupIngress"]).enumerated() {
                    let rule = try rule(node, ingress: true, in: file)
                    entries.append(Entry(name: "security group \(name) inbound rule \(position + 1)", owner: index, inbound: true, rule: rule))
                }
                let outbound = items(properties?["SecurityGroupEgress"])
                // No egress rule at all means CloudFormation's default: everything out.
                if outbound.isEmpty {
                    entries.append(
                        Entry(
                            name: "security group \(name) default egress", owner: index, inbound: false,
                            rule: SecurityGroupRule(proto: "-1", fromPort: -1, toPort: -1, peer: .ipv4("0.0.0.0/0"))))
                }
                for (position, node) in outbound.enumerated() {
                    let rule = try rule(node, ingress: false, in: file)
                    entries.append(Entry(name: "security group \(name) outbound rule \(position + 1)", owner: index, inbound: false, rule: rule))
                }
            case "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress":
                let inbound = resource.value["Type"]?.scalar == "AWS::EC2::SecurityGroupIngress"
                guard let properties, let owner = group(properties["GroupId"]) else { throw ReadFailure(file, "\(name) has no GroupId") }
                let rule = try rule(properties, ingress: inbound, in: file)
                entries.append(Entry(name: "\(inbound ? "ingress" : "egress") rule \(name)", owner: owner, inbound: inbound, rule: rule))
            default:
                continue
            }
        }
        return entries
    }

    func items(_ node: YAMLNode?) -> [YAMLNode] {
        guard let node, case .sequence(let items) = node.content else { return [] }
        return items
    }
}
