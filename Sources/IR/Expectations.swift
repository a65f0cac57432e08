import Diagnostics

extension Expectation {
    /// A failing tuple of the expectation on a relation, or nil when it holds. `listens` is
    /// each workload's listened ports, by workload index: an `allow` is clipped to them per
    /// destination workload, as a flow is.
    public func witness(on relation: Relation, listens: [PortSet]) -> Witness? {
        switch kind {
        case .allow:
            for destination in destinations.workloads {
                let clipped = ports.intersection(listens[destination.index])
                if clipped.isEmpty { continue }
                let only = Endpoints(workloads: [destination])
                if let witness = relation.covers(from: sources, to: only, ports: clipped) { return witness }
            }
            let externalOnly = Endpoints(external: destinations.external)
            return relation.covers(from: sources, to: externalOnly, ports: ports)
        case .deny:
            return relation.overlaps(from: sources, to: destinations, ports: ports)
        }
    }
}

extension Witness {
    /// `web -> api on tcp/9000`, `203.0.113.0/24 -> web on tcp/8080`; `names` are the
    /// workloads' names by index. Long address lists are cut to 80 characters.
    public func description(names: [String]) -> String {
        Gap.abbreviated(Connection(self, names: names))
    }
}
