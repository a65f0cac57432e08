import IR
import YAML

// Deny flows as AdminNetworkPolicies (option `admin_network_policy`): what the plan writes,
// how the emitter writes it and how the reader reads it back. One AdminNetworkPolicy per
// deny flow that has source workloads, named after the flow, whose subject is the flow's
// source workloads and whose egress rules deny its destination workloads and its outside
// addresses on its ports. NetworkPolicy allows only the intent (the deny already subtracted);
// the AdminNetworkPolicy makes the deny hold whatever else a namespace owner adds, and exact
// where subtraction cannot be (a rule that lists no ports because it carries ICMP, `dns:`
// egress opened to every address). What it cannot say stays as today: ICMP (no protocol in
// the API), denies from outside addresses (ingress peers are pods and namespaces only) and
// denies of `dns:` names.

extension OpenShiftPlan {
    /// What a deny flow denies, from names (for a name's hash: stable when flows move).
    func adminContent(_ flow: Flow) -> String {
        let sources = flow.sources.workloads.map { policy.workloads[$0.index].name }.sorted().joined(separator: ",")
        let destinations = flow.destinations.workloads.map { policy.workloads[$0.index].name }.sorted().joined(separator: ",")
        return "\(sources)>\(destinations)|\(flow.destinations.external.summary)|\(flow.ports)"
    }

    /// The name of a deny flow's AdminNetworkPolicy: from the flow's name, or from what it
    /// denies when it has none, never from its position.
    func adminPolicyName(_ flow: Flow) -> String {
        let base = "palisade.\(options.namespacePrefix)\(policy.name).deny."
        if let name = flow.name { return base + name }
        return base + StableName.shortHash(adminContent(flow))
    }

    /// Pods of `workloads`, as an AdminNetworkPolicy subject or peer: their namespaces by name
    /// and the pods by workload label, both `In` (workload names are unique in a spec, so the
    /// cross product holds no one else).
    func adminPods(_ workloads: [WorkloadID]) -> AdminNetworkPolicy.Peer {
        let chosen = workloads.map { policy.workloads[$0.index] }
        return .pods(
            namespaces: LabelSelector(labels: [:], valuesIn: [Self.namespaceNameLabel: Set(chosen.map(namespace(of:)))]),
            pods: LabelSelector(labels: [:], valuesIn: [Self.workloadLabel: Set(chosen.map(\.name))]))
    }

    /// The AdminNetworkPolicy ports for a deny's ports: nil for every port and protocol; none
    /// when the deny names ICMP only (the API has no ICMP protocol).
    static func adminPorts(_ ports: PortSet) -> [PolicyPort]?? {
        if ports == .all { return .some(nil) }
        let rest = ports.subtracting(.whole(.icmp))
        guard !rest.isEmpty, let entries = PolicyPort.entries(rest) else { return nil }
        return .some(entries)
    }

    /// The CIDRs of outside addresses, a whole address family as its two halves unless the
    /// deny takes every name too (a whole family matches every name, `ClusterNetwork`).
    static func adminNetworks(_ addresses: AddressSet, names: Bool) -> [CIDR] {
        addresses.cidrs.flatMap { cidr -> [CIDR] in
            guard !names else { return [cidr] }
            if cidr == .v4(0, prefix: 0) { return [.v4(0, prefix: 1), .v4(1 << 31, prefix: 1)] }
            if cidr == .v6(0, prefix: 0) { return [.v6(0, prefix: 1), .v6(1 << 127, prefix: 1)] }
            return [cidr]
        }
    }

    /// At most this many CIDRs in one `networks` peer, and peers in one rule.
    static let adminNetworksPerPeer = 25
    static let adminPeersPerRule = 100

