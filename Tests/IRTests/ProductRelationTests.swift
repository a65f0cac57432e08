import Testing

@testable import IR

/// Product-form relations give exactly what the pair-wise ones give on their expansions.
@Suite struct ProductRelationTests {
    /// A random port set over a few ports of two protocols.
    static func ports(_ rng: inout SplitMix) -> PortSet {
        var ranges: [PortRange] = []
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            let proto = [TransportProtocol.tcp, .udp].randomElement(using: &rng)!
            let low = Int.random(in: 1...6, using: &rng)
            ranges.append(PortRange(proto, low, min(8, low + Int.random(in: 0...3, using: &rng))))
        }
        return PortSet(ranges)
    }

    /// Random external rules over a /28 and a few ports.
    static func rules(_ rng: inout SplitMix) -> ExternalRules {
        let base: UInt32 = 0x0A00_0000
        var contributions: [ExternalRules.Contribution] = []
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            let a = base + UInt32.random(in: 0...15, using: &rng)
            let b = min(base + 15, a + UInt32.random(in: 0...6, using: &rng))
            contributions.append(.init(ports: ports(&rng), peers: ExternalSet(addresses: AddressSet(v4: IntervalSet(lower: a, upper: b))), deny: false))
        }
        return ExternalRules(contributions: contributions)
    }

    /// Random groups over `count` workloads (some in none), random pairs of groups and rules.
    static func grouped(_ rng: inout SplitMix, count: Int) -> GroupedRelation {
        var groups: [[WorkloadID]] = Array(repeating: [], count: Int.random(in: 1...4, using: &rng))
        for index in 0..<count {
            let group = Int.random(in: -1..<groups.count, using: &rng)
            if group >= 0 { groups[group].append(WorkloadID(index)) }
        }
        var between: [GroupedRelation.Pair: PortSet] = [:]
        var ingress: [Int: ExternalRules] = [:]
        var egress: [Int: ExternalRules] = [:]
        for source in groups.indices {
            for destination in groups.indices where Bool.random(using: &rng) {
                between[.init(source: source, destination: destination)] = ports(&rng)
            }
            if Bool.random(using: &rng) { ingress[source] = rules(&rng) }
            if Bool.random(using: &rng) { egress[source] = rules(&rng) }
        }
        return GroupedRelation(groups: groups, between: between, ingress: ingress, egress: egress)
    }

    /// A random pair-wise relation over `count` workloads; with `near`, many of its tuples
    /// taken from (or close to) it, so subtraction meets equal, wider and narrower ports.
    static func relation(_ rng: inout SplitMix, count: Int, near: Relation? = nil) -> Relation {
        var relation = Relation()
        for source in 0..<count {
            for destination in 0..<count where Int.random(in: 0..<3, using: &rng) == 0 {
                let pair = WorkloadPair(WorkloadID(source), WorkloadID(destination))
                let copied = near?.betweenWorkloads[pair]
                let ports = copied.map { Bool.random(using: &rng) ? $0 : $0.union(Self.ports(&rng)).subtracting(Self.ports(&rng)) } ?? Self.ports(&rng)
                if !ports.isEmpty { relation.betweenWorkloads[pair] = ports }
            }
        }
        for workload in (0..<count).map(WorkloadID.init) {
            for outward in [false, true] {
                let known = outward ? near?.egress[workload] : near?.ingress[workload]
                let rules = known.flatMap { Bool.random(using: &rng) ? $0 : nil } ?? (Bool.random(using: &rng) ? Self.rules(&rng) : ExternalRules())
                guard !rules.isEmpty else { continue }
                if outward { relation.egress[workload] = rules } else { relation.ingress[workload] = rules }
            }
        }
        return relation
    }

    @Test func subtractionAgreesWithPairwise() {
        var rng = SplitMix(seed: 41)
        for _ in 0..<300 {
            let count = Int.random(in: 0...9, using: &rng)
            let grouped = Self.grouped(&rng, count: count)
            let expanded = grouped.expanded
            let other = Self.relation(&rng, count: count, near: Bool.random(using: &rng) ? expanded : nil)
            let widened = grouped.subtracting(other)
            #expect(widened.expanded == expanded.subtracting(other))
            #expect(other.subtracting(grouped) == other.subtracting(expanded))
            // Parts are disjoint: the pairs counted without listing them are the pairs listed.
            #expect(widened.pairCount == widened.expanded.betweenWorkloads.count)
            let ingressListed = widened.ingress.reduce(widened.pairs.ingress.count) { $0 + $1.workloads.count }
            #expect(ingressListed == widened.expanded.ingress.count)
            let egressListed = widened.egress.reduce(widened.pairs.egress.count) { $0 + $1.workloads.count }
            #expect(egressListed == widened.expanded.egress.count)
            #expect(widened.isEmpty == widened.expanded.isEmpty)
        }
    }

    @Test func restrictionKeepsOnlyTheNamedWorkloads() {
        var rng = SplitMix(seed: 43)
        for _ in 0..<200 {
            let count = Int.random(in: 1...8, using: &rng)
            let grouped = Self.grouped(&rng, count: count)
            let widened = grouped.subtracting(Self.relation(&rng, count: count))
            let all = widened.expanded
            let sources = Set((0..<count).filter { _ in Bool.random(using: &rng) }.map(WorkloadID.init))
            let destinations = Set((0..<count).filter { _ in Bool.random(using: &rng) }.map(WorkloadID.init))
            let part = widened.restricted(sources: sources, destinations: destinations)
            #expect(part.betweenWorkloads == all.betweenWorkloads.filter { sources.contains($0.key.source) && destinations.contains($0.key.destination) })
            #expect(part.ingress == all.ingress.filter { destinations.contains($0.key) })
            #expect(part.egress == all.egress.filter { sources.contains($0.key) })
        }
    }

    @Test func membershipIsTheSetItWasMadeFrom() {
        var rng = SplitMix(seed: 44)
        for _ in 0..<100 {
            let set = Set((0..<Int.random(in: 0...40, using: &rng)).filter { _ in Bool.random(using: &rng) }.map(WorkloadID.init))
            let membership = WorkloadMembership(set)
            #expect(!membership.isEverything)
            for index in -2..<50 { #expect(membership.contains(WorkloadID(index)) == set.contains(WorkloadID(index))) }
        }
        let everything = WorkloadMembership(nil)
        #expect(everything.isEverything && everything.contains(WorkloadID(0)) && everything.contains(WorkloadID(1_000_000)))
    }

    @Test func groupsStandForEveryPairOfTheirWorkloads() {
        let groups = [[WorkloadID(2), WorkloadID(0)], [WorkloadID(1)]]
        let grouped = GroupedRelation(groups: groups, between: [.init(source: 0, destination: 1): PortSet(PortRange(.tcp, 80, 80))])
        #expect(grouped.groups[0] == [WorkloadID(0), WorkloadID(2)])
        let widened = grouped.subtracting(Relation())
        #expect(widened.blocks.count == 1)
        #expect(widened.pairCount == 2)
        #expect(Set(grouped.expanded.betweenWorkloads.keys) == [WorkloadPair(WorkloadID(0), WorkloadID(1)), WorkloadPair(WorkloadID(2), WorkloadID(1))])
    }
}
