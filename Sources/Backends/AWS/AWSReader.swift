import IR
import YAML

/// Reads the CloudFormation template back, from the file alone, into what the security
/// groups allow (stateful; a group-to-group connection needs the destination's ingress and
/// the source's egress; CIDR rules for external peers; the no-egress sentinel allows nothing).
struct AWSReader {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let policy: Policy

    /// Reads one template, or the numbered templates of a split policy (groups exported by
    /// one, imported by the others) as one.
    func read(_ texts: [String]) throws -> ReadBack {
        var ingress: [Int: [SecurityGroupRule]] = [:]
        var egress: [Int: [SecurityGroupRule]] = [:]
        for entry in try parse(texts) {
            if entry.inbound { ingress[entry.owner, default: []].append(entry.rule) } else { egress[entry.owner, default: []].append(entry.rule) }
        }
        return ReadBack(relation: AWSTemplate.relation(plan: FirewallPlan(policy: policy, gaps: .widen), ingress: ingress, egress: egress))
    }

    /// Every rule of the templates with the group it belongs to and a name for `explain`.
    struct Entry {
        var name: String
        var owner: Int
        var inbound: Bool
        var rule: SecurityGroupRule
    }

    /// The rules as `explain` names them.
    func views(_ texts: [String]) throws -> [FirewallRuleView] {
        try parse(texts).map { entry in
            var view = FirewallRuleView(name: entry.name, inbound: entry.inbound, allow: true, owners: [entry.owner], ports: entry.rule.ports)
            switch entry.rule.peer {
            case .group(let index): view.peers = [index]
            case .ipv4(let text), .ipv6(let text):
                if case .valid(let cidr) = CIDR.parse(text) { view.addresses = cidr.addressSet }
            }
            if AWSTemplate.isSentinel(entry.rule) { view.addresses = .empty }
            return view
        }
    }

    func parse(_ texts: [String]) throws -> [Entry] {
        var resources: [YAMLPair] = []
        var exports: [String: String] = [:]
        for text in texts {
            guard let root = YAMLLoader.load(text: text, file: "security-groups.json", limits: .generatedFiles).root,
                  case .mapping(let own)? = root["Resources"]?.content
            else { throw Failure(description: "a template has no Resources") }
            resources += own
            if case .mapping(let outputs)? = root["Outputs"]?.content {
                for output in outputs {
                    guard let name = output.value["Export"]?["Name"]?.scalar,
                          case .sequence(let parts)? = output.value["Value"]?["Fn::GetAtt"]?.content, let logical = parts.first?.scalar
                    else { continue }
                    exports[name] = logical
                }
            }
        }
        let plan = FirewallPlan(policy: policy, gaps: .widen)
        var indexByName: [String: Int] = [:]
        for (index, identity) in plan.identities.enumerated() { indexByName[identity.name] = index }
        var indexByLogical: [String: Int] = [:]
        for resource in resources where resource.value["Type"]?.scalar == "AWS::EC2::SecurityGroup" {
            guard case .sequence(let tags)? = resource.value["Properties"]?["Tags"]?.content,
                  let identity = tags.first(where: { $0["Key"]?.scalar == "palisade:identity" })?["Value"]?.scalar,
                  let index = indexByName[identity]
            else { throw Failure(description: "security group \(resource.name) names no identity of the spec") }
            indexByLogical[resource.name] = index
        }
        func group(_ node: YAMLNode?) -> Int? {
            if let name = node?["Fn::ImportValue"]?.scalar { return exports[name].flatMap { indexByLogical[$0] } }
            guard case .sequence(let parts)? = node?["Fn::GetAtt"]?.content, let logical = parts.first?.scalar else { return nil }
            return indexByLogical[logical]
        }
        func rule(_ node: YAMLNode, ingress: Bool) throws -> SecurityGroupRule {
            guard let proto = node["IpProtocol"]?.scalar else { throw Failure(description: "a rule without IpProtocol") }
            let from = node["FromPort"]?.scalar.flatMap { Int($0) } ?? -1
            let to = node["ToPort"]?.scalar.flatMap { Int($0) } ?? -1
            let peer: SecurityGroupRule.Peer
            if let cidr = node["CidrIp"]?.scalar {
                peer = .ipv4(cidr)
            } else if let cidr = node["CidrIpv6"]?.scalar {
                peer = .ipv6(cidr)
            } else if let other = group(node[ingress ? "SourceSecurityGroupId" : "DestinationSecurityGroupId"]) {
                peer = .group(other)
            } else {
                throw Failure(description: "a rule with no peer this reader knows")
            }
            return SecurityGroupRule(proto: proto, fromPort: from, toPort: to, peer: peer)
        }
        var entries: [Entry] = []
        for resource in resources {
            let properties = resource.value["Properties"]
            switch resource.value["Type"]?.scalar {
            case "AWS::EC2::SecurityGroup":
                let index = indexByLogical[resource.name]!
                for (position, node) in items(properties?["SecurityGroupIngress"]).enumerated() {
                    entries.append(Entry(name: "security group \(resource.name) inbound rule \(position + 1)", owner: index, inbound: true, rule: try rule(node, ingress: true)))
                }
                let outbound = items(properties?["SecurityGroupEgress"])
                // No egress rule at all means CloudFormation's default: everything out.
                if outbound.isEmpty {
                    entries.append(Entry(name: "security group \(resource.name) default egress", owner: index, inbound: false,
                                         rule: SecurityGroupRule(proto: "-1", fromPort: -1, toPort: -1, peer: .ipv4("0.0.0.0/0"))))
                }
                for (position, node) in outbound.enumerated() {
                    entries.append(Entry(name: "security group \(resource.name) outbound rule \(position + 1)", owner: index, inbound: false, rule: try rule(node, ingress: false)))
                }
            case "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress":
                let inbound = resource.value["Type"]?.scalar == "AWS::EC2::SecurityGroupIngress"
                guard let properties, let owner = group(properties["GroupId"]) else { throw Failure(description: "\(resource.name) has no GroupId") }
                entries.append(Entry(name: "\(inbound ? "ingress" : "egress") rule \(resource.name)", owner: owner, inbound: inbound, rule: try rule(properties, ingress: inbound)))
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