    /// One AdminNetworkPolicy per deny flow, each at its own priority: the option's, then the
    /// next ones in the order of their names (OVN-Kubernetes refuses two at one priority, and
    /// the API leaves their order undefined). Flow names need not be unique: flows that share
    /// one and deny different things take the name and a hash of what each denies. Policies
    /// past the platform's last priority are not written: their denies stay as subtraction
    /// alone, with its gaps. Without cluster networks (`cluster_networks`, none by default on
    /// Kubernetes) no `networks` peer is written: the platform matches pod addresses against it
    /// too, so a deny of outside addresses that include the pod network would cut pods off
    /// each other; outside addresses stay as subtraction alone, with its gaps.
    mutating func buildAdminPolicies() {
        guard options.admin.enabled else { return }
        let knowsCluster = !options.clusterNetworks.isEmpty
        let outside = AddressSet.all.subtracting(options.clusterNetworks)
        var candidates: [(name: String, content: String, subject: AdminNetworkPolicy.Peer, rules: [AdminNetworkPolicy.Rule])] = []
        for flow in policy.flows where flow.action == .deny && !flow.sources.workloads.isEmpty {
            guard let ports = Self.adminPorts(flow.ports) else { continue }
            var rules: [AdminNetworkPolicy.Rule] = []
            if !flow.destinations.workloads.isEmpty {
                rules.append(.init(name: "deny-workloads", action: .deny, peers: [adminPods(flow.destinations.workloads)], ports: ports))
            }
            let external = flow.destinations.external
            let addresses = knowsCluster ? external.addresses.intersection(outside) : .empty
            if !addresses.isEmpty {
                let cidrs = Self.adminNetworks(addresses, names: external.dns.isAll)
                let peers = stride(from: 0, to: cidrs.count, by: Self.adminNetworksPerPeer).map {
                    AdminNetworkPolicy.Peer.networks(Array(cidrs[$0..<min($0 + Self.adminNetworksPerPeer, cidrs.count)]))
                }
                for start in stride(from: 0, to: peers.count, by: Self.adminPeersPerRule) {
                    let part = Array(peers[start..<min(start + Self.adminPeersPerRule, peers.count)])
                    let suffix = peers.count > Self.adminPeersPerRule ? "-\(start / Self.adminPeersPerRule + 1)" : ""
                    rules.append(.init(name: "deny-networks" + suffix, action: .deny, peers: part, ports: ports))
                }
            }
            guard !rules.isEmpty else { continue }
            candidates.append((adminPolicyName(flow), adminContent(flow), adminPods(flow.sources.workloads), rules))
        }
        // A name whose flows deny different things: each takes a hash of what it denies.
        var contents: [String: Set<String>] = [:]
        for candidate in candidates { contents[candidate.name, default: []].insert(candidate.content) }
        var named: [String: (subject: AdminNetworkPolicy.Peer, rules: [AdminNetworkPolicy.Rule])] = [:]
        for candidate in candidates {
            let shared = (contents[candidate.name]?.count ?? 0) > 1
            let name = shared ? candidate.name + "-" + StableName.shortHash(candidate.content) : candidate.name
            // Flows that share a name and deny the same are one policy.
            if named[name] == nil { named[name] = (candidate.subject, candidate.rules) }
        }
        let last = options.admin.priorities.upperBound
        for (rank, name) in named.keys.sorted().enumerated() where options.admin.priority + rank <= last {
            let (subject, rules) = named[name]!
            network.adminPolicies.append(AdminNetworkPolicy(name: name, priority: options.admin.priority + rank, subject: subject, ingress: [], egress: rules))
        }
    }
}

extension OpenShiftEmitter {
    func adminNetworkPolicy(_ admin: AdminNetworkPolicy) -> StructuredValue {
        var spec: [StructuredValue.Entry] = []
        if let priority = admin.priority { spec.append(.init("priority", .int(priority))) }
        spec.append(.init("subject", adminPeer(admin.subject)))
        func rules(_ rules: [AdminNetworkPolicy.Rule], _ side: String) -> StructuredValue {
            .array(
                rules.map { rule in
                    var entries: [StructuredValue.Entry] = [
                        .init("name", .string(rule.name)), .init("action", .string(rule.action.rawValue)), .init(side, .array(rule.peers.map(adminPeer))),
                    ]
                    if let ports = rule.ports { entries.append(.init("ports", .array(ports.map(adminPort)))) }
                    return .object(entries)
                })
        }
        if !admin.ingress.isEmpty { spec.append(.init("ingress", rules(admin.ingress, "from"))) }
        if !admin.egress.isEmpty { spec.append(.init("egress", rules(admin.egress, "to"))) }
        let kind = admin.isBaseline ? "BaselineAdminNetworkPolicy" : "AdminNetworkPolicy"
        return .object(
            header(AdminNetworkPolicyReading.apiVersion, kind, admin.name, labels: [(OpenShiftPlan.policyLabel, plan.policy.name)])
                + [.init("spec", .object(spec))])
    }

