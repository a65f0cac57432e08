import Testing

@testable import IR

@Suite struct PortSetTests {
    @Test func rangesMergePerProtocol() {
        let set = PortSet([PortRange(.tcp, 80, 80), PortRange(.tcp, 81, 90), PortRange(.udp, 53, 53), PortRange(.tcp, 85, 100)])
        #expect(set.description == "tcp/80-100, udp/53")
        #expect(set.contains(.tcp, 95))
        #expect(!set.contains(.udp, 80))
    }

    /// One range makes the set a list of that range makes, for every protocol and bound.
    @Test func oneRangeIsTheListOfIt() {
        var rng = SplitMix(seed: 3)
        for proto in TransportProtocol.allCases {
            for _ in 0..<200 {
                let low = Int.random(in: 1...65535, using: &rng)
                let range = PortRange(proto, low, Int.random(in: low...65535, using: &rng))
                #expect(PortSet(range) == PortSet([range]))
                #expect(PortSet(range).ranges == PortSet([range]).ranges)
            }
        }
        #expect(PortSet(PortRange(.tcp, 1, 65535)) == .whole(.tcp))
    }

    @Test func allCoversEveryProtocol() {
        #expect(PortSet.all.description == "all")
        #expect(PortSet.all.protocols == [.tcp, .udp, .sctp, .icmp])
        #expect(PortSet.whole(.icmp).description == "icmp")
        #expect(PortSet.all.subtracting(.whole(.tcp)).description == "udp, sctp, icmp")
    }

    @Test func operationsAgreeWithBruteForce() {
        var rng = SplitMix(seed: 17)
        func random() -> (PortSet, Set<Int>) {
            var ranges: [PortRange] = []
            var members = Set<Int>()
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let proto = [TransportProtocol.tcp, .udp, .icmp].randomElement(using: &rng)!
                let low = Int.random(in: 1...60, using: &rng)
                let high = min(64, low + Int.random(in: 0...10, using: &rng))
                ranges.append(PortRange(proto, low, high))
                for port in (proto.hasPorts ? low...high : 0...0) { members.insert(proto.rawValue << 16 | port) }
            }
            return (PortSet(ranges), members)
        }
        func members(_ set: PortSet) -> Set<Int> {
            Set(set.ranges.flatMap { range in (range.lower...range.upper).map { range.proto.rawValue << 16 | $0 } })
        }
        for _ in 0..<1000 {
            let (a, sa) = random()
            let (b, sb) = random()
            #expect(members(a.union(b)) == sa.union(sb))
            #expect(members(a.intersection(b)) == sa.intersection(sb))
            #expect(members(a.subtracting(b)) == sa.subtracting(sb))
        }
    }

    @Test func protocolRunsAreTheRangesOfEachProtocol() {
        var rng = SplitMix(seed: 18)
        var sets: [PortSet] = [PortSet(), .all, .whole(.icmp)]
        for _ in 0..<300 {
            sets.append(
                PortSet(
                    (0..<Int.random(in: 1...6, using: &rng)).map { _ in
                        let proto = TransportProtocol.allCases.randomElement(using: &rng)!
                        let low = Int.random(in: 1...65535, using: &rng)
                        return PortRange(proto, low, Bool.random(using: &rng) ? low : Int.random(in: low...65535, using: &rng))
                    }))
        }
        for set in sets {
            let runs = set.protocolRuns
            #expect(runs.map(\.proto) == set.protocols, "\(set)")
            for run in runs { #expect(Array(run.ranges) == set.ranges.filter { $0.proto == run.proto }, "\(set)") }
        }
    }
}

@Suite struct ExternalRulesTests {
    /// Random contributions over 3 ports and a /28: the normalized rules must give, for each
    /// (port, address), exactly "some allow has it and no deny has it".
    @Test func normalizationIsExact() {
        var rng = SplitMix(seed: 23)
        let base: UInt32 = 0x0A00_0000
        for _ in 0..<400 {
            var contributions: [ExternalRules.Contribution] = []
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                let low = Int.random(in: 1...3, using: &rng)
                let high = Int.random(in: low...3, using: &rng)
                let a = base + UInt32.random(in: 0...15, using: &rng)
                let b = min(base + 15, a + UInt32.random(in: 0...8, using: &rng))
                contributions.append(
                    .init(
                        ports: PortSet(PortRange(.tcp, low, high)),
                        peers: ExternalSet(addresses: AddressSet(v4: IntervalSet(lower: a, upper: b))),
                        deny: Bool.random(using: &rng)))
            }
            let rules = ExternalRules(contributions: contributions)
            for port in 1...3 {
                for offset in UInt32(0)...15 {
                    let address = base + offset
                    func has(_ c: ExternalRules.Contribution) -> Bool { c.ports.contains(.tcp, port) && c.peers.addresses.v4.contains(address) }
                    let expected = contributions.contains { !$0.deny && has($0) } && !contributions.contains { $0.deny && has($0) }
                    #expect(rules.peers(.tcp, port).addresses.v4.contains(address) == expected)
                }
            }
            // Entries have disjoint ports and distinct peers.
            for (i, a) in rules.entries.enumerated() {
                for b in rules.entries[(i + 1)...] {
                    #expect(!a.ports.overlaps(b.ports))
                    #expect(a.peers != b.peers)
                }
            }
        }
    }
}

