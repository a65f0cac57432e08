import Diagnostics
import IR

/// What a stack file will contain, decided from the IR: which overlay networks exist and who
/// joins them, which ports are published, and the relation that results. The emitter writes
/// it; `planned` is what Swarm will allow, so the gaps are exactly `planned − intent` and
/// `intent − planned` (and the reader, from the file alone, must find `planned` again).
struct SwarmPlan {
    enum Purpose: Equatable {
        /// A clique of workloads the intent lets talk.
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
    var planned = Relation()

    init(policy: Policy, options: SwarmOptions) {
        self.policy = policy
        self.options = options
        let gaps = options.gaps
        let intent = policy.intent
        let count = policy.workloads.count

        // Links: the undirected "may talk" graph. Under `narrow` a pair is linked only when the
        // intent already allows everything a shared network allows: every port, both ways.
        var edges: [(Int, Int)] = []
        for (pair, _) in intent.sortedPairs where pair.source != pair.destination {
            if gaps == .narrow {
                let forward = intent.ports(from: pair.source, to: pair.destination)
                let backward = intent.ports(from: pair.destination, to: pair.source)
                guard forward == .all, backward == .all else { continue }
            }
            edges.append((pair.source.index, pair.destination.index))
        }
        let cover = EdgeCliqueCover(vertexCount: count, edges: edges)
        for (index, clique) in cover.cliques.enumerated() {
            networks.append(Network(name: "link-\(index + 1)", members: clique.map(WorkloadID.init), purpose: .link))
        }

        // Egress: a workload that may reach external peers gets a network of its own that is
        // not internal. Swarm cannot filter egress, so under `narrow` only a workload whose
        // intent is "anything, anywhere" gets one.
        var egressIndex = 0
        for workload in policy.workloads {
            guard let rules = intent.egress[workload.id] else { continue }
            if gaps == .narrow, rules != SwarmPlan.everythingOut { continue }
            egressIndex += 1
            networks.append(Network(name: "egress-\(egressIndex)", members: [workload.id], purpose: .egress))
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
        var attached = Set(networks.flatMap(\.members))
        var ownIndex = 0
        for workload in policy.workloads where !attached.contains(workload.id) {
            ownIndex += 1
            networks.append(Network(name: "own-\(ownIndex)", members: [workload.id], purpose: .own))
            attached.insert(workload.id)
        }
        planned = SwarmReader.relation(networks: networks, published: published)
    }

    /// Egress rules allowing every port to every external peer.
    static let everythingOut = ExternalRules(entries: [.init(ports: .all, peers: .any)])
}
