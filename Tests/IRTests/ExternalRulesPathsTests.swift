import Testing

@testable import IR

/// The cheap paths of external rules and relations against the general ones: `union` and
/// `subtracting` entry by entry, a few contributions folded, and `Relation.subtracting`'s
/// patching of a few pairs and reuse of a difference met in a row, each equal to the sweep
/// (forced with more contributions than the fold takes) and to a brute force over every port.
@Suite struct ExternalRulesPathsTests {
    typealias Contribution = ExternalRules.Contribution

    /// Random rules from one to four allows and denies over tcp/udp 1-12 (`DenyOverlapTests`).
    static func randomRules(_ rng: inout SplitMix) -> ExternalRules {
        ExternalRules(contributions: randomContributions(&rng, count: Int.random(in: 1...4, using: &rng)))
    }

    static func randomContributions(_ rng: inout SplitMix, count: Int) -> [Contribution] {
        (0..<count).map { _ in
            Contribution(
                ports: DenyOverlapTests.randomPorts(&rng), peers: DenyOverlapTests.randomPeers(&rng, names: true),
                deny: Int.random(in: 0..<3, using: &rng) == 0)
        }
    }

    /// The same contributions through the sweep: padded with empty ones past the fold's limit.
    static func swept(_ contributions: [Contribution]) -> ExternalRules {
        let padding = Array(repeating: Contribution(ports: PortSet(), peers: .any, deny: false), count: ExternalRules.foldLimit + 1)
        return ExternalRules(contributions: contributions + padding)
    }

    static func allows(_ rules: ExternalRules) -> [Contribution] { rules.entries.map { Contribution(ports: $0.ports, peers: $0.peers, deny: false) } }
    static func denies(_ rules: ExternalRules) -> [Contribution] { rules.entries.map { Contribution(ports: $0.ports, peers: $0.peers, deny: true) } }

    /// Every port of tcp and udp 1-12 and ICMP.
    static let ports: [(TransportProtocol, Int)] =
        [TransportProtocol.tcp, .udp].flatMap { proto in (1...DenyOverlapTests.maxPort).map { (proto, $0) } } + [
            (.icmp, 0)
        ]

    @Test func unionAndSubtractingEqualTheSweepAndBruteForce() {
        var rng = SplitMix(seed: 15)
        for _ in 0..<400 {
            let a = Self.randomRules(&rng)
            let b = Int.random(in: 0..<5, using: &rng) == 0 ? a : Self.randomRules(&rng)
            let union = a.union(b)
            let difference = a.subtracting(b)
            #expect(union == Self.swept(Self.allows(a) + Self.allows(b)))
            #expect(difference == Self.swept(Self.allows(a) + Self.denies(b)))
            for (proto, port) in Self.ports {
                #expect(union.peers(proto, port) == a.peers(proto, port).union(b.peers(proto, port)))
                #expect(difference.peers(proto, port) == a.peers(proto, port).subtracting(b.peers(proto, port)))
            }
        }
    }

    /// A remembered difference is the difference, whether its pair is met for the first time
    /// or again (a few rules, so that pairs recur).
    @Test func rememberedDifferencesAreTheDifferences() {
        var rng = SplitMix(seed: 21)
        let rules = (0..<6).map { _ in Self.randomRules(&rng) } + [ExternalRules()]
        var known = ExternalRulesDifferences()
        for _ in 0..<300 {
            let mine = rules[Int.random(in: 0..<rules.count, using: &rng)]
            let theirs = rules[Int.random(in: 0..<rules.count, using: &rng)]
            #expect(known.of(mine, minus: theirs) == mine.subtracting(theirs))
        }
    }

