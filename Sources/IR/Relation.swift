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

    /// The relation's tuples that `other` lacks. Where `other` has far fewer pairs than this
    /// relation (a target's narrowed pairs against the intent), this relation's pairs are
    /// kept as they are and only `other`'s looked up; each workload's external rules are
    /// subtracted once per distinct pair of rules met in a row.
    public func subtracting(_ other: Relation) -> Relation {
        var result = Relation()
        if other.betweenWorkloads.isEmpty {
            result.betweenWorkloads = betweenWorkloads
        } else if other.betweenWorkloads.count <= betweenWorkloads.count / 4 {
            result.betweenWorkloads = betweenWorkloads
            for (pair, theirs) in other.betweenWorkloads {
                guard let ports = betweenWorkloads[pair] else { continue }
                if theirs == ports {
                    result.betweenWorkloads[pair] = nil
                    continue
                }
                let rest = ports.subtracting(theirs)
                result.betweenWorkloads[pair] = rest.isEmpty ? nil : rest
            }
        } else {
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
        }
        result.ingress = Self.subtracting(ingress, other.ingress)
        result.egress = Self.subtracting(egress, other.egress)
        return result
    }

    /// Each workload's rules less `theirs`' rules of the same workload; the difference of the
    /// last pair of rules met is reused when the next workload meets the same pair (workloads
    /// alike have equal rules, often the same storage, compared at once).
    static func subtracting(_ mine: [WorkloadID: ExternalRules], _ theirs: [WorkloadID: ExternalRules]) -> [WorkloadID: ExternalRules] {
        subtracting(mine) { theirs[$0] }
    }

    /// Each workload's rules less those `theirs` gives it (nil: none), the last difference
    /// reused as `subtracting(_:_:)` says.
    static func subtracting(_ mine: [WorkloadID: ExternalRules], _ theirs: (WorkloadID) -> ExternalRules?) -> [WorkloadID: ExternalRules] {
        struct Pair: Equatable {
            var mine: ExternalRules
            var theirs: ExternalRules
        }
        var result: [WorkloadID: ExternalRules] = [:]
        var difference = LastResult<Pair, ExternalRules>()
        for (workload, rules) in mine {
            let other = theirs(workload) ?? ExternalRules()
            guard other != rules else { continue }
            let rest = difference(Pair(mine: rules, theirs: other)) { $0.mine.subtracting($0.theirs) }
            if !rest.isEmpty { result[workload] = rest }
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
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }

    /// The hash dictionaries and sets take: `QuickHash` of both indices in one word.
    public func _rawHashValue(seed: Int) -> Int { QuickHash.mix(key, seed: seed) }

    /// Both indices in one word (each below 2^32).
    private var key: UInt64 { UInt64(truncatingIfNeeded: source.index) << 32 | UInt64(truncatingIfNeeded: destination.index) }

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
    ///
    /// One allow, or allows of one peer set without a deny, are their own normal form; up to
    /// `foldLimit` contributions are folded entry by entry (`union`, then `subtracting` each
    /// deny). More go through `sweep`, whose work is the total size of the contributions plus
    /// the size of the result.
    public init(contributions: [Contribution]) {
        // One allow (most workloads' external peers) is its own normal form.
        if contributions.count == 1, !contributions[0].deny {
            let only = contributions[0]
            entries = only.ports.isEmpty || only.peers.isEmpty ? [] : [Entry(ports: only.ports, peers: only.peers)]
            return
        }
        // Allows that all name one peer set, and no deny that takes anything away, are that
        // set on the union of their ports; nothing allowed is nothing. (Both are the normal
        // form the sweep below builds: port and peer sets are canonical.)
        var shared: ExternalSet?
        var mixed = false
        var denies = false
        for contribution in contributions where !contribution.ports.isEmpty && !contribution.peers.isEmpty {
            if contribution.deny {
                denies = true
            } else if let peers = shared {
                if peers != contribution.peers { mixed = true }
            } else {
                shared = contribution.peers
            }
            if denies && mixed { break }
        }
        guard let first = shared else {
            entries = []
            return
        }
        if !denies && !mixed {
            let live = contributions.lazy.filter { !$0.deny && !$0.peers.isEmpty }.map(\.ports)
            entries = [Entry(ports: PortSet(unionOf: live), peers: first)]
            return
        }
        // A few contributions: the allows joined, then each deny taken out, entry by entry
        // (`union`, `subtracting`), cheaper than the sweep's atoms for a handful of entries.
        if contributions.count <= Self.foldLimit {
            var result = ExternalRules()
            for contribution in contributions where !contribution.deny && !contribution.ports.isEmpty && !contribution.peers.isEmpty {
                result = result.union(ExternalRules(entry: Entry(ports: contribution.ports, peers: contribution.peers)))
            }
            for contribution in contributions where contribution.deny && !contribution.ports.isEmpty && !contribution.peers.isEmpty {
                guard !result.isEmpty else { break }
                result = result.subtracting(ExternalRules(entry: Entry(ports: contribution.ports, peers: contribution.peers)))
            }
            self = result
            return
        }
        entries = Self.sweep(contributions)
    }

    /// Up to how many contributions `init(contributions:)` folds them one by one.
    static let foldLimit = 6
    /// Up to how many pairs of entries `union` and `subtracting` meet entry by entry (else
    /// the sweep).
    static let pairwiseLimit = 64

    /// One entry (non-empty ports and peers), already in normal form.
    private init(entry: Entry) { entries = [entry] }

    /// Entries already in normal form.
    private init(sorted entries: [Entry]) { self.entries = entries }

    /// Entries whose port sets are disjoint and non-empty, with non-empty peers, in normal
    /// form: the ports of equal peer sets joined, sorted by their first port.
    private init(disjointPieces pieces: [Entry]) {
        var merged: [Entry] = []
        merged.reserveCapacity(pieces.count)
        for piece in pieces {
            if let index = merged.firstIndex(where: { $0.peers == piece.peers }) {
                merged[index].ports.formUnion(piece.ports)
            } else {
                merged.append(piece)
            }
        }
        if merged.count > 1 { merged.sort { ($0.ports.keys.first ?? 0) < ($1.ports.keys.first ?? 0) } }
        entries = merged
    }

    /// The general case of `init(contributions:)`: the sweep over the port axis, its entries
    /// in normal form. Each contribution enters at its first piece and leaves after its last,
    /// and the peers are kept as counts over atoms (the address ranges and names no
    /// contribution's boundary cuts), so a piece costs only the contributions that start or end
    /// there; the peer set is rebuilt only where some atom's standing changed (a union per piece
    /// and contribution made overlapping denies cost their square).
    private static func sweep(_ contributions: [Contribution]) -> [Entry] {
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
            return []
        }
        func pieceIndex(_ value: UInt64) -> Int {
            var low = 0
            var high = boundaries.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if boundaries[middle] <= value { low = middle } else { high = middle - 1 }
            }
            return low
        }
        // Distinct peer sets, each placed on the atoms once.
        var peerIDs: [ExternalSet: Int] = [:]
        var distinct: [ExternalSet] = []
        // Events by piece: (peer set, deny, +1 entering or -1 leaving).
        var events: [(piece: Int, peers: Int, deny: Bool, delta: Int)] = []
        for contribution in contributions where !contribution.peers.isEmpty {
            let id: Int
            if let known = peerIDs[contribution.peers] {
                id = known
            } else {
                id = distinct.count
                peerIDs[contribution.peers] = id
                distinct.append(contribution.peers)
            }
            for interval in contribution.ports.keys.intervals {
                events.append((pieceIndex(UInt64(interval.lower)), id, contribution.deny, 1))
                events.append((pieceIndex(UInt64(interval.upper) + 1), id, contribution.deny, -1))
            }
        }
        events.sort { $0.piece < $1.piece }
        var atoms = PeerAtoms(distinct)

        // The peer sets of the result in order of first appearance, each with its pieces; a
        // set is looked up only where the atoms' standing changed, not on every piece.
        var slots: [ExternalSet: Int] = [:]
        var order: [ExternalSet] = []
        var pieces: [[IntervalSet<UInt32>.Interval]] = []
        var current: Int?
        var next = 0
        for piece in 0..<(boundaries.count - 1) {
            var changed = false
            while next < events.count, events[next].piece == piece {
                let event = events[next]
                if atoms.apply(event.peers, deny: event.deny, delta: event.delta) { changed = true }
                next += 1
            }
            if changed {
                let peers = atoms.peers()
                if peers.isEmpty {
                    current = nil
                } else if let slot = slots[peers] {
                    current = slot
                } else {
                    current = order.count
                    slots[peers] = order.count
                    order.append(peers)
                    pieces.append([])
                }
            }
            guard let slot = current else { continue }
            pieces[slot].append(IntervalSet<UInt32>.Interval(UInt32(boundaries[piece]), UInt32(boundaries[piece + 1] - 1)))
        }
        var entries = order.indices.map { Entry(ports: PortSet(keys: IntervalSet(normalizing: pieces[$0])), peers: order[$0]) }
        entries.sort { ($0.ports.keys.first ?? 0) < ($1.ports.keys.first ?? 0) }
        return entries
    }

    public init(entries: [Entry]) {
        self.init(contributions: entries.map { Contribution(ports: $0.ports, peers: $0.peers, deny: false) })
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// A hash of these rules' shape: how many entries, and for each its ports' bounds and how
    /// many address ranges and names its peers have. Equal rules have equal shapes (both are in
    /// normal form), so it is a lawful hash for them, in time linear in the entries alone.
    func hashShape(into hasher: inout Hasher) {
        // Folded into one word and given to the hasher once: a combine per field was most of it.
        var shape = UInt64(entries.count)
        for entry in entries {
            let ports = entry.ports.keys.intervals
            QuickHash.fold(&shape, UInt64(ports.first?.lower ?? 0) << 32 | UInt64(ports.last?.upper ?? 0))
            let peers = entry.peers
            QuickHash.fold(&shape, UInt64(peers.addresses.v4.first ?? 0) << 32 | UInt64(truncatingIfNeeded: peers.addresses.v4.intervals.count))
            QuickHash.fold(
                &shape,
                UInt64(truncatingIfNeeded: peers.addresses.v6.intervals.count) << 32 | UInt64(truncatingIfNeeded: peers.dns.names.count) << 1
                    | (peers.dns.allExcept ? 1 : 0))
        }
        hasher.combine(shape)
    }

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
        // Both sides are in normal form: a union with nothing, or with itself, is that side.
        if other.isEmpty || entries == other.entries { return self }
        if isEmpty { return other }
        guard entries.count * other.entries.count <= Self.pairwiseLimit else {
            return ExternalRules(sorted: Self.sweep((entries + other.entries).map { Contribution(ports: $0.ports, peers: $0.peers, deny: false) }))
        }
        // Entry by entry: where a port is in an entry of each side, the union of their peers;
        // elsewhere the one side's peers. Each side's entries are disjoint in ports.
        var pieces: [Entry] = []
        for mine in entries {
            var rest = mine.ports
            for theirs in other.entries where !rest.isEmpty {
                let common = rest.intersection(theirs.ports)
                guard !common.isEmpty else { continue }
                pieces.append(Entry(ports: common, peers: mine.peers.union(theirs.peers)))
                rest = rest.subtracting(common)
            }
            if !rest.isEmpty { pieces.append(Entry(ports: rest, peers: mine.peers)) }
        }
        for theirs in other.entries {
            var rest = theirs.ports
            for mine in entries where !rest.isEmpty { rest = rest.subtracting(mine.ports) }
            if !rest.isEmpty { pieces.append(Entry(ports: rest, peers: theirs.peers)) }
        }
        return ExternalRules(disjointPieces: pieces)
    }

    public func subtracting(_ other: ExternalRules) -> ExternalRules {
        if isEmpty || other.isEmpty { return self }
        if entries == other.entries { return ExternalRules() }
        guard entries.count * other.entries.count <= Self.pairwiseLimit else {
            return ExternalRules(
                sorted: Self.sweep(
                    entries.map { Contribution(ports: $0.ports, peers: $0.peers, deny: false) }
                        + other.entries.map { Contribution(ports: $0.ports, peers: $0.peers, deny: true) }))
        }
        // Entry by entry: where a port is in an entry of each side, this side's peers less
        // the other's; elsewhere this side's peers.
        var pieces: [Entry] = []
        for mine in entries {
            var rest = mine.ports
            for theirs in other.entries where !rest.isEmpty {
                let common = rest.intersection(theirs.ports)
                guard !common.isEmpty else { continue }
                let peers = mine.peers.subtracting(theirs.peers)
                if !peers.isEmpty { pieces.append(Entry(ports: common, peers: peers)) }
                rest = rest.subtracting(common)
            }
            if !rest.isEmpty { pieces.append(Entry(ports: rest, peers: mine.peers)) }
        }
        // Nothing taken away: the same rules.
        if pieces.count == entries.count, zip(pieces, entries).allSatisfy({ $0.ports == $1.ports && $0.peers == $1.peers }) { return self }
        return ExternalRules(disjointPieces: pieces)
    }
}

