import IR

/// The rulesets of a policy, one per workload, decided from the flows: in each chain the
/// denies between workloads (drop), the allows between workloads (accept), a drop of every
/// other workload host, then the external denies and allows. Deny flows stay native drop
/// rules ahead of the accepts, so the rules grow with the spec, not with what a deny cuts out
/// of an allow. Peers are sets: a workload's hosts (`@id_web`), a network (`@net_corp`),
/// every workload host (`@hosts`).
struct NFTablesPlan {
    let policy: Policy
    let options: NFTablesOptions
    /// By workload index.
    private(set) var rulesets: [NFTRuleset] = []
    private let peerNamer: PeerNamer
    private let networksByName: [String: Network]

    init(policy: Policy, options: NFTablesOptions) {
        self.policy = policy
        self.options = options
        peerNamer = PeerNamer(policy)
        networksByName = Dictionary(policy.networks.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        // The flows that touch each workload, in spec order, as a destination and as a source.
        var into = [[Flow]](repeating: [], count: policy.workloads.count)
        var outOf = [[Flow]](repeating: [], count: policy.workloads.count)
        for flow in policy.flows {
            for destination in flow.destinations.workloads { into[destination.index].append(flow) }
            for source in flow.sources.workloads { outOf[source.index].append(flow) }
        }
        // Every workload's inventory entries, as given, in the policy's order.
        let everyHost = NFTFamily.allCases.map { family in policy.workloads.flatMap { options.entries($0.name, family) } }
        rulesets = policy.workloads.map { workload in
            var sets = Sets(plan: self)
            let input = chain(.input, workload, flows: into[workload.id.index], sets: &sets)
            let output = chain(.output, workload, flows: outOf[workload.id.index], sets: &sets)
            let hostSets = NFTFamily.allCases.map { family in
                NFTSet(
                    name: NFTNames.hosts(family), family: family, comment: "every workload host of policy \(policy.name)",
                    elements: everyHost[family == .v4 ? 0 : 1])
            }
            return NFTRuleset(table: options.table(policy), sets: hostSets + sets.declared, input: input, output: output)
        }
    }

    /// The sets a ruleset names, declared in the order first named.
    struct Sets {
        let plan: NFTablesPlan
        var declared: [NFTSet] = []
        var names: Set<String> = []

        mutating func identity(_ id: WorkloadID, _ family: NFTFamily) -> String {
            let workload = plan.policy.workloads[id.index]
            let name = NFTNames.identity(workload.name, family)
            if names.insert(name).inserted {
                declared.append(
                    NFTSet(name: name, family: family, comment: "hosts of workload \(workload.name)", elements: plan.options.entries(workload.name, family)))
            }
            return name
        }

        mutating func network(_ network: Network, _ family: NFTFamily) -> String {
            let name = NFTNames.network(network.name, family)
            if names.insert(name).inserted {
                declared.append(
                    NFTSet(name: name, family: family, comment: "network \(network.name)", elements: family.part(of: network.members.addresses).cidrs))
            }
            return name
        }
    }

    /// One chain of a workload's ruleset.
    func chain(_ hook: NFTChain.Hook, _ workload: Workload, flows: [Flow], sets: inout Sets) -> NFTChain {
        var chain = NFTChain(hook: hook)
        chain.rules = [.fixed(.loopback), .fixed(.established), .fixed(.invalid), .fixed(.neighbourDiscovery)]
        var workloadDrops: [NFTRule] = []
        var workloadAccepts: [NFTRule] = []
        var externalDrops: [NFTRule] = []
        var externalAccepts: [NFTRule] = []
        var nameDenies: [(ports: PortSet, label: String)] = []
        for flow in flows {
            let deny = flow.action == .deny
            let label = flow.name.map { "flow \($0)" } ?? flow.label
            // The workloads at the other end, with the ports each takes (an allow is clipped
            // to what its destination listens on).
            let peers = hook == .input ? flow.sources.workloads : flow.destinations.workloads
            for peer in peers {
                let receiver = hook == .input ? workload.id : peer
                let ports = deny ? flow.ports : flow.ports.intersection(policy.workloads[receiver.index].listens)
                guard !ports.isEmpty else { continue }
                for family in NFTFamily.allCases {
                    let rules = Self.rules(family: family, peer: .set(sets.identity(peer, family)), ports: ports, deny: deny, label: label)
                    if deny { workloadDrops += rules } else { workloadAccepts += rules }
                }
            }
            let external = hook == .input ? flow.sources.external : flow.destinations.external
            guard !external.isEmpty else { continue }
            let ports = deny || hook == .output ? flow.ports : flow.ports.intersection(workload.listens)
            guard !ports.isEmpty else { continue }
            var rules: [NFTRule] = []
            // A host firewall matches no names: a dns: destination is every address on its
            // ports (widen) or nothing (narrow), and a deny of names the reverse. Under narrow,
            // a deny of names drops every address only on the ports an accept of every address
            // opens (decided once the chain's accepts are known): where no accept reaches names,
            // there is nothing of theirs to drop.
            let names = !external.dns.isEmpty && (options.gaps == .widen) != deny
            if deny && names && !external.addresses.isAll { nameDenies.append((ports, label)) }
            if (names && !deny) || external.addresses.isAll {
                rules += Self.rules(family: nil, peer: nil, ports: ports, deny: deny, label: label)
            } else {
                for part in peerNamer.parts(external.addresses) {
                    for family in NFTFamily.allCases {
                        let addresses = family.part(of: part.addresses)
                        guard !addresses.isEmpty else { continue }
                        let peer: NFTRule.Peer
                        if let network = networksByName[part.slug], network.members.addresses == part.addresses {
                            peer = .set(sets.network(network, family))
                        } else {
                            peer = .addresses(addresses)
                        }
                        rules += Self.rules(family: family, peer: peer, ports: ports, deny: deny, label: label)
                    }
                }
            }
            if deny { externalDrops += rules } else { externalAccepts += rules }
        }
        // The ports on which an accept of every address (which reaches every name) is open.
        let openToNames = PortSet(unionOf: externalAccepts.filter { $0.peer == nil }.map(\.ports.portSet))
        for (ports, label) in nameDenies {
            let dropped = ports.intersection(openToNames)
            if !dropped.isEmpty { externalDrops += Self.rules(family: nil, peer: nil, ports: dropped, deny: true, label: label) }
        }
        chain.rules += workloadDrops + workloadAccepts
        if !externalAccepts.isEmpty {
            // Workload hosts are peers through their own sets only, never as external addresses.
            for family in NFTFamily.allCases {
                chain.rules.append(
                    NFTRule(family: family, peer: .set(NFTNames.hosts(family)), verdict: .drop, comment: "other workload hosts"))
            }
            chain.rules += externalDrops + externalAccepts
        }
        if options.logDenied { chain.rules = Self.logged(chain.rules, prefix: "palisade \(policy.name) \(workload.name) \(hook.rawValue) drop: ") }
        return chain
    }

    /// The rules of one peer on some ports: one per protocol (ICMP for the rule's family),
    /// or one without a protocol match for every port.
    static func rules(family: NFTFamily?, peer: NFTRule.Peer?, ports: PortSet, deny: Bool, label: String) -> [NFTRule] {
        var matches: [NFTRule.Ports] = []
        if ports == .all {
            matches = [.all]
        } else {
            for proto in ports.protocols {
                let ranges = ports.ranges.filter { $0.proto == proto }
                if proto == .icmp {
                    matches.append(.icmp(family.map { [$0] } ?? Set(NFTFamily.allCases)))
                } else if ranges.count == 1, ranges[0].isWholeProtocol {
                    matches.append(.whole(proto))
                } else {
                    matches.append(.ranges(proto, ranges))
                }
            }
        }
        return matches.map { NFTRule(family: family, peer: peer, ports: $0, verdict: deny ? .drop : .accept, comment: label) }
    }

    /// Every drop (and the chain's policy) preceded by a rate-limited log rule of the same match.
    static func logged(_ rules: [NFTRule], prefix: String) -> [NFTRule] {
        var result: [NFTRule] = []
        for rule in rules {
            if rule.kind == .match, rule.verdict == .drop {
                var log = rule
                log.verdict = nil
                log.log = prefix
                log.comment = nil
                result.append(log)
            }
            result.append(rule)
        }
        result.append(NFTRule(log: prefix))
        return result
    }
}
