import IR

/// Which container networks exist and who joins them, which ports are mapped to host ports,
/// and the relation that results on Mesos. With the Docker containerizer an app may join one
/// container network only (Marathon `AppValidation.complyWithDockerNetworkingRules`, Mesos
/// `docker.cpp`), so networks are the connected components of the "may talk" graph; the
/// Mesos containerizer (UCR) may join several, so networks are the cliques of an edge clique
/// cover, as on Swarm.
struct MesosPlan {
    struct Network {
        var name: String
        var members: [WorkloadID]
    }

    let policy: Policy
    let options: MesosOptions
    /// The root Marathon group.
    let root: String
    var networks: [Network] = []
    /// Host ports mapped per workload (tcp and udp: Marathon's port protocols).
    var mapped: [WorkloadID: PortSet] = [:]
    let workloads: [WorkloadID]

    /// What Mesos allows with these networks and host ports; quadratic in the size of a
    /// network, so computed only once the networks are known to be small enough.
    var planned: Relation { MesosReader.relation(networks: networks, mapped: mapped, workloads: workloads) }

    static let mappable = PortSet.whole(.tcp).union(.whole(.udp))

    /// The most workloads one container network may hold: with the Docker containerizer's one
    /// network per app, a connected group of workloads shares one network, and its every pair
    /// may talk; beyond this the widening is not worth computing or deploying.
    static let largestNetwork = 256

    init(policy: Policy, options: MesosOptions) throws {
        self.policy = policy
        self.options = options
        root = options.group ?? "/\(policy.name)"
        let gaps = options.gaps
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
        switch options.containerizer {
        case .docker:
            groups = connectedComponents(vertexCount: policy.workloads.count, edges: edges)
            if gaps == .narrow {
                // A component shares one network only if every pair in it may already talk freely.
                groups = groups.flatMap { group in
                    let complete = group.count <= Self.largestNetwork
                        && group.indices.allSatisfy { i in group[(i + 1)...].allSatisfy { fullyAllowed(group[i], $0) } }
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
        try checkLimits()
    }

    func checkLimits() throws {
        guard let largest = networks.max(by: { $0.members.count < $1.members.count }), largest.members.count > Self.largestNetwork else { return }
        let count = largest.members.count
        throw BackendError(.error(
            .targetLimit,
            "mesos: \(count) workloads form one connected group, and the Docker containerizer gives each app one network: "
                + "they would all share it (\(count * count) pairs); Palisade stops at \(Self.largestNetwork) workloads per network",
            at: options.containerizerOrigin,
            help: "set 'containerizer: mesos' (several networks per app), or split the spec"))
    }
}