/// The peer sets of a sweep cut into atoms: IPv4 and IPv6 ranges and `dns:` names that no
/// peer set's boundary divides (plus one atom for every name no set lists). Each atom counts
/// the allow and deny contributions over it; it is in the result when some allow and no deny
/// cover it.
private struct PeerAtoms {
    /// One address family's atoms.
    struct Axis<Bound: FixedWidthInteger & UnsignedInteger & Sendable> {
        /// The start of each atom; an atom ends where the next starts, the last at `Bound.max`.
        var starts: [Bound] = []

        init(_ sets: [IntervalSet<Bound>]) {
            var cuts: [Bound] = []
            for set in sets {
                for interval in set.intervals {
                    cuts.append(interval.lower)
                    if interval.upper < Bound.max { cuts.append(interval.upper + 1) }
                }
            }
            cuts.sort()
            for cut in cuts where starts.last != cut { starts.append(cut) }
        }

        /// The atom that starts at `value` (every boundary is an atom's start).
        func atom(startingAt value: Bound) -> Int {
            var low = 0
            var high = starts.count
            while low < high {
                let middle = (low + high) / 2
                if starts[middle] < value { low = middle + 1 } else { high = middle }
            }
            return low
        }

        /// The atoms a set covers, as ranges of atom indices.
        func atoms(of set: IntervalSet<Bound>) -> [Range<Int>] {
            set.intervals.map { interval in
                let first = atom(startingAt: interval.lower)
                let end = interval.upper == Bound.max ? starts.count : atom(startingAt: interval.upper + 1)
                return first..<end
            }
        }

