/// Relations in product form: what many workloads do alike is kept once, for the group, not once
/// per workload pair. A firewall's rules are about identities (security groups, service
/// accounts, application security groups), so what they allow is a `GroupedRelation`; what it
/// allows beyond the intent is a `ProductRelation`, a few products `sources × destinations ×
/// ports` beside the pairs that differ one by one. Both expand to the `Relation` they stand
/// for (`expanded`), and every operation here gives exactly what the pair-wise one gives on
/// the expansions (the IR tests compare them on random relations).

/// A relation over groups of workloads: every workload of a group reaches every workload of
/// another group on the ports the pair of groups has, and has its group's external rules.
/// The groups are disjoint (a workload is in at most one); workloads in none allow nothing.
public struct GroupedRelation: Sendable, Hashable {
    /// A pair of groups, by index into `groups`.
    public struct Pair: Sendable, Hashable, Comparable {
        public var source: Int
        public var destination: Int

        public init(source: Int, destination: Int) {
            self.source = source
            self.destination = destination
        }

        public static func < (lhs: Pair, rhs: Pair) -> Bool { (lhs.source, lhs.destination) < (rhs.source, rhs.destination) }

        /// The hash dictionaries and sets take: `QuickHash` of both indices in one word.
        public func _rawHashValue(seed: Int) -> Int {
            QuickHash.mix(source, destination, seed: seed)
        }
    }

    /// The workloads of each group, sorted.
    public private(set) var groups: [[WorkloadID]]
    /// Between groups: ports by pair of groups (never empty).
    public private(set) var between: [Pair: PortSet]
    /// External peers into each group's workloads (never empty).
    public private(set) var ingress: [Int: ExternalRules]
    /// Each group's workloads to external peers (never empty).
    public private(set) var egress: [Int: ExternalRules]

    /// Empty port sets and rules are dropped; each group's workloads are sorted.
    public init(groups: [[WorkloadID]], between: [Pair: PortSet] = [:], ingress: [Int: ExternalRules] = [:], egress: [Int: ExternalRules] = [:]) {
        self.groups = groups.map { $0.sorted() }
        self.between = between.filter { !$0.value.isEmpty }
        self.ingress = ingress.filter { !$0.value.isEmpty }
        self.egress = egress.filter { !$0.value.isEmpty }
    }

    /// The group of each workload, by workload index (-1: in no group).
    func groupIndex() -> [Int] {
        let size = (groups.lazy.compactMap { $0.last?.index }.max() ?? -1) + 1
        var index = [Int](repeating: -1, count: size)
        for (group, members) in groups.enumerated() {
            for member in members { index[member.index] = group }
        }
        return index
    }

    /// The relation it stands for, pair by pair.
    public var expanded: Relation {
        var relation = Relation()
        relation.betweenWorkloads.reserveCapacity(between.reduce(0) { $0 + groups[$1.key.source].count * groups[$1.key.destination].count })
        for (pair, ports) in between {
            for source in groups[pair.source] {
                for destination in groups[pair.destination] { relation.betweenWorkloads[WorkloadPair(source, destination)] = ports }
            }
        }
        for (group, rules) in ingress {
            for workload in groups[group] { relation.ingress[workload] = rules }
        }
        for (group, rules) in egress {
            for workload in groups[group] { relation.egress[workload] = rules }
        }
        return relation
    }

