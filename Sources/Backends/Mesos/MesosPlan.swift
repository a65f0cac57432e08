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
    /// Host ports mapped per workload (tcp and udp: Marathon's port protocols), at most
    /// `hostPortLimit` each.
    var mapped: [WorkloadID: PortSet] = [:]
    /// Workloads whose intended host ports exceed `hostPortLimit`: the ports left unmapped.
    var unmapped: [WorkloadID: PortSet] = [:]
    let workloads: [WorkloadID]

    /// What Mesos allows with these networks and host ports, kept as networks (never as the
    /// pairs of a network until a `Relation` is asked for).
    var planned: MesosRelation { MesosRelation(networks: networks, mapped: mapped, workloads: workloads) }

    static let mappable = PortSet.whole(.tcp).union(.whole(.udp))

    /// The most host ports Palisade maps for one app. Marathon's `portMappings` take one port
    /// each (`containerPort`, `hostPort`: integers, no ranges), so a range of N ports is N
    /// entries; past this cap the rest is left unmapped and reported as narrowed, rather than
    /// writing a file of hundreds of thousands of entries (tcp/1-65535 and udp/1-65535 would
    /// be 131,070). Mesos agents offer 1,001 ports by default (`[31000-32000]`).
    static let hostPortLimit = 1000

    /// The longest network name Palisade writes: container network names are the operator's
    /// CNI configuration names, kept to a DNS label's 63 characters.
    static let nameLimit = 63

    init(policy: Policy, options: MesosOptions) {
        self.policy = policy
        self.options = options
        root = options.group ?? "/\(policy.name)"
        let gaps = options.gaps
        let intent = policy.intent
        workloads = policy.workloads.map(\.id)
        var edges: [(Int, Int)] = []
        for (pair, _) in intent.betweenWorkloads where pair.source != pair.destination {
            edges.append((pair.source.index, pair.destination.index))
        }
        let fullyAllowed = { (a: Int, b: Int) -> Bool in
            intent.ports(from: WorkloadID(a), to: WorkloadID(b)) == .all && intent.ports(from: WorkloadID(b), to: WorkloadID(a)) == .all
        }
        // Networks are named after their members (`net-a-b-c`, `link-a-b`, `own-a`), never
        // numbered: what a new flow or workload does not touch keeps its network.
        var candidates: [(network: Network, key: String)] = []
        // The name (`kind-a-b`) and key (`kind|a|b`) built in place: a large estate's
        // thousands of link networks each made several strings and arrays to join.
        func add(_ kind: String, _ group: [Int]) {
            let names = group.map { policy.workloads[$0].name }.sorted()
            let kind = group.count == 1 ? "own" : kind
            let length = names.reduce(kind.utf8.count) { $0 + 1 + $1.utf8.count }
            var name = kind
            var key = kind
            name.reserveCapacity(length)
            key.reserveCapacity(length)
            for member in names {
                name += "-"
                name += member
                key += "|"
                key += member
            }
            candidates.append((Network(name: name, members: group.map(WorkloadID.init)), key))
        }
        switch options.containerizer {
        case .docker:
            var groups = connectedComponents(vertexCount: policy.workloads.count, edges: edges)
            if gaps == .narrow {
                // A component shares one network only if every pair in it may already talk
                // freely: counted from the intent's pairs, never by testing every pair.
                var component = [Int](repeating: 0, count: policy.workloads.count)
                for (index, group) in groups.enumerated() { for member in group { component[member] = index } }
                var free = [Int](repeating: 0, count: groups.count)
                for (pair, ports) in intent.betweenWorkloads where pair.source < pair.destination && ports == .all {
                    if fullyAllowed(pair.source.index, pair.destination.index) { free[component[pair.source.index]] += 1 }
                }
                groups = groups.enumerated().flatMap { index, group in
                    free[index] == group.count * (group.count - 1) / 2 ? [group] : group.map { [$0] }
                }
            }
            for group in groups { add("net", group) }
        case .mesos:
            // A network per pair that may talk, as on Swarm: a new flow changes the networks
            // of its own two workloads and no other's.
            var pairs: [(Int, Int)] = []
            for (a, b) in edges where gaps == .widen || fullyAllowed(a, b) { pairs.append((min(a, b), max(a, b))) }
            pairs.sort { $0 < $1 }
            var covered = [Bool](repeating: false, count: policy.workloads.count)
            for (index, pair) in pairs.enumerated() where index == 0 || pairs[index - 1] != pair {
                add("link", [pair.0, pair.1])
                covered[pair.0] = true
                covered[pair.1] = true
            }
            for index in policy.workloads.indices where !covered[index] { add("own", [index]) }
        }
        let names = StableName.unique(candidates.map { ($0.network.name, $0.key) }, limit: Self.nameLimit)
        // In name order, found once on the names alone (no network moved per comparison).
        networks = NameOrder.named(candidates.map(\.network), names) { $0.name = $1 }

        for workload in policy.workloads {
            guard let rules = intent.ingress[workload.id] else { continue }
            var ports = PortSet()
            for entry in rules.entries {
                if gaps == .narrow, !entry.peers.addresses.isAll { continue }
                ports.formUnion(entry.ports.intersection(Self.mappable))
            }
            guard !ports.isEmpty else { continue }
            let (kept, rest) = Self.capped(ports, limit: Self.hostPortLimit)
            mapped[workload.id] = kept
            if !rest.isEmpty { unmapped[workload.id] = rest }
        }
    }

    /// The first `limit` ports of a set (lowest first, tcp before udp), and the rest; counted
    /// by ranges, never port by port.
    static func capped(_ ports: PortSet, limit: Int) -> (kept: PortSet, rest: PortSet) {
        var kept: [PortRange] = []
        var left = limit
        for range in ports.ranges where left > 0 {
            let count = range.upper - range.lower + 1
            kept.append(count <= left ? range : PortRange(range.proto, range.lower, range.lower + left - 1))
            left -= min(count, left)
        }
        let keptSet = PortSet(kept)
        return (keptSet, ports.subtracting(keptSet))
    }
}