    func adminPeer(_ peer: AdminNetworkPolicy.Peer) -> StructuredValue {
        switch peer {
        case .namespaces(let selector): .object([.init("namespaces", adminSelector(selector))])
        case .pods(let namespaces, let pods):
            .object([.init("pods", .object([.init("namespaceSelector", adminSelector(namespaces)), .init("podSelector", adminSelector(pods))]))])
        case .networks(let cidrs): .object([.init("networks", strings(cidrs.map(\.description)))])
        }
    }

    /// `matchLabels` and `matchExpressions` (`In`), keys and values sorted.
    func adminSelector(_ selector: LabelSelector) -> StructuredValue {
        var entries: [StructuredValue.Entry] = []
        if !selector.labels.isEmpty {
            entries.append(.init("matchLabels", strings(selector.labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })))
        }
        if !selector.valuesIn.isEmpty {
            entries.append(
                .init(
                    "matchExpressions",
                    .array(
                        selector.valuesIn.sorted { $0.key < $1.key }.map { key, values in
                            .object([.init("key", .string(key)), .init("operator", "In"), .init("values", strings(values.sorted()))])
                        })))
        }
        return .object(entries)
    }

    func adminPort(_ port: PolicyPort) -> StructuredValue {
        let proto = StructuredValue.string(port.proto.description.uppercased())
        guard let number = port.port else {
            return .object([.init("portRange", .object([.init("protocol", proto), .init("start", .int(1)), .init("end", .int(65535))]))])
        }
        guard let end = port.endPort, end != number else {
            return .object([.init("portNumber", .object([.init("protocol", proto), .init("port", .int(number))]))])
        }
        return .object([.init("portRange", .object([.init("protocol", proto), .init("start", .int(number)), .init("end", .int(end))]))])
    }
}

/// Reading AdminNetworkPolicy and BaselineAdminNetworkPolicy documents.
enum AdminNetworkPolicyReading {
    static let apiVersion = "policy.networking.k8s.io/v1alpha1"
    /// The platform honours only the BaselineAdminNetworkPolicy of this name.
    static let baselineName = "default"
}

extension OpenShiftReader {
    /// An AdminNetworkPolicy (`baseline` false) or the BaselineAdminNetworkPolicy.
    func adminNetworkPolicy(_ node: YAMLNode, name: String, baseline: Bool) throws -> AdminNetworkPolicy {
        let kind = baseline ? "BaselineAdminNetworkPolicy" : "AdminNetworkPolicy"
        guard node["apiVersion"]?.scalar == AdminNetworkPolicyReading.apiVersion else {
            throw ReadFailure(Self.file, "\(kind) \(name): apiVersion is not \(AdminNetworkPolicyReading.apiVersion)")
        }
        if baseline, name != AdminNetworkPolicyReading.baselineName {
            throw ReadFailure(Self.file, "BaselineAdminNetworkPolicy '\(name)': the platform only honours one named 'default'")
        }
        guard let spec = node["spec"] else { throw ReadFailure(Self.file, "\(kind) \(name) has no spec") }
        var priority: Int? = nil
        if !baseline {
            guard let value = spec["priority"]?.scalar.flatMap({ Int($0) }), AdminNetworkPolicyOptions.priorities.contains(value) else {
                throw ReadFailure(Self.file, "AdminNetworkPolicy \(name): priority is not a number from 0 to 1000")
            }
            priority = value
        }
        let subject = try adminPeer(spec["subject"], "subject of \(name)", egress: false)
        var cluster: AddressSet? = nil
        func rules(_ key: String, _ side: String) throws -> [AdminNetworkPolicy.Rule] {
            try spec[key].map { try list($0, "\(key) of \(name)") }?.map { rule in
                let action: AdminNetworkPolicy.Action
                switch rule["action"]?.scalar {
                case "Allow": action = .allow
                case "Deny": action = .deny
                case "Pass" where !baseline: action = .pass
                default: throw ReadFailure(Self.file, "\(kind) \(name): a rule whose action is not \(baseline ? "Allow or Deny" : "Allow, Deny or Pass")")
                }
                let peers = try list(rule[side], "\(side) of a rule of \(name)").flatMap { node in
                    try adminPods(of: adminPeer(node, "a peer of \(name)", egress: key == "egress"), node, kind: kind, name: name, cluster: &cluster)
                }
                guard !peers.isEmpty else { throw ReadFailure(Self.file, "\(kind) \(name): a rule with no peers") }
                let ports = try rule["ports"].map { try list($0, "ports").map(adminPort) }
                return AdminNetworkPolicy.Rule(name: rule["name"]?.scalar ?? "", action: action, peers: peers, ports: ports)
            } ?? []
        }
        return AdminNetworkPolicy(name: name, priority: priority, subject: subject, ingress: try rules("ingress", "from"), egress: try rules("egress", "to"))
    }

