import IR
import YAML

/// Reads the CloudFormation templates back, from the files alone, into what the security
/// groups allow (stateful; a group-to-group connection needs the destination's ingress and
/// the source's egress; CIDR rules for external peers; the no-egress sentinel allows nothing).
/// A workload's rules are the union of those of every group it takes: every group tagged with
/// its identity, and every segment group whose metadata lists its identity as a member.
struct AWSReader {
    let policy: Policy
    let files: [OutputFile]

    /// Every rule of the templates with the identity it applies to (once per identity for a
    /// segment group's rules) and a name for `explain`.
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
        let (entries, members, plan) = try parsed()
        for entry in entries {
            if entry.inbound { ingress[entry.owner, default: []].append(entry.rule) } else { egress[entry.owner, default: []].append(entry.rule) }
        }
        return ReadBack(relation: Self.relation(plan: plan, ingress: ingress, egress: egress) { members[$0] ?? [$0] })
    }

    /// The rules as `explain` names them.
    func views() throws -> [FirewallRuleView] {
        let (entries, members, _) = try parsed()
        return entries.map { entry in
            var view = FirewallRuleView(name: entry.name, inbound: entry.inbound, allow: true, owners: [entry.owner], ports: entry.rule.ports)
            switch entry.rule.peer {
            case .group(let index): view.peers = Set(members[index] ?? [index])
            case .ipv4(let text), .ipv6(let text):
                if case .valid(let cidr) = CIDR.parse(text) { view.addresses = cidr.addressSet }
            }
            if entry.rule.isSentinel { view.addresses = .empty }
            return view
        }
    }

    // MARK: Semantics

    /// A connection between groups needs ingress at the destination and egress at the source
    /// (towards the group or towards every address); external peers need one side only. Rules
    /// are by identity; a peer group stands for `members(group)`'s identities. Linear in the
    /// rules and the identity pairs they allow.
    static func relation(
        plan: FirewallPlan, ingress: [Int: [SecurityGroupRule]], egress: [Int: [SecurityGroupRule]], members: (Int) -> [Int]
    ) -> Relation {
        groupedRelation(plan: plan, ingress: ingress, egress: egress, members: members).expanded
    }

    /// The same relation at identity level (`FirewallPlan.groupedRelation`).
    static func groupedRelation(
        plan: FirewallPlan, ingress: [Int: [SecurityGroupRule]], egress: [Int: [SecurityGroupRule]], members: (Int) -> [Int]
    ) -> GroupedRelation {
        // Each rule's ports are gathered per peer group first, so a group's members are
        // visited once per owner and direction, not once per rule.
        // Each peer's ranges are one port set made once, not a port set per rule joined.
        func byGroup(_ rules: [SecurityGroupRule]) -> [(group: Int, ports: PortSet)] {
            var order: [Int] = []
            var ranges: [[PortRange]] = []
            var slot: [Int: Int] = [:]
            for rule in rules {
                guard case .group(let group) = rule.peer else { continue }
                if let at = slot[group] {
                    rule.appendRanges(to: &ranges[at])
                } else {
                    slot[group] = order.count
                    order.append(group)
                    ranges.append([])
                    rule.appendRanges(to: &ranges[ranges.count - 1])
                }
            }
            return zip(order, ranges).map { ($0, PortSet($1)) }
        }
        var between: [FirewallPlan.Pair: PortSet] = [:]
        for (destination, rules) in ingress {
            for (group, ports) in byGroup(rules) {
                for source in members(group) { between[FirewallPlan.Pair(source: source, destination: destination), default: PortSet()].formUnion(ports) }
            }
        }
        var outbound: [FirewallPlan.Pair: PortSet] = [:]
        var everywhere: [Int: PortSet] = [:]
        for (source, rules) in egress {
            for (group, ports) in byGroup(rules) {
                for destination in members(group) {
                    outbound[FirewallPlan.Pair(source: source, destination: destination), default: PortSet()].formUnion(ports)
                }
            }
            for rule in rules {
                if case .ipv4("0.0.0.0/0") = rule.peer { everywhere[source, default: PortSet()].formUnion(rule.ports) }
            }
        }
        var allowed: [FirewallPlan.Pair: PortSet] = [:]
        allowed.reserveCapacity(between.count)
        for (pair, inbound) in between {
            var out = outbound[pair] ?? PortSet()
            if let all = everywhere[pair.source] { out.formUnion(all) }
            allowed[pair] = inbound.intersection(out)
        }
        // Many groups name the same ranges (an external network): each is parsed once.
        var parsed: [String: AddressSet?] = [:]
        func addresses(_ text: String) -> AddressSet? {
            if let known = parsed[text] { return known }
            let addresses: AddressSet? = if case .valid(let cidr) = CIDR.parse(text) { cidr.addressSet } else { nil }
            parsed[text] = addresses
            return addresses
        }
        return plan.groupedRelation(
            between: allowed,
            ingress: ingress.compactMapValues { externalRules($0, addresses: addresses) },
            egress: egress.compactMapValues { externalRules($0, addresses: addresses) })
    }

    /// What a group's rules towards address ranges allow, if any do. `addresses` parses a
    /// range (nil: not one).
    static func externalRules(_ rules: [SecurityGroupRule], addresses: (String) -> AddressSet? = parsedAddresses) -> ExternalRules? {
        // One entry per port set, its prefixes together: the same connections as one entry per rule.
        var order: [PortSet] = []
        var byPorts: [PortSet: AddressSet] = [:]
        for rule in rules {
            let cidr: String
            switch rule.peer {
            case .ipv4(let text), .ipv6(let text): cidr = text
            case .group: continue
            }
            guard !rule.isSentinel, let parsed = addresses(cidr) else { continue }
            // icmp covers ICMP for IPv4 peers and icmpv6 for IPv6 ones: the spec's icmp is both.
            let ports = rule.ports
            if let known = byPorts[ports] {
                byPorts[ports] = known.union(parsed)
            } else {
                order.append(ports)
                byPorts[ports] = parsed
            }
        }
        let entries = order.map { ExternalRules.Entry(ports: $0, peers: ExternalSet(addresses: byPorts[$0] ?? .empty)) }
        return entries.isEmpty ? nil : ExternalRules(entries: entries)
    }

    /// The addresses of a range, nil when it is not one.
    static func parsedAddresses(_ text: String) -> AddressSet? {
        if case .valid(let cidr) = CIDR.parse(text) { cidr.addressSet } else { nil }
    }

    // MARK: Parsing

    /// The Terraform form's file, when that is the form to read: the policy's options ask for
    /// it, or the files hold it and no CloudFormation template.
    func terraformFile() throws -> OutputFile? {
        if AWSOptions.of(policy, target: .aws).format == .terraform { return try files.required(AWSTerraformEmitter.file) }
        return files.contains { $0.path == AWSEmitter.file } ? nil : files.first { $0.path == AWSTerraformEmitter.file }
    }

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

    /// The rules, the identities each segment group stands for (by the index its references
    /// read as; an identity's groups read as the identity's index), and the firewall plan
    /// whose identities the indexes name.
    func parsed() throws -> (entries: [Entry], members: [Int: [Int]], plan: FirewallPlan) {
        if let terraform = try terraformFile() { return try AWSTerraformReader(policy: policy, file: terraform).parsed() }
        let (resources, exports) = try resources()
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        var indexByName: [String: Int] = [:]
        for (index, identity) in plan.identities.enumerated() { indexByName[identity.name] = index }
        var indexByLogical: [String: Int] = [:]
        var members: [Int: [Int]] = [:]
        for (file, resource) in resources where resource.value["Type"]?.scalar == "AWS::EC2::SecurityGroup" {
            guard case .sequence(let tags)? = resource.value["Properties"]?["Tags"]?.content else {
                throw ReadFailure(file, "security group \(resource.name) has no tags")
            }
            if let identity = tags.first(where: { $0["Key"]?.scalar == "palisade:identity" })?["Value"]?.scalar {
                guard let index = indexByName[identity] else { throw ReadFailure(file, "security group \(resource.name) names no identity of the spec") }
                indexByLogical[resource.name] = index
            } else if tags.contains(where: { $0["Key"]?.scalar == "palisade:segment" }) {
                // A segment's group: taken by every workload of the identities its metadata lists.
                guard case .sequence(let names)? = resource.value["Metadata"]?["palisade:members"]?.content else {
                    throw ReadFailure(file, "segment group \(resource.name) lists no members")
                }
                var identities: [Int] = []
                for name in names {
                    guard let text = name.scalar, let index = indexByName[text] else {
                        throw ReadFailure(file, "segment group \(resource.name) lists a member that is no identity of the spec")
                    }
                    identities.append(index)
                }
                let index = plan.identities.count + members.count
                members[index] = identities
                indexByLogical[resource.name] = index
            } else {
                throw ReadFailure(file, "security group \(resource.name) names no identity of the spec")
            }
        }
        /// The identities a group's own rules apply to.
        func owners(_ group: Int) -> [Int] { members[group] ?? [group] }
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
                guard let group = indexByLogical[name] else { continue }  // cannot happen: every group was indexed above
                for (position, node) in items(properties?["SecurityGroupIngress"]).enumerated() {
                    let rule = try rule(node, ingress: true, in: file)
                    for owner in owners(group) {
                        entries.append(Entry(name: "security group \(name) inbound rule \(position + 1)", owner: owner, inbound: true, rule: rule))
                    }
                }
                let outbound = items(properties?["SecurityGroupEgress"])
                // No egress rule at all means CloudFormation's default: everything out.
                if outbound.isEmpty {
                    for owner in owners(group) {
                        entries.append(
                            Entry(
                                name: "security group \(name) default egress", owner: owner, inbound: false,
                                rule: SecurityGroupRule(proto: "-1", fromPort: -1, toPort: -1, peer: .ipv4("0.0.0.0/0"))))
                    }
                }
                for (position, node) in outbound.enumerated() {
                    let rule = try rule(node, ingress: false, in: file)
                    for owner in owners(group) {
                        entries.append(Entry(name: "security group \(name) outbound rule \(position + 1)", owner: owner, inbound: false, rule: rule))
                    }
                }
            case "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress":
                let inbound = resource.value["Type"]?.scalar == "AWS::EC2::SecurityGroupIngress"
                guard let properties, let group = group(properties["GroupId"]) else { throw ReadFailure(file, "\(name) has no GroupId") }
                let rule = try rule(properties, ingress: inbound, in: file)
                for owner in owners(group) {
                    entries.append(Entry(name: "\(inbound ? "ingress" : "egress") rule \(name)", owner: owner, inbound: inbound, rule: rule))
                }
            default:
                continue
            }
        }
        return (entries, members, plan)
    }

    func items(_ node: YAMLNode?) -> [YAMLNode] {
        guard let node, case .sequence(let items) = node.content else { return [] }
        return items
    }
}
