import IR

/// Which container networks exist and who joins them, which ports are mapped to host ports,
/// and the relation that results on Mesos. With the Docker containerizer an app may join one
/// container network only (Marathon `AppValidation.complyWithDockerNetworkingRules`, Mesos
/// `docker.cpp`), so networks are the connected components of the "may talk" graph; the
/// Mesos containerizer (UCR) may join several, so each pair that may talk has a network, as on
/// Swarm.
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

    /// The longest network name Palisade writes: container network names are the operator's
    /// CNI configuration names, kept to a DNS label's 63 characters.
    static let nameLimit = 63

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
        // Networks are named after their members (`net-a-b-c`, `link-a-b`, `own-a`), never
        // numbered: what a new flow or workload does not touch keeps its network.
        var candidates: [(network: Network, key: String)] = []
        func add(_ kind: String, _ group: [Int]) {
            let names = group.map { policy.workloads[$0].name }.sorted()
            let kind = group.count == 1 ? "own" : kind
            candidates.append(
                (Network(name: ([kind] + names).joined(separator: "-"), members: group.map(WorkloadID.init)), "\(kind)|" + names.joined(separator: "|")))
        }
        switch options.containerizer {
        case .docker:
            var groups = connectedComponents(vertexCount: policy.workloads.count, edges: edges)
            if gaps == .narrow {
                // A component shares one network only if every pair in it may already talk freely.
                groups = groups.flatMap { group in
                    let complete =
                        group.count <= Self.largestNetwork
                        && group.indices.allSatisfy { i in group[(i + 1)...].allSatisfy { fullyAllowed(group[i], $0) } }
                    return complete ? [group] : group.map { [$0] }
                }
            }
            for group in groups { add("net", group) }
        case .mesos:
            // A network per pair that may talk, as on Swarm: a new flow changes the networks
            // of its own two workloads and no other's.
            var pairs = Set<[Int]>()
            for (a, b) in edges where gaps == .widen || fullyAllowed(a, b) { pairs.insert([min(a, b), max(a, b)]) }
            for pair in pairs { add("link", pair) }
            let covered = Set(pairs.joined())
            for index in policy.workloads.indices where !covered.contains(index) { add("own", [index]) }
        }
        let names = StableName.unique(candidates.map { ($0.network.name, $0.key) }, limit: Self.nameLimit)
        networks = zip(candidates, names).map { candidate, name in
            var network = candidate.network
            network.name = name
            return network
        }.sorted { $0.name < $1.name }

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
        throw BackendError(
            .error(
                .targetLimit,
                "mesos: \(count) workloads form one connected group, and the Docker containerizer gives each app one network: "
                    + "they would all share it (\(count * count) pairs); Palisade stops at \(Self.largestNetwork) workloads per network",
                at: options.containerizerOrigin,
                help: "set 'containerizer: mesos' (several networks per app), or split the spec"))
    }
}