extension ExternalRulesTests {
    /// The shortcuts (allows of one peer set, nothing allowed, a union or difference with
    /// nothing or with itself) give the very entries the sweep builds: a deny of an address no
    /// allow names changes nothing but sends the same contributions through the sweep.
    @Test func shortcutsGiveTheSweepsEntries() {
        var rng = SplitMix(seed: 29)
        let base: UInt32 = 0x0A00_0000
        let outsider = ExternalRules.Contribution(
            ports: PortSet(PortRange(.tcp, 1, 9)), peers: ExternalSet(addresses: AddressSet(v4: IntervalSet(lower: 0x0B00_0000, upper: 0x0B00_0000))),
            deny: true)
        for _ in 0..<300 {
            let a = base + UInt32.random(in: 0...15, using: &rng)
            let peers = ExternalSet(
                addresses: AddressSet(v4: IntervalSet(lower: a, upper: a + UInt32.random(in: 0...8, using: &rng))),
                dns: Bool.random(using: &rng) ? DNSNames(["a.example.com"]) : DNSNames(["b.example.com"], allExcept: true))
            var contributions: [ExternalRules.Contribution] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let low = Int.random(in: 1...8, using: &rng)
                let empty = Int.random(in: 0...5, using: &rng) == 0
                contributions.append(
                    .init(ports: empty ? PortSet() : PortSet(PortRange(.tcp, low, Int.random(in: low...9, using: &rng))), peers: peers, deny: false))
            }
            if Bool.random(using: &rng) { contributions.append(.init(ports: PortSet(PortRange(.udp, 1, 2)), peers: .empty, deny: true)) }
            let quick = ExternalRules(contributions: contributions)
            let swept = ExternalRules(contributions: contributions + [outsider])
            #expect(quick == swept)
            #expect(quick.union(ExternalRules()) == quick)
            #expect(ExternalRules().union(quick) == quick)
            #expect(
                quick.union(quick)
                    == ExternalRules(contributions: (quick.entries + quick.entries).map { .init(ports: $0.ports, peers: $0.peers, deny: false) } + [outsider]))
            #expect(quick.subtracting(ExternalRules()) == quick)
            #expect(quick.subtracting(quick).isEmpty)
            #expect(ExternalRules().subtracting(quick).isEmpty)
        }
    }
}

@Suite struct QuantityTests {
    @Test func cpuQuantities() {
        #expect(Quantity.millicores("500m") == 500)
        #expect(Quantity.millicores("2") == 2000)
        #expect(Quantity.millicores("0.5") == 500)
        #expect(Quantity.millicores("0.5000") == 500)
        #expect(Quantity.millicores("0.0005") == nil)
        #expect(Quantity.millicores("0.5x") == nil)
        #expect(Quantity.millicores("m") == nil)
        #expect(Quantity.millicores("1.") == nil)
    }

    @Test func memoryQuantities() {
        #expect(Quantity.bytes("256Mi") == 256 << 20)
        #expect(Quantity.bytes("1.5G") == 1_500_000_000)
        #expect(Quantity.bytes("512M") == 512_000_000)
        #expect(Quantity.bytes("1024") == 1024)
        #expect(Quantity.bytes("1Xi") == nil)
    }
}

/// `LastResult`: a result reused only while the argument stays equal.
@Suite struct LastResultTests {
    @Test func aResultIsReusedOnlyForAnEqualArgumentInARow() {
        var calls: [Int] = []
        var square = LastResult<Int, Int>()
        let results = [3, 3, 4, 3, 3, 3, 5].map { argument in
            square(argument) { value in
                calls.append(value)
                return value * value
            }
        }
        #expect(results == [9, 9, 16, 9, 9, 9, 25])
        #expect(calls == [3, 4, 3, 5])
    }
}
