import IR

/// The shared core of the cloud firewall backends (AWS, GCP, Azure): each service identity is
/// one firewall identity (a security group, a service account, an application security
/// group), and the intent is lifted from workloads to identities — what any workload of an
/// identity may do, every workload of it may do (reported where that widens).
struct FirewallPlan {
    struct Identity {
        var name: String
        var workloads: [WorkloadID]
        var segments: [String]
    }

    /// Identities with at least one workload, sorted by name.
    var identities: [Identity] = []
    /// Index into `identities` of each workload's identity.
    var identityOf: [WorkloadID: Int] = [:]
    /// The same by workload index (-1 for none): a look-up without hashing.
    var identityAt: [Int] = []
    /// Between identities: ports by (source, destination) index.
    var between: [Pair: PortSet] = [:]
    /// External peers into each identity, and out of it, after `dns:` handling.
    var ingress: [Int: ExternalRules] = [:]
    var egress: [Int: ExternalRules] = [:]

    struct Pair: Hashable, Comparable {
        var source: Int
        var destination: Int
        static func < (lhs: Pair, rhs: Pair) -> Bool { (lhs.source, lhs.destination) < (rhs.source, rhs.destination) }

        /// The hash dictionaries and sets take: `QuickHash` of both indices in one word.
        func _rawHashValue(seed: Int) -> Int {
            QuickHash.mix(source, destination, seed: seed)
        }
    }

    init(policy: Policy, gaps: GapPolicy) {
        // The workloads of each identity in one pass (not one pass per identity).
        // Each workload's identity and segment read in place: a copy of the whole workload is a
        // retain and a release of each of its many parts.
        var byIdentity: [IdentityID: [WorkloadID]] = [:]
        for position in policy.workloads.indices {
            byIdentity[policy.workloads[position].identity, default: []].append(policy.workloads[position].id)
        }
        let ids = byIdentity.keys.sorted()
        identityAt = [Int](repeating: -1, count: policy.workloads.count)
        for (index, id) in ids.enumerated() {
            let workloads = byIdentity[id] ?? []
            identities.append(
                Identity(
                    name: policy.identity(id).name, workloads: workloads,
                    segments: Set(workloads.map { policy.segments[policy.workloads[$0.index].segment.index].name }).sorted()))
            for workload in workloads {
                identityOf[workload] = index
                if workload.index < identityAt.count { identityAt[workload.index] = index }
            }
        }
        // Every workload has an identity, so every lookup below finds one (by index, no hashing).
        func identity(_ id: WorkloadID) -> Int { id.index >= 0 && id.index < identityAt.count ? identityAt[id.index] : -1 }
        for (pair, ports) in policy.intent.betweenWorkloads {
            let (source, destination) = (identity(pair.source), identity(pair.destination))
            guard source >= 0, destination >= 0 else { continue }
            between[Pair(source: source, destination: destination), default: PortSet()].formUnion(ports)
        }
        // Each identity's external rules are its workloads' together: one normalization per
        // identity of all their entries (the normal form is unique), not one union per workload.
        func lifted(_ rules: [WorkloadID: ExternalRules]) -> [Int: ExternalRules] {
            var parts: [Int: [ExternalRules]] = [:]
            for (workload, rules) in rules {
                let index = identity(workload)
                guard index >= 0 else { continue }
                parts[index, default: []].append(rules)
            }
            // One workload's rules are in normal form already.
            return parts.mapValues { parts in
                parts.count == 1
                    ? parts[0] : ExternalRules(contributions: parts.flatMap { $0.entries.map { .init(ports: $0.ports, peers: $0.peers, deny: false) } })
            }
        }
        ingress = lifted(policy.intent.ingress)
        egress = lifted(policy.intent.egress)
        // No cloud firewall filters by name: a `dns:` destination is every address (widen) or
        // nothing (narrow) on its ports.
        for (index, rules) in egress where rules.entries.contains(where: { !$0.peers.dns.isEmpty || $0.peers.addresses.isEmpty }) {
            let entries = rules.entries.compactMap { entry -> ExternalRules.Entry? in
                var peers = ExternalSet(addresses: entry.peers.addresses)
                if !entry.peers.dns.isEmpty, gaps == .widen { peers.addresses = .all }
                return peers.isEmpty ? nil : ExternalRules.Entry(ports: entry.ports, peers: peers)
            }
            egress[index] = entries.isEmpty ? nil : ExternalRules(entries: entries)
        }
    }

    /// The workload relation that identity-level rules allow: between every workload of the
    /// source identity and every workload of the destination; egress open to every address
    /// reaches every `dns:` name too.
    func relation(between allowed: [Pair: PortSet], ingress: [Int: ExternalRules], egress: [Int: ExternalRules]) -> Relation {
        groupedRelation(between: allowed, ingress: ingress, egress: egress).expanded
    }

    /// The same relation kept at identity level: one group per identity (its workloads), so it
    /// is compared with the intent without listing the workload pairs it stands for.
    func groupedRelation(between allowed: [Pair: PortSet], ingress: [Int: ExternalRules], egress: [Int: ExternalRules]) -> GroupedRelation {
        var between: [GroupedRelation.Pair: PortSet] = [:]
        between.reserveCapacity(allowed.count)
        for (pair, ports) in allowed where !ports.isEmpty { between[.init(source: pair.source, destination: pair.destination)] = ports }
        let withNames = egress.mapValues { rules in
            ExternalRules(
                entries: rules.entries.map { entry in
                    var peers = entry.peers
                    if peers.addresses.isAll { peers.dns = .all }
                    return ExternalRules.Entry(ports: entry.ports, peers: peers)
                })
        }
        return GroupedRelation(groups: identities.map(\.workloads), between: between, ingress: ingress, egress: withNames)
    }
}
