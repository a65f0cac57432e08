import Diagnostics
import IR
import YAML

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
}

/// The CloudFormation template for a firewall plan, and the relation its rules allow.
struct AWSTemplate {
    let policy: Policy
    let plan: FirewallPlan
    let gaps: GapPolicy
    let vpcID: String?

    /// Rules by identity index.
    var ingressRules: [Int: [SecurityGroupRule]] = [:]
    var egressRules: [Int: [SecurityGroupRule]] = [:]
    var logicalIDs: [String] = []

    init(policy: Policy, plan: FirewallPlan, gaps: GapPolicy, vpcID: String?) {
        self.policy = policy
        self.plan = plan
        self.gaps = gaps
        self.vpcID = vpcID
        logicalIDs = AWSTemplate.logicalIDs(plan.identities.map(\.name))
        for pair in plan.between.keys.sorted() {
            let ports = plan.between[pair]!
            ingressRules[pair.destination, default: []] += rules(ports, peer: .group(pair.source))
            egressRules[pair.source, default: []] += rules(ports, peer: .group(pair.destination))
        }
        // CIDR rules share the group's quota with the group references already there.
        for (index, rules) in plan.ingress {
            let budget = AWSBackend.rulesPerGroup - (ingressRules[index]?.count ?? 0)
            ingressRules[index, default: []] += external(fit(rules, budget))
        }
        for (index, rules) in plan.egress {
            let budget = AWSBackend.rulesPerGroup - (egressRules[index]?.count ?? 0)
            egressRules[index, default: []] += external(fit(rules, budget))
        }
    }