        /// The atoms `on` as a set.
        func set(_ on: (Int) -> Bool) -> IntervalSet<Bound> {
            var result: [IntervalSet<Bound>.Interval] = []
            var index = 0
            while index < starts.count {
                guard on(index) else {
                    index += 1
                    continue
                }
                var end = index + 1
                while end < starts.count, on(end) { end += 1 }
                result.append(.init(starts[index], end < starts.count ? starts[end] - 1 : Bound.max))
                index = end
            }
            return IntervalSet(normalizing: result)
        }
    }

    var v4: Axis<UInt32>
    var v6: Axis<UInt128>
    /// Every name some set lists, in order; atom `names.count` is every other name.
    var names: [String]
    /// Each peer set's atoms: v4 ranges, v6 ranges, and name atoms, offset into one count array.
    var cover: [[Range<Int>]]
    var allowCount: [Int32]
    var denyCount: [Int32]

    init(_ sets: [ExternalSet]) {
        let v4 = Axis(sets.map(\.addresses.v4))
        let v6 = Axis(sets.map(\.addresses.v6))
        let names = Array(Set(sets.flatMap(\.dns.names))).sorted()
        self.v4 = v4
        self.v6 = v6
        self.names = names
        let v6Offset = v4.starts.count
        let nameOffset = v6Offset + v6.starts.count
        let nameIndex = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let nameCount = names.count
        cover = sets.map { set in
            var ranges = v4.atoms(of: set.addresses.v4)
            ranges += v6.atoms(of: set.addresses.v6).map { ($0.lowerBound + v6Offset)..<($0.upperBound + v6Offset) }
            let dns = set.dns
            let listed = dns.names.compactMap { nameIndex[$0] }
            if dns.allExcept {
                let excluded = Set(listed)
                for index in 0...nameCount where !excluded.contains(index) { ranges.append((nameOffset + index)..<(nameOffset + index + 1)) }
            } else {
                for index in listed { ranges.append((nameOffset + index)..<(nameOffset + index + 1)) }
            }
            return ranges
        }
        allowCount = Array(repeating: 0, count: nameOffset + nameCount + 1)
        denyCount = allowCount
    }