    /// The memo's key hashes only the rules' shape: equal rules built apart (folded, swept,
    /// as a union) hash alike, and rules that differ in their entries' bounds or peers' sizes
    /// mostly hash apart.
    @Test func equalRulesHaveEqualShapes() {
        func shape(_ rules: ExternalRules) -> Int {
            var hasher = Hasher()
            rules.hashShape(into: &hasher)
            return hasher.finalize()
        }
        var rng = SplitMix(seed: 22)
        var distinct: [ExternalRules: Int] = [:]
        for _ in 0..<300 {
            let contributions = Self.randomContributions(&rng, count: Int.random(in: 1...ExternalRules.foldLimit, using: &rng))
            let folded = ExternalRules(contributions: contributions)
            let swept = Self.swept(contributions)
            #expect(folded == swept)
            #expect(shape(folded) == shape(swept))
            #expect(shape(folded.union(folded)) == shape(folded))
            distinct[folded] = shape(folded)
        }
        #expect(Set(distinct.values).count * 4 > distinct.count * 3)
    }

    @Test func aFewContributionsFoldedEqualTheSweep() {
        var rng = SplitMix(seed: 16)
        for _ in 0..<400 {
            let contributions = Self.randomContributions(&rng, count: Int.random(in: 2...ExternalRules.foldLimit, using: &rng))
            #expect(ExternalRules(contributions: contributions) == Self.swept(contributions))
        }
    }

    /// Many entries on either side take the sweep; the result is the same set.
    @Test func manyEntriesTakeTheSweep() {
        let peers = (0..<12).map { ExternalSet(addresses: AddressSet(v4: IntervalSet(lower: UInt32($0), upper: UInt32($0)))) }
        let a = ExternalRules(entries: peers.indices.map { .init(ports: PortSet(PortRange(.tcp, $0 + 1, $0 + 1)), peers: peers[$0]) })
        let b = ExternalRules(
            entries: peers.indices.map { .init(ports: PortSet([PortRange(.tcp, $0 + 1, $0 + 1), PortRange(.udp, $0 + 1, $0 + 1)]), peers: peers[$0]) })
        #expect(a.entries.count * b.entries.count > ExternalRules.pairwiseLimit)
        #expect(a.subtracting(b).isEmpty)
        #expect(b.subtracting(a) == ExternalRules(entries: peers.indices.map { .init(ports: PortSet(PortRange(.udp, $0 + 1, $0 + 1)), peers: peers[$0]) }))
        #expect(a.union(b) == b)
    }

    /// Random relations over four workloads: the difference is the brute force's, whether
    /// the other relation has few pairs (patched) or many, and when workloads share rules.
    @Test func relationSubtractingEqualsBruteForce() {
        var rng = SplitMix(seed: 17)
        let ids = (0..<4).map(WorkloadID.init)
        func relation(pairs: Int) -> Relation {
            var relation = Relation()
            let shared = Self.randomRules(&rng)
            for _ in 0..<pairs {
                let pair = WorkloadPair(ids.randomElement(using: &rng)!, ids.randomElement(using: &rng)!)
                relation.betweenWorkloads[pair] = DenyOverlapTests.randomPorts(&rng)
            }
            for id in ids where Bool.random(using: &rng) { relation.ingress[id] = Bool.random(using: &rng) ? shared : Self.randomRules(&rng) }
            for id in ids where Bool.random(using: &rng) { relation.egress[id] = shared }
            return relation
        }
        for _ in 0..<300 {
            let a = relation(pairs: Int.random(in: 0...16, using: &rng))
            let b = relation(pairs: Int.random(in: 0...3, using: &rng))
            for (mine, theirs) in [(a, b), (b, a), (a, a), (a, Relation())] {
                let difference = mine.subtracting(theirs)
                for source in ids {
                    for destination in ids {
                        #expect(
                            difference.betweenWorkloads[WorkloadPair(source, destination)]
                                == mine.ports(from: source, to: destination).subtracting(theirs.ports(from: source, to: destination)).nonEmpty)
                    }
                    for (part, mineRules, theirRules) in [
                        (difference.ingress, mine.ingress, theirs.ingress), (difference.egress, mine.egress, theirs.egress),
                    ] {
                        let expected = (mineRules[source] ?? ExternalRules()).subtracting(theirRules[source] ?? ExternalRules())
                        #expect(part[source] == (expected.isEmpty ? nil : expected))
                    }
                }
            }
        }
    }
}

extension PortSet {
    fileprivate var nonEmpty: PortSet? { isEmpty ? nil : self }
}
