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
    private let networksByName: [String: Int]
    /// Each workload's identity sets, by family (v4, v6), built once: every ruleset that names
    /// the workload declares the same set.
    private let identitySets: [[NFTSet]]
    /// Each network's sets, by family, built once.
    private let networkSets: [[NFTSet]]
    /// For each workload (network), the first one whose set has the same name: a ruleset
    /// declares a name once, with the set of the first workload (network) it names by it.
    private let identityKeys: [Int]
    private let networkKeys: [Int]
    /// Each flow's rule comment, by position in the policy.
    private let labels: [String]
    /// Each flow's protocol matches on its own ports, by position in the policy.
    private let flowMatches: [[PortMatch]]
    /// Each allow's protocol matches on what each of its destinations listens on, by position
    /// in the policy and place among the flow's destination workloads (empty for a deny):
    /// found once per destination, for its input chain and for every source's output chain,
    /// where each chain found them again (and the reader, given one array per match, finds
    /// its port sets by identity).
    private let destinationMatches: [[[PortMatch]]]

    init(policy: Policy, options: NFTablesOptions) {
        self.policy = policy
        self.options = options
        peerNamer = PeerNamer(policy)
        networksByName = Dictionary(policy.networks.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
        identitySets = policy.workloads.indices.map { position in
            let name = policy.workloads[position].name
            return NFTFamily.allCases.map { family in
                NFTSet(
                    name: NFTNames.identity(name, family), family: family, comment: "hosts of workload \(name)", elements: options.entries(name, family))
            }
        }
        networkSets = policy.networks.map { network in
            NFTFamily.allCases.map { family in
                NFTSet(
                    name: NFTNames.network(network.name, family), family: family, comment: "network \(network.name)",
                    elements: family.part(of: network.members.addresses).cidrs)
            }
        }
        identityKeys = Self.firstOfName(identitySets.map { $0[0].name })
        networkKeys = Self.firstOfName(networkSets.map { $0[0].name })
        // Each flow's parts read in place, by position (no flow copied per step).
        let flows = policy.flows
        labels = flows.indices.map { flows[$0].name.map { "flow \($0)" } ?? flows[$0].label }
        var memo = MatchMemo()
        flowMatches = flows.indices.map { memo.matches(flows[$0].ports) }
        destinationMatches = flows.indices.map { position in
            guard flows[position].action != .deny else { return [] }
            return flows[position].destinations.workloads.map { destination in
                memo.matches(flows[position].ports.intersection(policy.workloads[destination.index].listens))
            }
        }
        // The flows that touch each workload, in spec order, as a destination (with the
        // workload's place among the flow's destinations) and as a source (by position in the
        // policy).
        var into = [[Int]](repeating: [], count: policy.workloads.count)
        var places = [[Int]](repeating: [], count: policy.workloads.count)
        var outOf = [[Int]](repeating: [], count: policy.workloads.count)
        for position in flows.indices {
            for (place, destination) in flows[position].destinations.workloads.enumerated() {
                into[destination.index].append(position)
                places[destination.index].append(place)
            }
            for source in flows[position].sources.workloads { outOf[source.index].append(position) }
        }
        // Every workload's inventory entries, as given, in the policy's order: one set per
        // family, the same in every ruleset.
        let hostSets = NFTFamily.allCases.map { family in
            NFTSet(
                name: NFTNames.hosts(family), family: family, comment: "every workload host of policy \(policy.name)",
                elements: policy.workloads.flatMap { options.entries($0.name, family) })
        }
        let table = options.table(policy)
        var sets = Sets(workloads: policy.workloads.count, networks: policy.networks.count)
        var rulesets: [NFTRuleset] = []
        rulesets.reserveCapacity(policy.workloads.count)
        // Each workload by position, read in place (a copy of the whole workload is a retain and
        // a release of each of its many parts).
        for position in policy.workloads.indices {
            sets.start(hostSets)
            let id = policy.workloads[position].id.index
            let input = chain(.input, position, flows: into[id], places: places[id], sets: &sets)
            let output = chain(.output, position, flows: outOf[id], places: [], sets: &sets)
            rulesets.append(NFTRuleset(table: table, sets: sets.declared, input: input, output: output))
        }
        self.rulesets = rulesets
    }

    /// The rulesets, handed over: the plan keeps none, so that the emitter can let each go
    /// once written (`NFTablesEmitter.texts`).
    mutating func takeRulesets() -> [NFTRuleset] {
        defer { rulesets = [] }
        return rulesets
    }

    /// For each name, the position of its first occurrence.
    static func firstOfName(_ names: [String]) -> [Int] {
        var first: [String: Int] = [:]
        return names.enumerated().map { position, name in
            if let earlier = first[name] { return earlier }
            first[name] = position
            return position
        }
    }

    /// The sets a ruleset names, declared in the order first named (after the host sets).
    struct Sets {
        var declared: [NFTSet] = []
        /// The ruleset that last declared each identity (network) set name, by key and family:
        /// a mark per ruleset, so nothing is cleared between rulesets.
        private var identityMarks: [Int]
        private var networkMarks: [Int]
        private var generation = -1

        init(workloads: Int, networks: Int) {
            identityMarks = Array(repeating: -1, count: 2 * workloads)
            networkMarks = Array(repeating: -1, count: 2 * networks)
        }

        /// Starts the next ruleset, with the sets every ruleset declares first.
        mutating func start(_ first: [NFTSet]) {
            generation += 1
            declared = first
        }

        /// Declares `set` unless the ruleset already declared its name (`key` and `family`).
        mutating func name(_ set: NFTSet, key: Int, _ family: NFTFamily, identity: Bool) -> String {
            let slot = 2 * key + (family == .v4 ? 0 : 1)
            if identity {
                if identityMarks[slot] != generation {
                    identityMarks[slot] = generation
                    declared.append(set)
                }
            } else if networkMarks[slot] != generation {
                networkMarks[slot] = generation
                declared.append(set)
            }
            return set.name
        }
    }

    func identity(_ id: WorkloadID, _ family: NFTFamily, _ sets: inout Sets) -> String {
        sets.name(identitySets[id.index][family == .v4 ? 0 : 1], key: identityKeys[id.index], family, identity: true)
    }

    func network(_ index: Int, _ family: NFTFamily, _ sets: inout Sets) -> String {
        sets.name(networkSets[index][family == .v4 ? 0 : 1], key: networkKeys[index], family, identity: false)
    }

    /// One chain of the ruleset of the workload at `position` in the policy; `places`: in the
    /// input chain, the workload's place among each flow's destination workloads (by the flow's
    /// place in `flows`).
    func chain(_ hook: NFTChain.Hook, _ position: Int, flows: [Int], places: [Int], sets: inout Sets) -> NFTChain {
        var chain = NFTChain(hook: hook)
        let listens = policy.workloads[position].listens
        var workloadDrops: [NFTRule] = []
        // The workload accepts, the bulk of the rules, appended here; the fixed rules and the
        // drops go in ahead of them once known (the accepts moved, not copied).
        var rules: [NFTRule] = []
        var externalDrops: [NFTRule] = []
        var externalAccepts: [NFTRule] = []
        var nameDenies: [(ports: PortSet, label: String)] = []
        rules.reserveCapacity(Self.fixedRules.count + 2 + workloadRuleCount(hook, flows: flows, places: places))
        for (index, position) in flows.enumerated() {
            // The flow's parts, read in place (not the whole flow copied).
            let deny = policy.flows[position].action == .deny
            let flowPorts = policy.flows[position].ports
            let label = labels[position]
            // The workloads at the other end, with the matches of the ports each takes (an
            // allow is clipped to what its destination listens on: in the input chain every
            // peer takes the same ports).
            let peers = hook == .input ? policy.flows[position].sources.workloads : policy.flows[position].destinations.workloads
            for (place, peer) in peers.enumerated() {
                let matches =
                    deny ? flowMatches[position] : destinationMatches[position][hook == .input ? places[index] : place]
                guard !matches.isEmpty else { continue }
                for family in NFTFamily.allCases {
                    let name = identity(peer, family, &sets)
                    for match in matches {
                        let rule = match.rule(family: family, peer: .set(name), deny: deny, label: label)
                        if deny { workloadDrops.append(rule) } else { rules.append(rule) }
                    }
                }
            }
            let external = hook == .input ? policy.flows[position].sources.external : policy.flows[position].destinations.external
            guard !external.isEmpty else { continue }
            let ports = deny || hook == .output ? flowPorts : flowPorts.intersection(listens)
            guard !ports.isEmpty else { continue }
            let matches = deny || hook == .output ? flowMatches[position] : destinationMatches[position][places[index]]
            var externalRules: [NFTRule] = []
            // A host firewall matches no names: a dns: destination is every address on its
            // ports (widen) or nothing (narrow), and a deny of names the reverse. Under narrow,
            // a deny of names drops every address only on the ports an accept of every address
            // opens (decided once the chain's accepts are known): where no accept reaches names,
            // there is nothing of theirs to drop.
            let names = !external.dns.isEmpty && (options.gaps == .widen) != deny
            if deny && names && !external.addresses.isAll { nameDenies.append((ports, label)) }
            if (names && !deny) || external.addresses.isAll {
                externalRules += Self.rules(family: nil, peer: nil, ports: ports, deny: deny, label: label)
            } else {
                for part in peerNamer.parts(external.addresses) {
                    for family in NFTFamily.allCases {
                        let addresses = family.part(of: part.addresses)
                        guard !addresses.isEmpty else { continue }
                        let peer: NFTRule.Peer
                        if let network = networksByName[part.slug], policy.networks[network].members.addresses == part.addresses {
                            peer = .set(self.network(network, family, &sets))
                        } else {
                            peer = .addresses(addresses)
                        }
                        for match in matches { externalRules.append(match.rule(family: family, peer: peer, deny: deny, label: label)) }
                    }
                }
            }
            if deny { externalDrops += externalRules } else { externalAccepts += externalRules }
        }
        // The ports on which an accept of every address (which reaches every name) is open.
        let openToNames = nameDenies.isEmpty ? PortSet() : PortSet(unionOf: externalAccepts.filter { $0.peer == nil }.map(\.ports.portSet))
        for (ports, label) in nameDenies {
            let dropped = ports.intersection(openToNames)
            if !dropped.isEmpty { externalDrops += Self.rules(family: nil, peer: nil, ports: dropped, deny: true, label: label) }
        }
        rules.reserveCapacity(Self.fixedRules.count + 2 + workloadDrops.count + rules.count + externalDrops.count + externalAccepts.count)
        rules.insert(contentsOf: Self.fixedRules + workloadDrops, at: 0)
        if !externalAccepts.isEmpty {
            // Workload hosts are peers through their own sets only, never as external addresses.
            for family in NFTFamily.allCases {
                rules.append(NFTRule(family: family, peer: .set(NFTNames.hosts(family)), verdict: .drop, comment: "other workload hosts"))
            }
            rules += externalDrops
            rules += externalAccepts
        }
        chain.rules = rules
        if options.logDenied {
            let prefix = "palisade \(policy.name) \(policy.workloads[position].name) \(hook.rawValue) drop: "
            chain.rules = Self.logged(chain.rules, prefix: prefix)
        }
        return chain
    }

    /// The rules every chain starts with.
    static let fixedRules: [NFTRule] = [.fixed(.loopback), .fixed(.established), .fixed(.invalid), .fixed(.neighbourDiscovery)]

    /// How many rules `chain` writes between workloads (each peer's matches, in both
    /// families): its rules' array is made that large at once, where appending grew it
    /// several times per chain.
    func workloadRuleCount(_ hook: NFTChain.Hook, flows: [Int], places: [Int]) -> Int {
        var count = 0
        // The flows' parts read in place (no flow copied).
        let all = policy.flows
        for (index, position) in flows.enumerated() {
            if all[position].action == .deny {
                let peers = hook == .input ? all[position].sources.workloads.count : all[position].destinations.workloads.count
                count += peers * flowMatches[position].count
            } else if hook == .input {
                count += all[position].sources.workloads.count * destinationMatches[position][places[index]].count
            } else {
                for matches in destinationMatches[position] { count += matches.count }
            }
        }
        return NFTFamily.allCases.count * count
    }

    /// `NFTablesPlan.matches` of each distinct port set, made once (none for no ports): a
    /// large estate's flows and destinations take a few hundred distinct port sets, and
    /// splitting one into protocol runs costs several times hashing it. Equal port sets get
    /// one array, which the reader's `PortSets` then meets by identity.
    struct MatchMemo {
        private var made: [PortSet: [PortMatch]] = [:]

        mutating func matches(_ ports: PortSet) -> [PortMatch] {
            if ports.isEmpty { return [] }
            if let known = made[ports] { return known }
            let matches = NFTablesPlan.matches(ports)
            made[ports] = matches
            return matches
        }
    }

    /// One protocol match of a rule, before its family is known (ICMP is `icmp` for IPv4,
    /// `ipv6-icmp` for IPv6, both without an address match).
    enum PortMatch: Equatable {
        case ports(NFTRule.Ports)
        case icmp

        static let icmpV4 = NFTRule.Ports.icmp([.v4])
        static let icmpV6 = NFTRule.Ports.icmp([.v6])
        static let icmpBoth = NFTRule.Ports.icmp(Set(NFTFamily.allCases))

        func ports(_ family: NFTFamily?) -> NFTRule.Ports {
            switch self {
            case .ports(let ports): ports
            case .icmp: family.map { $0 == .v4 ? Self.icmpV4 : Self.icmpV6 } ?? Self.icmpBoth
            }
        }

        func rule(family: NFTFamily?, peer: NFTRule.Peer?, deny: Bool, label: String) -> NFTRule {
            NFTRule(family: family, peer: peer, ports: ports(family), verdict: deny ? .drop : .accept, comment: label)
        }
    }

    /// The protocol matches of some ports: one per protocol, or one without a protocol match
    /// for every port.
    static func matches(_ ports: PortSet) -> [PortMatch] {
        if ports == .all { return [.ports(.all)] }
        return ports.protocolRuns.map { proto, ranges in
            if proto == .icmp { return .icmp }
            if ranges.count == 1, ranges[ranges.startIndex].isWholeProtocol { return .ports(.whole(proto)) }
            return .ports(.ranges(proto, Array(ranges)))
        }
    }

    /// The rules of one peer on some ports: one per protocol (ICMP for the rule's family),
    /// or one without a protocol match for every port.
    static func rules(family: NFTFamily?, peer: NFTRule.Peer?, ports: PortSet, deny: Bool, label: String) -> [NFTRule] {
        matches(ports).map { $0.rule(family: family, peer: peer, deny: deny, label: label) }
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
