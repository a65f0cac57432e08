import IR

/// What Mesos allows, kept as the platform states it: container networks (every member
/// reaches every member, itself included, on every port), host ports open to every address,
/// and egress everywhere. Differences from the intent are computed per network from the
/// intent's own pairs, so a network of N workloads costs O(N + the intent's pairs in it), not
/// N²; only `relation` (the IR's pair-by-pair form) enumerates a network's pairs.
struct MesosRelation {
    var networks: [MesosPlan.Network]
    var mapped: [WorkloadID: PortSet]
    var workloads: [WorkloadID]

    /// Egress rules allowing every port to every external peer.
    static let everythingOut = ExternalRules(entries: [.init(ports: .all, peers: .any)])

    /// A network's widening: its members, how many (source, destination) pairs of them the
    /// files allow beyond the intent, and on which ports (the union over those pairs).
    struct Widening {
        var network: Int
        var pairs: Int
        var ports: PortSet
    }

    /// The external part alone (host ports and egress): linear in the workloads.
    var external: Relation {
        var relation = Relation()
        for (workload, ports) in mapped {
            relation.ingress[workload] = ExternalRules(entries: [.init(ports: ports, peers: ExternalSet(addresses: .all))])
        }
        for workload in workloads { relation.egress[workload] = Self.everythingOut }
        return relation
    }

    /// The networks of each workload, by index into `networks`, by workload index (a workload
    /// past the end, or with none, is on no network).
    var networksOf: [[Int]] {
        var result = [[Int]](repeating: [], count: (networks.lazy.flatMap(\.members).map(\.index).max() ?? -1) + 1)
        for (index, network) in networks.enumerated() {
            for member in network.members { result[member.index].append(index) }
        }
        return result
    }

    /// The networks of one workload, from `networksOf`.
    static func networks(_ of: [[Int]], _ workload: WorkloadID) -> [Int] { workload.index < of.count ? of[workload.index] : [] }

    /// Whether two workloads share a network.
    static func share(_ a: [Int], _ b: [Int]) -> Bool {
        a.count <= b.count ? a.contains { b.contains($0) } : b.contains { a.contains($0) }
    }

    /// For each network of more than one workload, what it allows beyond the intent: counted
    /// from the intent's pairs inside it (a pair the intent allows on every port widens
    /// nothing; any other pair widens by the ports the intent leaves out).
    func widenings(beyond intent: Relation) -> [Widening] {
        let of = networksOf
        var named = [Int](repeating: 0, count: networks.count)
        var fullyAllowed = [Int](repeating: 0, count: networks.count)
        var residual = [PortSet](repeating: PortSet(), count: networks.count)
        for (pair, ports) in intent.betweenWorkloads {
            let (a, b) = (Self.networks(of, pair.source), Self.networks(of, pair.destination))
            for network in a where b.contains(network) {
                named[network] += 1
                if ports == .all { fullyAllowed[network] += 1 } else { residual[network].formUnion(PortSet.all.subtracting(ports)) }
            }
        }
        return networks.indices.compactMap { index in
            let size = networks[index].members.count
            guard size > 1 else { return nil }
            let pairs = size * size - fullyAllowed[index]
            guard pairs > 0 else { return nil }
            // A pair the intent does not name at all is widened on every port.
            return Widening(network: index, pairs: pairs, ports: named[index] < size * size ? .all : residual[index])
        }
    }

    /// The intent's pairs no network joins (blocked), with their ports: O(the intent's pairs).
    func narrowedPairs(of intent: Relation) -> [WorkloadPair: PortSet] {
        let of = networksOf
        var result: [WorkloadPair: PortSet] = [:]
        for (pair, ports) in intent.betweenWorkloads where !Self.share(Self.networks(of, pair.source), Self.networks(of, pair.destination)) {
            result[pair] = ports
        }
        return result
    }

    /// The pairs of the networks the intent does not fully allow, with the ports it leaves
    /// out: `relation − intent` between workloads, enumerated (the IR's form; quadratic in a
    /// network's size).
    func widenedPairs(beyond intent: Relation) -> [WorkloadPair: PortSet] {
        widenedByNetworks(networks.map(\.members), beyond: intent.betweenWorkloads)
    }

    /// `widenedPairs` as products, for networks that share no workload (the Docker
    /// containerizer's one network per app): each network's members × its members × every
    /// port, less the intent's pairs inside it (`GroupedRelation.subtracting`), so a network of
    /// N workloads costs O(N + the intent's pairs in it), never N².
    func widenedProducts(beyond intent: Relation) -> ProductRelation {
        var between: [GroupedRelation.Pair: PortSet] = [:]
        for index in networks.indices { between[GroupedRelation.Pair(source: index, destination: index)] = .all }
        return GroupedRelation(groups: networks.map(\.members), between: between).subtracting(Relation(betweenWorkloads: intent.betweenWorkloads))
    }

    /// Every (source, destination) pair of every network, itself included, on every port.
    var pairs: [WorkloadPair: PortSet] {
        var result: [WorkloadPair: PortSet] = [:]
        result.reserveCapacity(networks.reduce(0) { $0 + $1.members.count * $1.members.count })
        let all = PortSet.all
        for network in networks {
            for a in network.members {
                for b in network.members { result[WorkloadPair(a, b)] = all }
            }
        }
        return result
    }

    /// The whole relation in the IR's pair-by-pair form (quadratic in a network's size).
    var relation: Relation {
        var relation = external
        relation.betweenWorkloads = pairs
        return relation
    }
}
