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

        for flow in flows where flow.action == .allow {
            for destination in flow.destinations.workloads {
                let clipped = flow.ports.intersection(listens[destination.index])
                guard !clipped.isEmpty else { continue }
                for source in flow.sources.workloads {
                    let pair = WorkloadPair(source, destination)
                    if let earlier = pairs.updateValue(clipped, forKey: pair) {
                        morePorts[pair, default: []].append(earlier)
                    }
                }
                if !flow.sources.external.isEmpty {
                    ingress[destination, default: []].append(.init(ports: clipped, peers: flow.sources.external, deny: false))
                }
            }
            if !flow.destinations.external.isEmpty {
                for source in flow.sources.workloads {
                    egress[source, default: []].append(.init(ports: flow.ports, peers: flow.destinations.external, deny: false))
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
        for flow in flows where flow.action == .deny {
            for destination in flow.destinations.workloads {
                for source in flow.sources.workloads {
                    let pair = WorkloadPair(source, destination)
                    guard pairs[pair] != nil else { continue }
                    deniedPorts[pair, default: []].append(flow.ports)
                }
                if !flow.sources.external.isEmpty {
                    ingress[destination]?.append(.init(ports: flow.ports, peers: flow.sources.external, deny: true))
                }
            }
            if !flow.destinations.external.isEmpty {
                for source in flow.sources.workloads {
                    egress[source]?.append(.init(ports: flow.ports, peers: flow.destinations.external, deny: true))
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