    /// A peer set enters (`delta` 1) or leaves (-1); whether any atom's standing changed.
    mutating func apply(_ peers: Int, deny: Bool, delta: Int) -> Bool {
        var changed = false
        let step = Int32(delta)
        for range in cover[peers] {
            for atom in range {
                let wasOn = allowCount[atom] > 0 && denyCount[atom] == 0
                if deny { denyCount[atom] += step } else { allowCount[atom] += step }
                if wasOn != (allowCount[atom] > 0 && denyCount[atom] == 0) { changed = true }
            }
        }
        return changed
    }

    /// The peers every atom in the result makes up.
    func peers() -> ExternalSet {
        let v6Offset = v4.starts.count
        let nameOffset = v6Offset + v6.starts.count
        func on(_ atom: Int) -> Bool { allowCount[atom] > 0 && denyCount[atom] == 0 }
        let addresses = AddressSet(v4: v4.set { on($0) }, v6: v6.set { on($0 + v6Offset) })
        let dns: DNSNames
        if on(nameOffset + names.count) {
            dns = DNSNames(Set(names.indices.filter { !on(nameOffset + $0) }.map { names[$0] }), allExcept: true)
        } else {
            dns = DNSNames(Set(names.indices.filter { on(nameOffset + $0) }.map { names[$0] }))
        }
        return ExternalSet(addresses: addresses, dns: dns)
    }
}

