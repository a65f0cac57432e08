/// A reachability relation: the set of (source, destination, protocol, port) tuples where a
/// source or destination is one workload or one external peer. The intent of a spec is one;
/// each backend's reader yields another, and `compare` measures one against the other.
/// It stays compact: ports and addresses as ranges, workload pairs only where something
/// is allowed.
public struct Relation: Sendable, Hashable {
    /// Workload to workload, by (source, destination).
    public var betweenWorkloads: [WorkloadPair: PortSet]
    /// External peers to a workload, by destination workload.
    public var ingress: [WorkloadID: ExternalRules]
    /// A workload to external peers, by source workload.
    public var egress: [WorkloadID: ExternalRules]

    public init(
        betweenWorkloads: [WorkloadPair: PortSet] = [:], ingress: [WorkloadID: ExternalRules] = [:],
        egress: [WorkloadID: ExternalRules] = [:]
    ) {
        self.betweenWorkloads = betweenWorkloads
        self.ingress = ingress
        self.egress = egress
    }

    /// The ports on which `source` may open connections to `destination`.
    public func ports(from source: WorkloadID, to destination: WorkloadID) -> PortSet {
        betweenWorkloads[WorkloadPair(source, destination)] ?? PortSet()
    }

    /// The internal pairs, sorted by source then destination.
    public var sortedPairs: [(pair: WorkloadPair, ports: PortSet)] {
        betweenWorkloads.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Whether every tuple `sources × destinations × ports` is in the relation; when not,
    /// a tuple that is missing.
    public func covers(from sources: Endpoints, to destinations: Endpoints, ports: PortSet) -> Witness? {
        tuples(from: sources, to: destinations, ports: ports) { external, rules, workloadPorts in
            rules.firstUncovered(ports: workloadPorts, peers: external)
        } internalCheck: { pair, required in
            let missing = required.subtracting(self.ports(from: pair.source, to: pair.destination))
            return missing.ranges.first.map { Witness(ports: PortSet($0)) }
        }
    }

    /// Whether some tuple `sources × destinations × ports` is in the relation; when so, one of them.
    public func overlaps(from sources: Endpoints, to destinations: Endpoints, ports: PortSet) -> Witness? {
        tuples(from: sources, to: destinations, ports: ports) { external, rules, workloadPorts in
            rules.firstOverlap(ports: workloadPorts, peers: external)
        } internalCheck: { pair, required in
            let common = required.intersection(self.ports(from: pair.source, to: pair.destination))
            return common.ranges.first.map { Witness(ports: PortSet($0)) }
        }
    }

    /// Visits the three kinds of tuples a pair of endpoint sets names; stops at the first witness.
    private func tuples(
        from sources: Endpoints, to destinations: Endpoints, ports: PortSet,
        externalCheck: (ExternalSet, ExternalRules, PortSet) -> Witness?,
        internalCheck: (WorkloadPair, PortSet) -> Witness?
    ) -> Witness? {
        for destination in destinations.workloads {
            for source in sources.workloads {
                let pair = WorkloadPair(source, destination)
                if var witness = internalCheck(pair, ports) {
                    witness.source = .workload(source)
                    witness.destination = .workload(destination)
                    return witness
                }
            }
            if !sources.external.isEmpty {
                if var witness = externalCheck(sources.external, ingress[destination] ?? ExternalRules(), ports) {
                    witness.destination = .workload(destination)
                    return witness
                }
            }
        }
        if !destinations.external.isEmpty {
            for source in sources.workloads {
                if var witness = externalCheck(destinations.external, egress[source] ?? ExternalRules(), ports) {
                    witness.destination = witness.source
                    witness.source = .workload(source)
                    return witness
                }
            }
        }
        return nil
    }

    /// The relation's tuples that `other` lacks.
    public func subtracting(_ other: Relation) -> Relation {
        var result = Relation()
        result.betweenWorkloads.reserveCapacity(betweenWorkloads.count)
        for (pair, ports) in betweenWorkloads {
            guard let theirs = other.betweenWorkloads[pair] else {
                result.betweenWorkloads[pair] = ports
                continue
            }
            guard theirs != ports else { continue }
            let rest = ports.subtracting(theirs)
            if !rest.isEmpty { result.betweenWorkloads[pair] = rest }
        }
        for (workload, rules) in ingress {
            guard other.ingress[workload] != rules else { continue }
            let rest = rules.subtracting(other.ingress[workload] ?? ExternalRules())
            if !rest.isEmpty { result.ingress[workload] = rest }
        }
        for (workload, rules) in egress {
            guard other.egress[workload] != rules else { continue }
            let rest = rules.subtracting(other.egress[workload] ?? ExternalRules())
            if !rest.isEmpty { result.egress[workload] = rest }
        }
        return result
    }

    /// Every tuple of either relation.
    public func union(_ other: Relation) -> Relation {
        var result = self
        result.betweenWorkloads.reserveCapacity(betweenWorkloads.count + other.betweenWorkloads.count)
        for (pair, ports) in other.betweenWorkloads { result.betweenWorkloads[pair, default: PortSet()].formUnion(ports) }
        for (workload, rules) in other.ingress { result.ingress[workload] = (ingress[workload] ?? ExternalRules()).union(rules) }
        for (workload, rules) in other.egress { result.egress[workload] = (egress[workload] ?? ExternalRules()).union(rules) }
        return result
    }

    public var isEmpty: Bool { betweenWorkloads.isEmpty && ingress.isEmpty && egress.isEmpty }
}

/// A connection from one workload to another.
public struct WorkloadPair: Sendable, Hashable, Comparable {
    public var source: WorkloadID
    public var destination: WorkloadID

