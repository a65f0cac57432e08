import Diagnostics
import Testing

@testable import IR

/// The intent's sweep over overlapping allows and denies (pairs gathered and subtracted once,
/// external rules swept over the port axis with per-atom counts) against a brute force that
/// asks every (source, destination, port, peer) tuple on its own.
@Suite struct DenyOverlapTests {
    static let workloads = 3
    static let maxPort = 12
    static let base: UInt32 = 0x0A00_0000
    static let names = ["a.example.com", "b.example.com", "c.example.com"]

    /// A random port set over tcp/1-12 and udp/1-12.
    static func randomPorts(_ rng: inout SplitMix) -> PortSet {
        var ranges: [PortRange] = []
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let low = Int.random(in: 1...maxPort, using: &rng)
            let high = min(maxPort, low + Int.random(in: 0...5, using: &rng))
            ranges.append(PortRange(Bool.random(using: &rng) ? .tcp : .udp, low, high))
        }
        return PortSet(ranges)
    }

    /// Random addresses inside 10.0.0.0/28, sometimes with IPv6 and, as destinations, names.
    static func randomPeers(_ rng: inout SplitMix, names allowed: Bool) -> ExternalSet {
        let a = base + UInt32.random(in: 0...15, using: &rng)
        let b = min(base + 15, a + UInt32.random(in: 0...6, using: &rng))
        var set = ExternalSet(addresses: AddressSet(v4: IntervalSet(lower: a, upper: b)))
        if Int.random(in: 0..<4, using: &rng) == 0 { set.addresses.v6 = IntervalSet(lower: UInt128(Int.random(in: 0...3, using: &rng)), upper: 3) }
        if allowed {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: set.dns = DNSNames([names.randomElement(using: &rng)!])
            case 1: set.dns = DNSNames([names.randomElement(using: &rng)!], allExcept: true)
            case 2: set = ExternalSet.any
            default: break
            }
        }
        return set
    }

    static func randomFlows(_ rng: inout SplitMix) -> [Flow] {
        let range = SourceRange.wholeFile("spec.yaml")
        var flows: [Flow] = []
        for index in 0..<Int.random(in: 1...10, using: &rng) {
            let action: FlowAction = Int.random(in: 0..<5, using: &rng) < 2 ? .allow : .deny
            func workloads() -> [WorkloadID] {
                (0..<Self.workloads).filter { _ in Bool.random(using: &rng) }.map(WorkloadID.init)
            }
            var sources = Endpoints(workloads: workloads())
            var destinations = Endpoints(workloads: workloads())
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: sources.external = randomPeers(&rng, names: false)
            case 1: destinations.external = randomPeers(&rng, names: true)
            default: break
            }
            flows.append(
                Flow(
                    index: index, name: nil, description: nil, action: action, sources: sources, destinations: destinations,
                    ports: randomPorts(&rng), origin: range))
        }
        return flows
    }

    /// Every port key the tests ask about.
    static let ports: [(TransportProtocol, Int)] = [TransportProtocol.tcp, .udp].flatMap { proto in (1...maxPort).map { (proto, $0) } }

    @Test func intentEqualsBruteForce() {
        var rng = SplitMix(seed: 41)
        for round in 0..<300 {
            let flows = Self.randomFlows(&rng)
            // Every other round, workloads listen alike (drawn from two sets), as most do.
            let pool = [Self.randomPorts(&rng), Self.randomPorts(&rng)]
            let listens = (0..<Self.workloads).map { _ in round % 2 == 0 ? Self.randomPorts(&rng) : pool[Int(rng.next() % 2)] }
            let intent = Relation.intent(of: flows, listens: listens)
            func decided(_ matches: (Flow) -> Bool, allowClip: (Flow) -> Bool) -> Bool {
                flows.contains { $0.action == .allow && matches($0) && allowClip($0) } && !flows.contains { $0.action == .deny && matches($0) }
            }
            for (proto, port) in Self.ports {
                for d in 0..<Self.workloads {
                    let destination = WorkloadID(d)
                    let listening = listens[d].contains(proto, port)
                    for s in 0..<Self.workloads {
                        let expected = decided(
                            { flow in
                                flow.sources.workloads.contains(WorkloadID(s)) && flow.destinations.workloads.contains(destination)
                                    && flow.ports.contains(proto, port)
                            }, allowClip: { _ in listening })
                        #expect(intent.ports(from: WorkloadID(s), to: destination).contains(proto, port) == expected)
                    }
                    // Ingress, address by address.
                    let ingress = intent.ingress[destination]?.peers(proto, port) ?? .empty
                    for offset in UInt32(0)...15 {
                        let address = Self.base + offset
                        let expected = decided(
                            { flow in
                                flow.sources.external.addresses.v4.contains(address) && flow.destinations.workloads.contains(destination)
                                    && flow.ports.contains(proto, port)
                            }, allowClip: { _ in listening })
                        #expect(ingress.addresses.v4.contains(address) == expected)
                    }
                }
                // Egress, by address, IPv6 address and name.
                for s in 0..<Self.workloads {
                    let source = WorkloadID(s)
                    let egress = intent.egress[source]?.peers(proto, port) ?? .empty
                    func expected(_ peer: (ExternalSet) -> Bool) -> Bool {
                        decided(
                            { flow in flow.sources.workloads.contains(source) && peer(flow.destinations.external) && flow.ports.contains(proto, port) },
                            allowClip: { _ in true })
                    }
                    for offset in UInt32(0)...15 {
                        #expect(egress.addresses.v4.contains(Self.base + offset) == expected { $0.addresses.v4.contains(Self.base + offset) })
                    }
                    for address in UInt128(0)...4 {
                        #expect(egress.addresses.v6.contains(address) == expected { $0.addresses.v6.contains(address) })
                    }
                    for name in Self.names + ["other.example.com"] {
                        #expect(egress.dns.contains(name) == expected { $0.dns.contains(name) })
                    }
                }
            }
            // Normalized: entries with disjoint ports and distinct peers.
            for rules in Array(intent.ingress.values) + Array(intent.egress.values) {
                for (i, a) in rules.entries.enumerated() {
                    #expect(!a.peers.isEmpty)
                    for b in rules.entries[(i + 1)...] {
                        #expect(!a.ports.overlaps(b.ports))
                        #expect(a.peers != b.peers)
                    }
                }
            }
        }
    }

    /// Many overlapping denies on one pair and one external rule: the result is what the
    /// brute force says, and the number of entries stays bounded by the distinct peer sets.
    @Test func manyOverlappingDenies() {
        var rng = SplitMix(seed: 5)
        let range = SourceRange.wholeFile("spec.yaml")
        let clients = ExternalSet(addresses: AddressSet(v4: IntervalSet(lower: Self.base, upper: Self.base + 255)))
        var flows = [
            Flow(
                index: 0, name: nil, description: nil, action: .allow, sources: Endpoints(workloads: [WorkloadID(0)], external: clients),
                destinations: Endpoints(workloads: [WorkloadID(1)]), ports: .whole(.tcp), origin: range)
        ]
        var denied: [ClosedRange<Int>] = []
        for index in 1...400 {
            let low = Int.random(in: 1...60000, using: &rng)
            let high = min(65535, low + Int.random(in: 0...3000, using: &rng))
            denied.append(low...high)
            flows.append(
                Flow(
                    index: index, name: nil, description: nil, action: .deny, sources: Endpoints(workloads: [WorkloadID(0)], external: clients),
                    destinations: Endpoints(workloads: [WorkloadID(1)]), ports: PortSet(PortRange(.tcp, low, high)), origin: range))
        }
        let intent = Relation.intent(of: flows, listens: [PortSet(), .whole(.tcp)])
        let pairPorts = intent.ports(from: WorkloadID(0), to: WorkloadID(1))
        let ingress = intent.ingress[WorkloadID(1)] ?? ExternalRules()
        #expect(ingress.entries.count <= 1)
        for port in stride(from: 1, through: 65535, by: 7) {
            let open = !denied.contains { $0.contains(port) }
            #expect(pairPorts.contains(.tcp, port) == open)
            #expect((ingress.peers(.tcp, port) == clients) == open)
        }
    }

    /// The union of many sets at once equals the fold of unions.
    @Test func unionOfManyEqualsFold() {
        var rng = SplitMix(seed: 9)
        for _ in 0..<200 {
            let sets = (0..<Int.random(in: 0...8, using: &rng)).map { _ in Self.randomPorts(&rng) }
            #expect(PortSet(unionOf: sets) == sets.reduce(PortSet()) { $0.union($1) })
            let peers = (0..<Int.random(in: 0...5, using: &rng)).map { _ in Self.randomPeers(&rng, names: true) }
            let folded = peers.reduce(ExternalSet.empty) { $0.union($1) }
            #expect(ExternalSet(unionOf: peers) == folded)
        }
    }

    /// A small set against a large one (the binary-search path) agrees with brute force.
    @Test func smallAgainstLargeSets() {
        var rng = SplitMix(seed: 77)
        let large = IntervalSet<UInt32>(normalizing: (0..<500).map { IntervalSet<UInt32>.Interval(UInt32($0 * 10), UInt32($0 * 10 + 3)) })
        func members(_ set: IntervalSet<UInt32>) -> Set<UInt32> { Set(set.intervals.flatMap { Array($0.lower...$0.upper) }) }
        let largeMembers = members(large)
        for _ in 0..<200 {
            let low = UInt32.random(in: 0...5000, using: &rng)
            let small = IntervalSet<UInt32>(normalizing: [
                .init(low, low + UInt32.random(in: 0...40, using: &rng)), .init(low + 60, low + 60 + UInt32.random(in: 0...3, using: &rng)),
            ])
            let smallMembers = members(small)
            #expect(members(small.subtracting(large)) == smallMembers.subtracting(largeMembers))
            #expect(members(small.intersection(large)) == smallMembers.intersection(largeMembers))
            #expect(members(large.intersection(small)) == smallMembers.intersection(largeMembers))
            #expect(members(large.subtracting(small)) == largeMembers.subtracting(smallMembers))
        }
    }
}