    /// The tuples it allows that `other` lacks, as products: for each pair of groups, the
    /// sources with no pair in `other` reach every destination of the pair on its ports (one
    /// product); a source with some is one product towards the destinations it has no pair
    /// with, and each pair `other` has keeps its own remainder. External rules alike: the
    /// workloads `other` gives none share one product per group. Work is linear in the groups,
    /// `other`'s rules and the products made, and `other`'s pairs are sorted once: never in the
    /// pairs the products stand for.
    public func subtracting(_ other: Relation) -> ProductRelation {
        let groupOf = groupIndex()
        func group(_ id: WorkloadID) -> Int { id.index < groupOf.count ? groupOf[id.index] : -1 }
        var result = ProductRelation()
        // Other's pairs between grouped workloads, in order of their pair of groups, then of
        // the pair: each allowed pair of groups below finds its own as one run, met in the same
        // order, with no table of pairs of groups built and looked up.
        var inside: [(key: Pair, pair: WorkloadPair, ports: PortSet)] = []
        inside.reserveCapacity(other.betweenWorkloads.count)
        for (pair, ports) in other.betweenWorkloads {
            let (source, destination) = (group(pair.source), group(pair.destination))
            guard source >= 0, destination >= 0 else { continue }
            inside.append((Pair(source: source, destination: destination), pair, ports))
        }
        inside.sort { ($0.key, $0.pair) < ($1.key, $1.pair) }
        var start = 0
        for (key, ports) in between.sorted(by: { $0.key < $1.key }) {
            while start < inside.count, inside[start].key < key { start += 1 }
            var end = start
            while end < inside.count, inside[end].key == key { end += 1 }
            let known = inside[start..<end]
            start = end
            let destinations = groups[key.destination]
            guard !known.isEmpty else {
                result.blocks.append(.init(sources: groups[key.source], destinations: destinations, ports: ports))
                continue
            }
            // Sources with pairs in `other`, each with the destinations it has pairs with.
            var free: [WorkloadID] = []
            var rows: [[WorkloadID]: [WorkloadID]] = [:]
            var rowOrder: [[WorkloadID]] = []
            var next = known.startIndex
            for source in groups[key.source] {
                while next < known.endIndex, known[next].pair.source < source { next += 1 }
                let first = next
                while next < known.endIndex, known[next].pair.source == source {
                    let theirs = known[next].ports
                    if theirs != ports {
                        let rest = ports.subtracting(theirs)
                        if !rest.isEmpty { result.pairs.betweenWorkloads[known[next].pair] = rest }
                    }
                    next += 1
                }
                guard next > first else {
                    free.append(source)
                    continue
                }
                let taken = known[first..<next].map(\.pair.destination)
                if rows[taken] == nil { rowOrder.append(taken) }
                rows[taken, default: []].append(source)
            }
            if !free.isEmpty { result.blocks.append(.init(sources: free, destinations: destinations, ports: ports)) }
            for taken in rowOrder {
                // `taken` is sorted, as `known` is: a merge, not a set.
                var rest: [WorkloadID] = []
                var index = 0
                for destination in destinations {
                    while index < taken.count, taken[index] < destination { index += 1 }
                    if index == taken.count || taken[index] != destination { rest.append(destination) }
                }
                guard !rest.isEmpty, let sources = rows[taken] else { continue }
                result.blocks.append(.init(sources: sources, destinations: rest, ports: ports))
            }
        }
        func external(_ mine: [Int: ExternalRules], _ theirs: [WorkloadID: ExternalRules], into pairs: inout [WorkloadID: ExternalRules])
            -> [ProductRelation.ExternalBlock]
        {
            var blocks: [ProductRelation.ExternalBlock] = []
            for group in mine.keys.sorted() {
                guard let rules = mine[group] else { continue }
                var free: [WorkloadID] = []
                // The difference of the last rules met, reused while the next workload has the same.
                var difference = LastResult<ExternalRules, ExternalRules>()
                for workload in groups[group] {
                    guard let other = theirs[workload] else {
                        free.append(workload)
                        continue
                    }
                    guard other != rules else { continue }
                    let rest = difference(other) { rules.subtracting($0) }
                    if !rest.isEmpty { pairs[workload] = rest }
                }
                if !free.isEmpty { blocks.append(.init(workloads: free, rules: rules)) }
            }
            return blocks
        }
        result.ingress = external(ingress, other.ingress, into: &result.pairs.ingress)
        result.egress = external(egress, other.egress, into: &result.pairs.egress)
        return result
    }
}

extension Relation {
    /// The tuples of this relation that `grouped` lacks: each pair looked up by its groups, so
    /// work is linear in this relation, whatever the groups stand for.
    public func subtracting(_ grouped: GroupedRelation) -> Relation {
        let groupOf = grouped.groupIndex()
        func group(_ id: WorkloadID) -> Int { id.index < groupOf.count ? groupOf[id.index] : -1 }
        var result = Relation()
        for (pair, ports) in betweenWorkloads {
            let (source, destination) = (group(pair.source), group(pair.destination))
            guard source >= 0, destination >= 0, let theirs = grouped.between[.init(source: source, destination: destination)] else {
                result.betweenWorkloads[pair] = ports
                continue
            }
            guard theirs != ports else { continue }
            let rest = ports.subtracting(theirs)
            if !rest.isEmpty { result.betweenWorkloads[pair] = rest }
        }
        result.ingress = Relation.subtracting(ingress) { grouped.ingress[group($0)] }
        result.egress = Relation.subtracting(egress) { grouped.egress[group($0)] }
        return result
    }
}