    public init(_ source: WorkloadID, _ destination: WorkloadID) {
        self.source = source
        self.destination = destination
    }

    /// One combine per pair: relations hold millions of pairs.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(truncatingIfNeeded: source.index) << 32 | UInt64(truncatingIfNeeded: destination.index))
    }

    public static func < (lhs: WorkloadPair, rhs: WorkloadPair) -> Bool {
        (lhs.source, lhs.destination) < (rhs.source, rhs.destination)
    }
}

/// One tuple that shows an assertion true or false.
public struct Witness: Sendable, Hashable {
    public enum Peer: Sendable, Hashable {
        case workload(WorkloadID)
        case external(ExternalSet)
    }

    public var source: Peer?
    public var destination: Peer?
    public var ports: PortSet

    public init(source: Peer? = nil, destination: Peer? = nil, ports: PortSet) {
        self.source = source
        self.destination = destination
        self.ports = ports
    }
}

/// What external peers may connect on which ports, for one workload and one direction.
/// Entries have disjoint port sets and distinct peer sets, sorted by their first port.
public struct ExternalRules: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var ports: PortSet
        public var peers: ExternalSet

        public init(ports: PortSet, peers: ExternalSet) {
            self.ports = ports
            self.peers = peers
        }
    }

    public private(set) var entries: [Entry]

    public init() { entries = [] }

    /// One contribution of an allow or deny rule.
    public struct Contribution: Sendable {
        public var ports: PortSet
        public var peers: ExternalSet
        public var deny: Bool

        public init(ports: PortSet, peers: ExternalSet, deny: Bool) {
            self.ports = ports
            self.peers = peers
            self.deny = deny
        }
    }

    /// The exact set (union of allows) minus (union of denies), normalized: the port axis is
    /// cut at every boundary any contribution has, and each piece gets its peer set.
    public init(contributions: [Contribution]) {
        var cuts: [UInt64] = []
        for contribution in contributions {
            for interval in contribution.ports.keys.intervals {
                cuts.append(UInt64(interval.lower))
                cuts.append(UInt64(interval.upper) + 1)
            }
        }
        cuts.sort()
        var boundaries: [UInt64] = []
        boundaries.reserveCapacity(cuts.count)
        for cut in cuts where boundaries.last != cut { boundaries.append(cut) }
        guard boundaries.count >= 2 else {
            entries = []
            return
        }
        let pieces = boundaries.count - 1
        var allowed = [ExternalSet](repeating: .empty, count: pieces)
        var denied = [ExternalSet](repeating: .empty, count: pieces)
        func pieceIndex(_ value: UInt64) -> Int {
            var low = 0
            var high = boundaries.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if boundaries[middle] <= value { low = middle } else { high = middle - 1 }
            }
            return low
        }
        for contribution in contributions where !contribution.peers.isEmpty {
            for interval in contribution.ports.keys.intervals {
                let first = pieceIndex(UInt64(interval.lower))
                let last = pieceIndex(UInt64(interval.upper))
                for piece in first...last {
                    if contribution.deny {
                        denied[piece] = denied[piece].union(contribution.peers)
                    } else {
                        allowed[piece] = allowed[piece].union(contribution.peers)
                    }
                }
            }
        }
        var byPeers: [ExternalSet: [IntervalSet<UInt32>.Interval]] = [:]
        var order: [ExternalSet] = []
        for piece in 0..<pieces {
            let peers = allowed[piece].subtracting(denied[piece])
            guard !peers.isEmpty else { continue }
            let interval = IntervalSet<UInt32>.Interval(UInt32(boundaries[piece]), UInt32(boundaries[piece + 1] - 1))
            if byPeers[peers] == nil { order.append(peers) }
            byPeers[peers, default: []].append(interval)
        }
        entries = order.map { Entry(ports: PortSet(keys: IntervalSet(normalizing: byPeers[$0] ?? [])), peers: $0) }
        entries.sort { ($0.ports.keys.first ?? 0) < ($1.ports.keys.first ?? 0) }
    }

    public init(entries: [Entry]) {
        self.init(contributions: entries.map { Contribution(ports: $0.ports, peers: $0.peers, deny: false) })
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The peers allowed on one port.
    public func peers(_ proto: TransportProtocol, _ port: Int) -> ExternalSet {
        entries.first { $0.ports.contains(proto, port) }?.peers ?? .empty
    }

    /// A (port, peer) tuple of `ports × peers` that these rules do not allow.
    func firstUncovered(ports: PortSet, peers: ExternalSet) -> Witness? {
        guard !peers.isEmpty else { return nil }
        var remaining = ports
        for entry in entries {
            let common = remaining.intersection(entry.ports)
            guard !common.isEmpty else { continue }
            let missing = peers.subtracting(entry.peers)
            if !missing.isEmpty, let range = common.ranges.first {
                return Witness(source: .external(missing), ports: PortSet(range))
            }
            remaining = remaining.subtracting(entry.ports)
        }
        return remaining.ranges.first.map { Witness(source: .external(peers), ports: PortSet($0)) }
    }

    /// A (port, peer) tuple of `ports × peers` that these rules allow.
    func firstOverlap(ports: PortSet, peers: ExternalSet) -> Witness? {
        for entry in entries {
            let common = ports.intersection(entry.ports)
            let both = peers.intersection(entry.peers)
            if !common.isEmpty, !both.isEmpty, let range = common.ranges.first {
                return Witness(source: .external(both), ports: PortSet(range))
            }
        }
        return nil
    }

    public func union(_ other: ExternalRules) -> ExternalRules {
        ExternalRules(contributions: (entries + other.entries).map { Contribution(ports: $0.ports, peers: $0.peers, deny: false) })
    }

    public func subtracting(_ other: ExternalRules) -> ExternalRules {
        ExternalRules(
            contributions:
                entries.map { Contribution(ports: $0.ports, peers: $0.peers, deny: false) }
                + other.entries.map { Contribution(ports: $0.ports, peers: $0.peers, deny: true) })
    }
}
