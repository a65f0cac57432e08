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

/// What networks that open every port between their members allow beyond `intent` between
/// workloads (Swarm's overlays, Mesos' container networks): each pair of each network, a
/// workload with itself once whatever the networks it joins, with every port the intent
/// leaves out. Each pair is looked up once in the intent and inserted once if widened; what
/// every port less some ports leaves is computed once per distinct ports (most pairs share
/// their flow's few).
func widenedByNetworks(_ members: [[WorkloadID]], beyond intent: [WorkloadPair: PortSet]) -> [WorkloadPair: PortSet] {
    var result: [WorkloadPair: PortSet] = [:]
    result.reserveCapacity(members.reduce(0) { $0 + $1.count * $1.count })
    let all = PortSet.all
    var leftOut: [PortSet: PortSet] = [:]
    var reachesItself = [Bool](repeating: false, count: (members.lazy.joined().map(\.index).max() ?? -1) + 1)
    for network in members {
        for a in network {
            for b in network {
                if a == b {
                    if reachesItself[a.index] { continue }
                    reachesItself[a.index] = true
                }
                let pair = WorkloadPair(a, b)
                guard let ports = intent[pair] else {
                    result[pair] = all
                    continue
                }
                guard ports != all else { continue }
                if let known = leftOut[ports] {
                    result[pair] = known
                } else {
                    let rest = all.subtracting(ports)
                    leftOut[ports] = rest
                    result[pair] = rest
                }
            }
        }
    }
    return result
}
