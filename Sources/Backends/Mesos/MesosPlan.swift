import IR

/// Which container networks exist and who joins them, which ports are mapped to host ports,
/// and the relation that results on Mesos. With the Docker containerizer an app may join one
/// container network only (Marathon `AppValidation.complyWithDockerNetworkingRules`, Mesos
/// `docker.cpp`), so networks are the connected components of the "may talk" graph; the
/// Mesos containerizer (UCR) may join several, so networks are the cliques of an edge clique
/// cover, as on Swarm.
struct MesosPlan {
    enum Containerizer: String { case docker, mesos }

    struct Network {
        var name: String
        var members: [WorkloadID]
    }

    var networks: [Network] = []
    /// Host ports mapped per workload (tcp and udp: Marathon's port protocols).
    var mapped: [WorkloadID: PortSet] = [:]
    let workloads: [WorkloadID]

    /// What Mesos allows with these networks and host ports; quadratic in the size of a
    /// network, so computed only once the networks are known to be small enough.
    var planned: Relation { MesosPlan.relation(networks: networks, mapped: mapped, workloads: workloads) }

    static let mappable = PortSet.whole(.tcp).union(.whole(.udp))

    init(policy: Policy, gaps: GapPolicy, containerizer: Containerizer) {
        let intent = policy.intent
        workloads = policy.workloads.map(\.id)
        var edges: [(Int, Int)] = []
        for (pair, _) in intent.sortedPairs where pair.source != pair.destination {
            edges.append((pair.source.index, pair.destination.index))
        }
        let fullyAllowed = { (a: Int, b: Int) -> Bool in
            intent.ports(from: WorkloadID(a), to: WorkloadID(b)) == .all && intent.ports(from: WorkloadID(b), to: WorkloadID(a)) == .all
        }
        var groups: [[Int]]
        switch containerizer {
        case .docker:
            groups = connectedComponents(vertexCount: policy.workloads.count, edges: edges)
            if gaps == .narrow {
                // A component shares one network only if every pair in it may already talk freely.
                groups = groups.flatMap { group in
                    let complete = group.count <= MesosBackend.largestNetwork && group.indices.allSatisfy { i in group[(i + 1)...].allSatisfy { fullyAllowed(group[i], $0) } }
                    return complete ? [group] : group.map { [$0] }
                }
            }
        case .mesos:
            let kept = gaps == .narrow ? edges.filter { fullyAllowed($0.0, $0.1) } : edges
            let cover = EdgeCliqueCover(vertexCount: policy.workloads.count, edges: kept).cliques
            let covered = Set(cover.joined())
            groups = cover + policy.workloads.indices.filter { !covered.contains($0) }.map { [$0] }
        }
        for (index, group) in groups.enumerated() {
            let kind = group.count == 1 ? "own" : "net"
            networks.append(Network(name: "\(kind)-\(index + 1)", members: group.map(WorkloadID.init)))
        }

        for workload in policy.workloads {
            guard let rules = intent.ingress[workload.id] else { continue }
            var ports = PortSet()
            for entry in rules.entries {
                if gaps == .narrow, !entry.peers.addresses.isAll { continue }
                ports.formUnion(entry.ports.intersection(Self.mappable))
            }
            if !ports.isEmpty { mapped[workload.id] = ports }
        }
    }

    /// Members of a container network reach each other (and themselves) on every port;
    /// host ports are open to every address; every task reaches every external peer
    /// (egress is the CNI network's business, configured outside Marathon and Mesos).
    static func relation(networks: [Network], mapped: [WorkloadID: PortSet], workloads: [WorkloadID]) -> Relation {
        var relation = Relation()
        for network in networks {
            for a in network.members {
                for b in network.members { relation.betweenWorkloads[WorkloadPair(a, b)] = .all }
            }
        }
        for (workload, ports) in mapped {
            relation.ingress[workload] = ExternalRules(entries: [.init(ports: ports, peers: ExternalSet(addresses: .all))])
        }
        let everythingOut = ExternalRules(entries: [.init(ports: .all, peers: .any)])
        for workload in workloads { relation.egress[workload] = everythingOut }
        return relation
    }
}