/// Differences of external rules, each distinct pair subtracted once: on a large estate most
/// workloads meet one of a few pairs of rules, and the difference is the costly part.
public struct ExternalRulesDifferences {
    private struct Pair: Hashable {
        var mine: ExternalRules
        var theirs: ExternalRules

        /// The rules' shapes only (`ExternalRules.hashShape`): hashing every address range and
        /// name of both sides cost more than the differences it saved (on a 1,250-workload
        /// spec, three quarters of the memo's time); equal pairs still meet in `==`.
        func hash(into hasher: inout Hasher) {
            mine.hashShape(into: &hasher)
            theirs.hashShape(into: &hasher)
        }
    }
    private var known: [Pair: ExternalRules] = [:]

    public init() {}

    /// `mine.subtracting(theirs)`, computed the first time this pair is met.
    public mutating func of(_ mine: ExternalRules, minus theirs: ExternalRules) -> ExternalRules {
        let pair = Pair(mine: mine, theirs: theirs)
        if let rest = known[pair] { return rest }
        let rest = mine.subtracting(theirs)
        known[pair] = rest
        return rest
    }
}

/// The result of a costly function for the argument it was last called with, reused while the
/// next call has an equal argument: workloads alike meet equal values in a row (often the same
/// storage, so the comparison is at once), and only a change of value costs a new result.
struct LastResult<Argument: Equatable, Result> {
    private var last: (argument: Argument, result: Result)?

    /// `compute(argument)`, or the last result when `argument` equals the last one.
    mutating func callAsFunction(_ argument: Argument, _ compute: (Argument) -> Result) -> Result {
        if let last, last.argument == argument { return last.result }
        let result = compute(argument)
        last = (argument, result)
        return result
    }
}
