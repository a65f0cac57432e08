import Testing

@testable import IR

/// Workload ids and pairs hash through `QuickHash`: equal keys alike, keys spread over a
/// table's buckets as a random function would, whatever the seed, and dictionaries and sets
/// keyed by them find what they hold.
@Suite struct QuickHashTests {
    static let pairs = (0..<400).flatMap { source in (0..<250).map { WorkloadPair(WorkloadID(source), WorkloadID(source * 7 + $0)) } }

    @Test func equalKeysHashAlikeAndSeedsMatter() {
        for seed in [0, 1, -1, 0x5EED] {
            for pair in Self.pairs.prefix(1000) {
                let copy = WorkloadPair(WorkloadID(pair.source.index), WorkloadID(pair.destination.index))
                #expect(copy._rawHashValue(seed: seed) == pair._rawHashValue(seed: seed))
                #expect(copy.hashValue == pair.hashValue)
            }
        }
        let pair = Self.pairs[17]
        #expect(pair._rawHashValue(seed: 1) != pair._rawHashValue(seed: 2))
        #expect(WorkloadID(5)._rawHashValue(seed: 9) == WorkloadID(5)._rawHashValue(seed: 9))
    }

    /// 100,000 keys over 65,536 buckets fill about 78% of them when hashed at random; sequential
    /// ids and pairs with shared sources must too (a weak mix would pile them up).
    @Test func keysSpreadOverTheBuckets() {
        for seed in [0, 0x1234_5678] {
            let pairBuckets = Set(Self.pairs.map { $0._rawHashValue(seed: seed) & 0xFFFF })
            let idBuckets = Set((0..<100_000).map { WorkloadID($0)._rawHashValue(seed: seed) & 0xFFFF })
            #expect(pairBuckets.count > 65_536 * 70 / 100, "\(pairBuckets.count) buckets")
            #expect(idBuckets.count > 65_536 * 70 / 100, "\(idBuckets.count) buckets")
        }
    }

    /// Port sets: equal sets built apart hash alike; sets of one port or one range each spread
    /// as random keys would; a pair of groups too.
    @Test func portSetsAndGroupPairsHashAlikeAndSpread() {
        for seed in [0, 77] {
            let built = PortSet([PortRange(.tcp, 80, 80), PortRange(.udp, 53, 53), PortRange(.tcp, 81, 90)])
            let apart = PortSet(PortRange(.tcp, 80, 90)).union(PortSet(PortRange(.udp, 53, 53)))
            #expect(built == apart && built._rawHashValue(seed: seed) == apart._rawHashValue(seed: seed))
            let singles = Set((1...65535).map { PortSet(PortRange(.tcp, $0, $0))._rawHashValue(seed: seed) & 0xFFFF })
            #expect(singles.count > 65_536 * 55 / 100, "\(singles.count) buckets")
            let ranges = Set((1...300).flatMap { low in (0..<300).map { PortSet(PortRange(.udp, low, low + $0))._rawHashValue(seed: seed) & 0xFFFF } })
            #expect(ranges.count > 65_536 * 65 / 100, "\(ranges.count) buckets")
            let groups = Set(
                (0..<300).flatMap { source in (0..<300).map { GroupedRelation.Pair(source: source, destination: $0)._rawHashValue(seed: seed) & 0xFFFF } })
            #expect(groups.count > 65_536 * 70 / 100, "\(groups.count) buckets")
        }
    }

    /// External sets: equal sets built apart hash alike (v4, v6 and names); sets apart only by
    /// the names they list still tell apart in a dictionary.
    @Test func externalSetsHashAlikeAndKeyDictionaries() {
        func v4(_ lower: UInt32, _ upper: UInt32) -> ExternalSet { ExternalSet(addresses: AddressSet(v4: IntervalSet(lower: lower, upper: upper))) }
        func v6(_ lower: UInt128, _ upper: UInt128) -> ExternalSet { ExternalSet(addresses: AddressSet(v6: IntervalSet(lower: lower, upper: upper))) }
        let names = ExternalSet(dns: DNSNames(["a.example", "b.example"]))
        let built = v4(10, 20).union(v6(1 << 100, 1 << 101)).union(names)
        let apart = v4(10, 14).union(names).union(v6(1 << 100, 1 << 101)).union(v4(15, 20))
        for seed in [0, 3] {
            #expect(built == apart && built._rawHashValue(seed: seed) == apart._rawHashValue(seed: seed))
            let spread = Set((0..<50_000).map { v4(UInt32($0) * 256, UInt32($0) * 256 + 255)._rawHashValue(seed: seed) & 0xFFFF })
            #expect(spread.count > 65_536 * 45 / 100, "\(spread.count) buckets")
        }
        let other = ExternalSet(dns: DNSNames(["a.example", "c.example"]))
        let keyed: [ExternalSet: Int] = [names: 1, other: 2, built: 3]
        #expect(keyed[names] == 1 && keyed[other] == 2 && keyed[apart] == 3 && keyed[.any] == nil)
    }

    @Test func dictionariesAndSetsFindWhatTheyHold() {
        var ports: [WorkloadPair: Int] = [:]
        for (index, pair) in Self.pairs.enumerated() { ports[pair] = index }
        #expect(ports.count == Self.pairs.count)
        #expect(Self.pairs.enumerated().allSatisfy { ports[$1] == $0 })
        for pair in Self.pairs where pair.source.index % 2 == 0 { ports[pair] = nil }
        #expect(Self.pairs.allSatisfy { (ports[$0] != nil) == ($0.source.index % 2 == 1) })
        let ids = Set((0..<50_000).map { WorkloadID($0 * 3) })
        #expect((0..<150_000).allSatisfy { ids.contains(WorkloadID($0)) == ($0 % 3 == 0) })
    }
}