    /// External rules coarsened (widen) or cut (narrow) to fit the quota.
    func fit(_ rules: ExternalRules, _ ipv4Budget: Int) -> ExternalRules {
        fitted(rules, ipv4Budget: max(ipv4Budget, 1), ipv6Budget: AWSBackend.rulesPerGroup, widen: gaps == .widen) { ports in
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
                if gaps == .narrow, !range.isWholeProtocol { continue }
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

    /// What the rules allow, from the rules alone (the reader computes the same from the file).
    var planned: Relation {
        AWSTemplate.relation(plan: plan, ingress: ingressRules, egress: egressRules)
    }

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
        for pair in Array(between.keys) {
            var out = PortSet()
            for rule in egress[pair.source] ?? [] {
                switch rule.peer {
                case .group(let group) where group == pair.destination: out.formUnion(rule.ports)
                case .ipv4("0.0.0.0/0"): out.formUnion(rule.ports)
                default: break
                }
            }
            between[pair] = between[pair]!.intersection(out)
        }
        func externalRules(_ rules: [SecurityGroupRule]) -> ExternalRules? {
            let entries = rules.compactMap { rule -> ExternalRules.Entry? in
                let cidr: String
                switch rule.peer {
                case .ipv4(let text), .ipv6(let text): cidr = text
                case .group: return nil
                }
                guard !isSentinel(rule), case .valid(let parsed) = CIDR.parse(cidr) else { return nil }
                // icmp covers ICMP for IPv4 peers and icmpv6 for IPv6 ones: the spec's icmp is both.
                return ExternalRules.Entry(ports: rule.ports, peers: ExternalSet(addresses: parsed.addressSet))
            }
            return entries.isEmpty ? nil : ExternalRules(entries: entries)
        }
        return plan.relation(
            between: between,
            ingress: ingress.compactMapValues(externalRules),
            egress: egress.compactMapValues(externalRules))
    }

    /// The rule that keeps CloudFormation from adding its allow-all egress when a group may
    /// send nothing: ICMP type 252 code 86 to 255.255.255.255/32 matches no real traffic.
    static let sentinel = SecurityGroupRule(proto: "icmp", fromPort: 252, toPort: 86, peer: .ipv4("255.255.255.255/32"))

    static func isSentinel(_ rule: SecurityGroupRule) -> Bool { rule == sentinel }

    /// `SgOrderWorker` for `order-worker`, made unique.
    static func logicalIDs(_ names: [String]) -> [String] {
        var used = Set<String>()
        return names.map { name in
            let camel = name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
            var candidate = "Sg" + camel
            var suffix = 2
            while used.contains(candidate) {
                candidate = "Sg\(camel)\(suffix)"
                suffix += 1
            }
            used.insert(candidate)
            return candidate
        }
    }

    // MARK: Limits

    func checkLimits(options: TargetOptions) throws {
        for (index, identity) in plan.identities.enumerated() {
            for (direction, rules) in [("inbound", ingressRules[index] ?? []), ("outbound", egressRules[index] ?? [])] {
                let ipv6 = rules.filter { if case .ipv6 = $0.peer { true } else { false } }.count
                let ipv4 = rules.count - ipv6
                for (family, count) in [("IPv4", ipv4), ("IPv6", ipv6)] where count > AWSBackend.rulesPerGroup {
                    let origin = policy.identities.first { $0.name == identity.name }?.origin ?? options.origin
                    throw BackendError(.error(
                        .targetLimit,
                        "aws: security group of identity '\(identity.name)' needs \(count) \(direction) \(family) rules; a security group holds \(AWSBackend.rulesPerGroup) (the default VPC quota)",
                        at: origin, help: "merge its peers into fewer, wider ranges, or give its workloads separate identities"))
                }
            }
        }
    }

    // MARK: JSON

    /// How one template names a security group: `Fn::GetAtt` in its own template, the export
    /// of the template that declares it otherwise.
    typealias GroupReference = (Int) -> StructuredValue

    func localReference(_ index: Int) -> StructuredValue {
        .object([.init("Fn::GetAtt", [.string(logicalIDs[index]), "GroupId"])])
    }

    func importedReference(_ index: Int) -> StructuredValue {
        .object([.init("Fn::ImportValue", .string(exportName(index)))])
    }

    /// Export names are unique per account and region: the policy's name keeps them apart.
    func exportName(_ index: Int) -> String { "palisade-\(policy.name)-\(logicalIDs[index])" }

    func groupResource(_ index: Int) -> StructuredValue.Entry {
        let identity = plan.identities[index]
        var properties: [StructuredValue.Entry] = [
            .init("GroupDescription", .string(awsText("palisade \(policy.name): identity \(identity.name) (segments \(identity.segments.joined(separator: ", ")))"))),
            .init("VpcId", .object([.init("Ref", "VpcId")])),
        ]
        let inlineIn = (ingressRules[index] ?? []).filter { if case .group = $0.peer { false } else { true } }
        if !inlineIn.isEmpty { properties.append(.init("SecurityGroupIngress", .array(inlineIn.map { rule($0, ingress: true, standalone: nil, reference: localReference) }))) }
        // Without an inline egress rule AWS keeps its default allow-all egress, even when
        // standalone egress rules are added: the sentinel takes its place.
        var inlineOut = (egressRules[index] ?? []).filter { if case .group = $0.peer { false } else { true } }
        if inlineOut.isEmpty { inlineOut = [AWSTemplate.sentinel] }
        properties.append(.init("SecurityGroupEgress", .array(inlineOut.map { rule($0, ingress: false, standalone: nil, reference: localReference) })))
        properties.append(.init("Tags", .array([
            tag("Name", "\(policy.name)-\(identity.name)"), tag("palisade:policy", policy.name), tag("palisade:identity", identity.name),
            tag("palisade:workloads", identity.workloads.map { policy.workloads[$0.index].name }.joined(separator: " ")),
        ])))
        return .init(logicalIDs[index], .object([.init("Type", "AWS::EC2::SecurityGroup"), .init("Properties", .object(properties))]))
    }

    func output(_ index: Int, exported: Bool) -> StructuredValue.Entry {
        var entries: [StructuredValue.Entry] = [
            .init("Description", .string("security group of identity \(plan.identities[index].name)")),
            .init("Value", localReference(index)),
        ]
        if exported { entries.append(.init("Export", .object([.init("Name", .string(exportName(index)))]))) }
        return .init(logicalIDs[index], .object(entries))
    }

    /// The standalone group-to-group rules, in identity order.
    func ruleResources(reference: GroupReference) -> [StructuredValue.Entry] {
        var resources: [StructuredValue.Entry] = []
        for (index, _) in plan.identities.enumerated() {
            for (position, item) in (ingressRules[index] ?? []).filter({ if case .group = $0.peer { true } else { false } }).enumerated() {
                resources.append(.init("\(logicalIDs[index])In\(position + 1)", .object([
                    .init("Type", "AWS::EC2::SecurityGroupIngress"), .init("Properties", rule(item, ingress: true, standalone: index, reference: reference)),
                ])))
            }
            for (position, item) in (egressRules[index] ?? []).filter({ if case .group = $0.peer { true } else { false } }).enumerated() {
                resources.append(.init("\(logicalIDs[index])Out\(position + 1)", .object([
                    .init("Type", "AWS::EC2::SecurityGroupEgress"), .init("Properties", rule(item, ingress: false, standalone: index, reference: reference)),
                ])))
            }
        }
        return resources
    }

    func template(_ what: String, vpc: Bool, resources: [StructuredValue.Entry], outputs: [StructuredValue.Entry]) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [
            .init("AWSTemplateFormatVersion", "2010-09-09"),
            .init("Description", .string(awsText("\(what) of policy \(policy.name), generated by palisade from \(policy.files.joined(separator: ", ")) (content hash \(policy.contentHash)); do not edit"))),
        ]
        if vpc {
            var parameter: [StructuredValue.Entry] = [
                .init("Type", "AWS::EC2::VPC::Id"), .init("Description", "the VPC the security groups belong to"),
            ]
            if let vpcID { parameter.append(.init("Default", .string(vpcID))) }
            entries.append(.init("Parameters", .object([.init("VpcId", .object(parameter))])))
        }
        entries.append(.init("Resources", .object(resources)))
        if !outputs.isEmpty { entries.append(.init("Outputs", .object(outputs))) }
        return .object(entries)
    }

