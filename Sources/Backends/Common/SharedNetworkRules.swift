import IR

/// What lets a connection through on platforms that segment by shared networks (Swarm,
/// Mesos): networks both ends join, published ports, and whatever opens egress; for
/// `palisade explain`.
struct SharedNetworkRules {
    /// Network name, members, and what the network is (for the words).
    var networks: [(name: String, members: Set<WorkloadID>, kind: String)]
    /// Ports published to every address, by workload.
    var published: [WorkloadID: PortSet]
    /// Why a workload reaches every external address, when it does.
    var egress: [WorkloadID: String]

    func explain(from: Endpoints, to: Endpoints, ports: PortSet, name: (WorkloadID) -> String) -> [String] {
        var lines: [String] = []
        for destination in to.workloads {
            for source in from.workloads {
                for network in networks where network.members.contains(source) && network.members.contains(destination) {
                    lines.append("\(network.kind) \(network.name) joins \(name(source)) and \(name(destination)): every port, both ways")
                }
            }
            if !from.external.isEmpty, let open = published[destination], !open.intersection(ports).isEmpty {
                lines.append("\(name(destination)) publishes \(open.intersection(ports)) to every address")
            }
        }
        if !to.external.isEmpty {
            for source in from.workloads {
                if let reason = egress[source] { lines.append("\(name(source)) reaches every external address: \(reason)") }
            }
        }
        return lines
    }
}