    /// `peer`, and for a `networks` peer the pods it matches too: the platform checks pod
    /// addresses against it as well, and a file reader knows pods only by the cluster
    /// networks. A peer that holds every cluster network matches every pod; one that holds
    /// part of them, or any when the reader knows no cluster networks, fails the read.
    func adminPods(of peer: AdminNetworkPolicy.Peer, _ node: YAMLNode, kind: String, name: String, cluster: inout AddressSet?) throws
        -> [AdminNetworkPolicy.Peer]
    {
        guard case .networks(let cidrs) = peer else { return [peer] }
        let known = cluster ?? clusterNetworks ?? OpenShiftOptions.of(policy, target: .openshift).clusterNetworks
        cluster = known
        let place = "\(kind) \(name) (line \(node.range.start.line))"
        guard !known.isEmpty else {
            throw ReadFailure(
                Self.file,
                "\(place): a networks peer, which the platform matches against pod addresses too, and no cluster networks to tell "
                    + "which pods it holds: set the target option cluster_networks")
        }
        let addresses = cidrs.reduce(AddressSet.empty) { $0.union($1.addressSet) }
        let held = known.intersection(addresses)
        if held.isEmpty { return [peer] }
        guard held == known else {
            throw ReadFailure(
                Self.file,
                "\(place): networks \(cidrs.map(\.description).joined(separator: ", ")) hold part of the cluster networks: "
                    + "which pods they match depends on pod addresses, which the files do not say")
        }
        return [peer, .namespaces(.everything)]
    }

    func adminPeer(_ node: YAMLNode?, _ what: String, egress: Bool) throws -> AdminNetworkPolicy.Peer {
        guard let node, case .mapping(let pairs) = node.content, pairs.count == 1 else {
            throw ReadFailure(Self.file, "\(what) is not exactly one of namespaces, pods\(egress ? ", networks" : "")")
        }
        let value = pairs[0].value
        switch pairs[0].name {
        case "namespaces": return .namespaces(try adminSelector(value))
        case "pods": return .pods(namespaces: try adminSelector(value["namespaceSelector"]), pods: try adminSelector(value["podSelector"]))
        case "networks" where egress: return .networks(try list(value, "networks").map { try cidr($0.scalar) })
        case let other: throw ReadFailure(Self.file, "\(what): the reader does not take '\(other)'")
        }
    }

    /// `matchLabels` and `matchExpressions` with operator `In`.
    func adminSelector(_ node: YAMLNode?) throws -> LabelSelector {
        guard let node else { throw ReadFailure(Self.file, "a selector is missing") }
        var selector = LabelSelector(labels: try labels(node["matchLabels"]))
        for expression in try node["matchExpressions"].map({ try list($0, "matchExpressions") }) ?? [] {
            guard expression["operator"]?.scalar == "In", let key = expression["key"]?.scalar else {
                throw ReadFailure(Self.file, "a matchExpression whose operator is not In: the reader takes In only")
            }
            let values = Set(try strings(expression["values"]))
            selector.valuesIn[key] = selector.valuesIn[key].map { $0.intersection(values) } ?? values
        }
        return selector
    }

    func adminPort(_ node: YAMLNode) throws -> PolicyPort {
        if let number = node["portNumber"] {
            guard let port = number["port"]?.scalar.flatMap({ Int($0) }) else { throw ReadFailure(Self.file, "a portNumber without a port") }
            return PolicyPort(proto: try transport(number["protocol"]?.scalar ?? "TCP"), port: port)
        }
        if let range = node["portRange"] {
            guard let start = range["start"]?.scalar.flatMap({ Int($0) }), let end = range["end"]?.scalar.flatMap({ Int($0) }), start <= end else {
                throw ReadFailure(Self.file, "a portRange without start and end")
            }
            return PolicyPort(proto: try transport(range["protocol"]?.scalar ?? "TCP"), port: start, endPort: end)
        }
        throw ReadFailure(Self.file, "a port that is neither portNumber nor portRange (named ports: the reader takes numbers only)")
    }
}