    /// The whole policy in one template.
    func document() -> StructuredValue {
        let indices = Array(plan.identities.indices)
        return template("Security groups", vpc: true, resources: indices.map(groupResource) + ruleResources(reference: localReference),
                        outputs: indices.map { output($0, exported: false) })
    }

    /// `security-groups.json`, or when one template would break CloudFormation's limits
    /// (resources, outputs, body size), numbered templates to create in order: the security
    /// groups first (exporting their ids), then the group-to-group rules (importing them).
    func files() -> [OutputFile] {
        let single = JSONWriter.write(document())
        let rules = ruleResources(reference: localReference).count
        if plan.identities.count + rules <= AWSBackend.resourcesPerTemplate, plan.identities.count <= AWSBackend.outputsPerTemplate,
           single.utf8.count <= AWSBackend.templateBytes
        {
            return [OutputFile(path: "security-groups.json", contents: single)]
        }
        var documents: [StructuredValue] = []
        let groups = chunks(plan.identities.indices.map { (groupResource($0), $0) }, limit: AWSBackend.outputsPerTemplate)
        for chunk in groups {
            documents.append(template("Security groups (part \(documents.count + 1))", vpc: true, resources: chunk.map(\.0),
                                      outputs: chunk.map { output($0.1, exported: true) }))
        }
        for chunk in chunks(ruleResources(reference: importedReference).map { ($0, 0) }, limit: AWSBackend.resourcesPerTemplate) {
            documents.append(template("Security group rules (part \(documents.count + 1))", vpc: false, resources: chunk.map(\.0), outputs: []))
        }
        return documents.enumerated().map { number, document in
            OutputFile(path: number == 0 ? "security-groups.json" : "security-groups-\(number + 1).json", contents: JSONWriter.write(document))
        }
    }

    /// Resources in order, cut where a template would hold more than `limit` of them or
    /// come near CloudFormation's body size (an export or import per resource included).
    func chunks(_ items: [(StructuredValue.Entry, Int)], limit: Int) -> [[(StructuredValue.Entry, Int)]] {
        chunked(items, limit: limit, budget: AWSBackend.templateBytes - 20_000) { JSONWriter.write($0.0.value).utf8.count + $0.0.key.utf8.count + 400 }
    }

    func rule(_ rule: SecurityGroupRule, ingress: Bool, standalone owner: Int?, reference: GroupReference) -> StructuredValue {
        var entries: [StructuredValue.Entry] = []
        if let owner { entries.append(.init("GroupId", reference(owner))) }
        entries.append(.init("IpProtocol", .string(rule.proto)))
        // Ports (for icmp: type and code) mean something for tcp, udp and icmp only.
        if ["tcp", "udp", "icmp"].contains(rule.proto) {
            entries.append(.init("FromPort", .int(rule.fromPort)))
            entries.append(.init("ToPort", .int(rule.toPort)))
        }
        let description: String
        switch rule.peer {
        case .ipv4(let cidr):
            entries.append(.init("CidrIp", .string(cidr)))
            description = AWSTemplate.isSentinel(rule) ? "no egress" : cidr
        case .ipv6(let cidr):
            entries.append(.init("CidrIpv6", .string(cidr)))
            description = cidr
        case .group(let group):
            entries.append(.init(ingress ? "SourceSecurityGroupId" : "DestinationSecurityGroupId", reference(group)))
            description = "identity \(plan.identities[group].name)"
        }
        entries.append(.init("Description", .string(awsText("palisade: \(ingress ? "from" : "to") \(description)"))))
        return .object(entries)
    }

    func tag(_ key: String, _ value: String) -> StructuredValue {
        .object([.init("Key", .string(key)), .init("Value", .string(String(value.prefix(256))))])
    }
}

/// Text within EC2's description character set (`a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`), at most
/// 255 characters.
func awsText(_ text: String) -> String {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789. _-:/()#,@[]+=&;{}!$*")
    return String(String(text.map { allowed.contains($0) ? $0 : " " }).prefix(255))
}
