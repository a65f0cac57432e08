extension Relation {
    /// The intent of a spec (docs/language.md, "The intent"): the union of allow flows,
    /// each clipped to the ports its destination workloads listen on, minus the union of
    /// deny flows. Work is linear in the workload pairs the flows name; no step compares
    /// flows with each other.
    ///
    /// - Parameter listens: what each workload listens on, indexed by `WorkloadID.index`.
    public static func intent(of flows: [Flow], listens: [PortSet]) -> Relation {
        var pairs: [WorkloadPair: PortSet] = [:]
        pairs.reserveCapacity(flows.count)
        // A pair named by several flows gathers their ports here and is normalized once at
        // the end: a union per flow would cost the pair's growing port set each time.
        var morePorts: [WorkloadPair: [PortSet]] = [:]
        var ingress: [WorkloadID: [ExternalRules.Contribution]] = [:]
        var egress: [WorkloadID: [ExternalRules.Contribution]] = [:]

        // Flows are read in place (`flows[index]`), not copied with their dozen fields each.
        for index in flows.indices where flows[index].action == .allow {
            let (sources, destinations, ports) = (flows[index].sources, flows[index].destinations, flows[index].ports)
            // Destinations that listen alike (most do) share one clipped port set.
            var clip = LastResult<PortSet, PortSet>()
            for destination in destinations.workloads {
                let clipped = clip(listens[destination.index]) { ports.intersection($0) }
                guard !clipped.isEmpty else { continue }
                for source in sources.workloads {
                    let pair = WorkloadPair(source, destination)
                    if let earlier = pairs.updateValue(clipped, forKey: pair) {
                        morePorts[pair, default: []].append(earlier)
                    }
                }
                if !sources.external.isEmpty {
                    ingress[destination, default: []].append(.init(ports: clipped, peers: sources.external, deny: false))
                }
            }
            if !destinations.external.isEmpty {
                for source in sources.workloads {
                    egress[source, default: []].append(.init(ports: ports, peers: destinations.external, deny: false))
                }
            }
        }
        // `pairs` holds each pair's last ports, `morePorts` the earlier ones.
        for (pair, extra) in morePorts {
            pairs[pair] = PortSet(unionOf: extra + [pairs[pair] ?? PortSet()])
        }
        morePorts = [:]
        // Denies likewise: gathered per pair, subtracted once.
        var deniedPorts: [WorkloadPair: [PortSet]] = [:]
        for index in flows.indices where flows[index].action == .deny {
            let (sources, destinations, ports) = (flows[index].sources, flows[index].destinations, flows[index].ports)
            for destination in destinations.workloads {
                for source in sources.workloads {
                    let pair = WorkloadPair(source, destination)
                    guard pairs[pair] != nil else { continue }
                    deniedPorts[pair, default: []].append(ports)
                }
                if !sources.external.isEmpty {
                    ingress[destination]?.append(.init(ports: ports, peers: sources.external, deny: true))
                }
            }
            if !destinations.external.isEmpty {
                for source in sources.workloads {
                    egress[source]?.append(.init(ports: ports, peers: destinations.external, deny: true))
                }
            }
        }
        for (pair, denied) in deniedPorts {
            guard let allowed = pairs[pair] else { continue }
            let rest = allowed.subtracting(denied.count == 1 ? denied[0] : PortSet(unionOf: denied))
            pairs[pair] = rest.isEmpty ? nil : rest
        }
        return Relation(
            betweenWorkloads: pairs,
            ingress: ingress.compactMapValues(normalized),
            egress: egress.compactMapValues(normalized))
    }
}

private func normalized(_ contributions: [ExternalRules.Contribution]) -> ExternalRules? {
    let rules = ExternalRules(contributions: contributions)
    return rules.isEmpty ? nil : rules
}

extension Flow {
    /// The part of this flow that touches the connections `sources × destinations × ports`:
    /// the ports it names there (clipped to what destination workloads listen on, for
    /// allows), or nil when it does not touch them.
    public func overlap(from sources: Endpoints, to destinations: Endpoints, ports: PortSet, listens: [PortSet]) -> PortSet? {
        var matched = PortSet()
        let common = self.ports.intersection(ports)
        guard !common.isEmpty else { return nil }
        let sourceWorkloads = Set(self.sources.workloads).intersection(sources.workloads)
        let externalSources = !self.sources.external.intersection(sources.external).isEmpty
        for destination in Set(self.destinations.workloads).intersection(destinations.workloads) {
            guard !sourceWorkloads.isEmpty || externalSources else { break }
            matched.formUnion(action == .allow ? common.intersection(listens[destination.index]) : common)
        }
        if !sourceWorkloads.isEmpty, !self.destinations.external.intersection(destinations.external).isEmpty {
            matched.formUnion(common)
        }
        return matched.isEmpty ? nil : matched
    }
}
