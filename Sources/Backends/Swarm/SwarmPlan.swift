import Diagnostics
import IR

/// What a stack file will contain, decided from the IR: which overlay networks exist and who
/// joins them, which ports are published, and the relation that results. The emitter writes
/// it; `planned` is what Swarm will allow, so the gaps are exactly `planned − intent` and
/// `intent − planned` (and the reader, from the file alone, must find `planned` again).
struct SwarmPlan {
    enum Purpose: Equatable {
        /// A pair of workloads the intent lets talk.
        case link
        /// One workload's own network for egress to external addresses (not internal).
        case egress
        /// A network for a workload that needs none, so that it does not join `default`.
        case own
    }

    struct Network {
        var name: String
        var members: [WorkloadID]
        var purpose: Purpose
        var isInternal: Bool { purpose != .egress }
    }

    let policy: Policy
    let options: SwarmOptions
    var networks: [Network] = []
    /// Ports published per workload (tcp, udp and sctp only: the routing mesh carries no ICMP).
    var published: [WorkloadID: PortSet] = [:]
    /// The published port of each port that several services publish in ingress mode
    /// (`SwarmIngressPorts`); every other port is published as itself.
    var ingressPorts: [WorkloadID: [SwarmPort: Int]] = [:]

    /// What Swarm will allow, pair by pair (`SwarmReader.relation`); `differences` gives what
    /// it adds to and takes from the intent without listing it.
    var planned: Relation { SwarmReader.relation(networks: networks, published: published) }

    init(policy: Policy, options: SwarmOptions) {
        self.policy = policy
        self.options = options
        let gaps = options.gaps
        let intent = policy.intent
        let name = { (id: WorkloadID) in policy.workloads[id.index].name }
        // Stack-scoped names are `POLICY_NETWORK`, within Swarm's 63 characters.
        let limit = SwarmBackend.nameLimit - policy.name.count - 1
        var candidates: [(network: Network, key: String)] = []

        // Links: a network per pair of workloads the intent lets talk, either way. Under
        // `narrow` a pair is linked only when the intent already allows everything a shared
        // network allows: every port, both ways. A network per pair, not per larger group,
        // so that a new flow changes the networks of its own two workloads and no other's.
        // Names compared by their rank in name order (equal names, equal ranks), each pair's
        // key sorted as one integer: no string comparison or tuple sort per pair.
        var rank = [Int](repeating: 0, count: policy.workloads.count)
        let byName = policy.workloads.indices.sorted { policy.workloads[$0].name < policy.workloads[$1].name }
        for (position, index) in byName.enumerated() {
            rank[index] = position > 0 && policy.workloads[byName[position - 1]].name == policy.workloads[index].name ? rank[byName[position - 1]] : position
        }
        var keys: [UInt64] = []
        keys.reserveCapacity(intent.betweenWorkloads.count)
        for pair in intent.betweenWorkloads.keys where pair.source != pair.destination {
            keys.append(UInt64(truncatingIfNeeded: pair.source.index) << 32 | UInt64(truncatingIfNeeded: pair.destination.index))
        }
        keys.sort()
        var linked = Set<WorkloadPair>()
        linked.reserveCapacity(keys.count)
        for key in keys {
            let pair = WorkloadPair(WorkloadID(Int(key >> 32)), WorkloadID(Int(key & 0xFFFF_FFFF)))
            let (a, b) = rank[pair.source.index] < rank[pair.destination.index] ? (pair.source, pair.destination) : (pair.destination, pair.source)
            guard linked.insert(WorkloadPair(a, b)).inserted else { continue }
            if gaps == .narrow {
                guard intent.ports(from: a, to: b) == .all, intent.ports(from: b, to: a) == .all else { continue }
            }
            candidates.append((Network(name: "link-\(name(a))-\(name(b))", members: [a, b], purpose: .link), "link|\(name(a))|\(name(b))"))
        }

        // Egress: a workload that may reach external peers gets a network of its own that is
        // not internal. Swarm cannot filter egress, so under `narrow` only a workload whose
        // intent is "anything, anywhere" gets one.
        for workload in policy.workloads {
            guard let rules = intent.egress[workload.id] else { continue }
            if gaps == .narrow, rules != SwarmPlan.everythingOut { continue }
            candidates.append((Network(name: "egress-\(workload.name)", members: [workload.id], purpose: .egress), "egress|\(workload.name)"))
        }

        // Published ports: reachable from every address through the routing mesh.
        for workload in policy.workloads {
            guard let rules = intent.ingress[workload.id] else { continue }
            var ports = PortSet()
            for entry in rules.entries {
                if gaps == .narrow, !entry.peers.addresses.isAll { continue }
                ports.formUnion(entry.ports.subtracting(.whole(.icmp)))
            }
            if !ports.isEmpty { published[workload.id] = ports }
        }

        // Every other workload gets an internal network of its own instead of `default`.
        let attached = Set(candidates.flatMap(\.network.members))
        for workload in policy.workloads where !attached.contains(workload.id) {
            candidates.append((Network(name: "own-\(workload.name)", members: [workload.id], purpose: .own), "own|\(workload.name)"))
        }

        // Names from members alone, shortened with a hash where too long, made unique by a
        // hash of the members where two meet (`link-a-b-c` is both {a-b, c} and {a, b-c}).
        let names = StableName.unique(candidates.map { ($0.network.name, $0.key) }, limit: limit)
        // In name order, found once on the names alone (no network moved per comparison).
        networks = NameOrder.named(candidates.map(\.network), names) { $0.name = $1 }
    }

    /// `planned − intent` (widened) and `intent − planned` (narrowed), computed from the
    /// networks: members of a network reach each other on every port, so a pair sharing one
    /// widens by the ports the intent leaves out, and an intended pair sharing none is
    /// narrowed. Work is linear in the networks' pairs (two per link network) and the intent's
    /// pairs; each pair is looked up once, and the external parts are differences of rules
    /// computed once per distinct pair of rules (`subtractingAlike`).
    func differences() -> (widened: Relation, narrowed: Relation) {
        let intent = policy.intent
        let external = SwarmReader.external(networks: networks, published: published)
        let intentExternal = Relation(ingress: intent.ingress, egress: intent.egress)
        var widened = subtractingAlike(external, intentExternal)
        var narrowed = subtractingAlike(intentExternal, external)
        let count = (networks.lazy.flatMap(\.members).map(\.index).max() ?? -1) + 1
        var networksOf = [[Int]](repeating: [], count: count)
        for (index, network) in networks.enumerated() {
            for member in network.members { networksOf[member.index].append(index) }
        }
        // Between workloads, only the networks widen (`external` holds no pair).
        widened.betweenWorkloads = widenedByNetworks(networks.map(\.members), beyond: intent.betweenWorkloads)
        // Every port is allowed between workloads that share a network: only pairs sharing
        // none lose anything.
        func joined(_ id: WorkloadID) -> [Int] { id.index < count ? networksOf[id.index] : [] }
        for (pair, ports) in intent.betweenWorkloads {
            let (a, b) = (joined(pair.source), joined(pair.destination))
            let share = a.count <= b.count ? a.contains { b.contains($0) } : b.contains { a.contains($0) }
            if !share { narrowed.betweenWorkloads[pair] = ports }
        }
        return (widened, narrowed)
    }

    /// Egress rules allowing every port to every external peer.
    static let everythingOut = ExternalRules(entries: [.init(ports: .all, peers: .any)])
}