/// A relation as products beside pairs: `pairs`, plus every source of a block to every
/// destination of it on its ports, plus every workload of an external block with its rules.
/// No two parts share a workload pair (between workloads) or a workload (per direction), so the
/// tuples are counted without listing them (`pairCount`).
public struct ProductRelation: Sendable, Hashable {
    /// Every source to every destination on the ports.
    public struct Block: Sendable, Hashable {
        public var sources: [WorkloadID]
        public var destinations: [WorkloadID]
        public var ports: PortSet

        public init(sources: [WorkloadID], destinations: [WorkloadID], ports: PortSet) {
            self.sources = sources
            self.destinations = destinations
            self.ports = ports
        }
    }

    /// The same external rules for every workload of the list.
    public struct ExternalBlock: Sendable, Hashable {
        public var workloads: [WorkloadID]
        public var rules: ExternalRules

        public init(workloads: [WorkloadID], rules: ExternalRules) {
            self.workloads = workloads
            self.rules = rules
        }
    }

    /// What differs pair by pair (or workload by workload).
    public var pairs: Relation
    public var blocks: [Block]
    /// External peers into each block's workloads.
    public var ingress: [ExternalBlock]
    /// Each block's workloads to external peers.
    public var egress: [ExternalBlock]

    public init(_ pairs: Relation = Relation(), blocks: [Block] = [], ingress: [ExternalBlock] = [], egress: [ExternalBlock] = []) {
        self.pairs = pairs
        self.blocks = blocks
        self.ingress = ingress
        self.egress = egress
    }

    /// Whether it holds products, or only pairs.
    public var hasProducts: Bool { !(blocks.isEmpty && ingress.isEmpty && egress.isEmpty) }

    public var isEmpty: Bool {
        pairs.isEmpty && blocks.allSatisfy { $0.sources.isEmpty || $0.destinations.isEmpty || $0.ports.isEmpty } && ingress.isEmpty && egress.isEmpty
    }

    /// How many workload pairs it allows something between, counted without listing them.
    public var pairCount: Int { blocks.reduce(pairs.betweenWorkloads.count) { $0 + $1.sources.count * $1.destinations.count } }

    /// The relation it stands for, pair by pair.
    public var expanded: Relation { restricted(sources: nil, destinations: nil) }

    /// The part of it from `sources` (nil: every workload) to `destinations`: the pairs
    /// between them, the ingress of `destinations` and the egress of `sources`. What an
    /// assertion about those workloads needs, without the rest.
    public func restricted(sources: Set<WorkloadID>?, destinations: Set<WorkloadID>?) -> Relation {
        guard hasProducts || sources != nil || destinations != nil else { return pairs }
        let sourceSet = WorkloadMembership(sources)
        let destinationSet = WorkloadMembership(destinations)
        func keep(_ ids: [WorkloadID], _ set: WorkloadMembership) -> [WorkloadID] { set.isEverything ? ids : ids.filter(set.contains) }
        var relation = Relation()
        for (pair, ports) in pairs.betweenWorkloads where sourceSet.contains(pair.source) && destinationSet.contains(pair.destination) {
            relation.betweenWorkloads[pair] = ports
        }
        for (workload, rules) in pairs.ingress where destinationSet.contains(workload) { relation.ingress[workload] = rules }
        for (workload, rules) in pairs.egress where sourceSet.contains(workload) { relation.egress[workload] = rules }
        for block in blocks where !block.ports.isEmpty {
            let kept = keep(block.destinations, destinationSet)
            guard !kept.isEmpty else { continue }
            for source in keep(block.sources, sourceSet) {
                for destination in kept { relation.betweenWorkloads[WorkloadPair(source, destination), default: PortSet()].formUnion(block.ports) }
            }
        }
        for block in ingress where !block.rules.isEmpty {
            for workload in keep(block.workloads, destinationSet) { relation.ingress[workload] = block.rules }
        }
        for block in egress where !block.rules.isEmpty {
            for workload in keep(block.workloads, sourceSet) { relation.egress[workload] = block.rules }
        }
        return relation
    }
}

/// A set of workloads (nil: every workload) as a bitmap by index, so that testing the members
/// of large blocks against a few assertions' workloads is an array read, not a hash.
public struct WorkloadMembership: Sendable {
    /// Whether every workload is a member.
    public let isEverything: Bool
    private let members: [Bool]

    public init(_ set: Set<WorkloadID>?) {
        guard let set else {
            isEverything = true
            members = []
            return
        }
        isEverything = false
        var members = [Bool](repeating: false, count: (set.lazy.map(\.index).max() ?? -1) + 1)
        for id in set { members[id.index] = true }
        self.members = members
    }

    public func contains(_ id: WorkloadID) -> Bool { isEverything || (id.index >= 0 && id.index < members.count && members[id.index]) }
}
