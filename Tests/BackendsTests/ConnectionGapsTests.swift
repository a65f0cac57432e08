import Diagnostics
import IR
import Spec
import TestSupport
import Testing

@testable import Backends

/// The grouped listing of connection gaps and the difference of relations the targets use,
/// against their plain definitions on randomized specs and relations.
@Suite struct ConnectionGapsTests {
    /// The grouping as defined (`groupedConnectionGaps`' documentation), row by row with the
    /// reason's text and the port set as keys: the reference the interned version must match
    /// gap for gap, in the same order.
    static func referenceGrouping(
        widened: Relation, narrowed: Relation, policy: Policy, target: TargetName, why: (ConnectionGapSite) -> String
    ) -> [Gap] {
        struct Row: Hashable {
            var kind: Gap.Kind
            var capability: Capability
            var reason: String
            var ports: PortSet
            var origin: SourceRange?
        }
        struct PairKey: Hashable {
            var row: Row
            var destination: WorkloadID
        }
        struct SourcesKey: Hashable {
            var row: Row
            var sources: [WorkloadID]
        }
        struct PeersKey: Hashable {
            var row: Row
            var peers: ExternalSet
        }
        var perIdentity: [IdentityID: Int] = [:]
        for workload in policy.workloads { perIdentity[workload.identity, default: 0] += 1 }
        func reason(_ site: ConnectionGapSite) -> String {
            var site = site
            site.sharesIdentity = site.workloads.contains { (perIdentity[policy.workloads[$0.index].identity] ?? 0) > 1 }
            return why(site)
        }
        var gaps: [Gap] = []
        let names = { (ids: [WorkloadID]) in Endpoint.workloads(named: ids.map { policy.workloads[$0.index].name }) }
        let asked = narrowed.isEmpty ? FlowIndex() : FlowIndex(policy.flows)
        for (kind, relation) in [(Gap.Kind.widened, widened), (.narrowed, narrowed)] {
            var sourcesOf: [PairKey: [WorkloadID]] = [:]
            var pairOrder: [PairKey] = []
            for (pair, ports) in relation.sortedPairs {
                let site = ConnectionGapSite(
                    kind: kind, part: .betweenWorkloads, source: pair.source, destination: pair.destination, ports: ports,
                    intendedPorts: policy.intent.ports(from: pair.source, to: pair.destination))
                let row = Row(
                    kind: kind, capability: kind == .widened ? .portFiltering : .workloadSegmentation, reason: reason(site), ports: ports,
                    origin: kind == .narrowed ? asked.pairs[pair] ?? policy.workloads[pair.destination.index].origin : nil)
                let key = PairKey(row: row, destination: pair.destination)
                if sourcesOf[key] == nil { pairOrder.append(key) }
                sourcesOf[key, default: []].append(pair.source)
            }
            var destinationsOf: [SourcesKey: [WorkloadID]] = [:]
            var rowOrder: [SourcesKey] = []
            for key in pairOrder {
                let grouped = SourcesKey(row: key.row, sources: sourcesOf[key] ?? [])
                if destinationsOf[grouped] == nil { rowOrder.append(grouped) }
                destinationsOf[grouped, default: []].append(key.destination)
            }
            for key in rowOrder {
                let destinations = (destinationsOf[key] ?? []).sorted()
                guard let first = destinations.first else { continue }
                gaps.append(
                    Gap(
                        kind: kind, capability: key.row.capability, target: target,
                        subject: .connection(Connection(names(key.sources), names(destinations), ports: key.row.ports)), reason: key.row.reason,
                        origin: key.row.origin ?? policy.workloads[first.index].origin))
            }
            for ingress in [true, false] {
                var workloadsOf: [PeersKey: [WorkloadID]] = [:]
                var order: [PeersKey] = []
                for (id, rules) in (ingress ? relation.ingress : relation.egress).sorted(by: { $0.key < $1.key }) {
                    let intended = (ingress ? policy.intent.ingress[id] : policy.intent.egress[id]) ?? ExternalRules()
                    for entry in rules.entries {
                        let site =
                            ingress
                            ? ConnectionGapSite(kind: kind, part: .ingress, destination: id, peers: entry.peers, ports: entry.ports, intended: intended)
                            : ConnectionGapSite(kind: kind, part: .egress, source: id, peers: entry.peers, ports: entry.ports, intended: intended)
                        let capability: Capability = ingress ? .externalIngress : entry.peers.addresses.isEmpty ? .dnsEgress : .externalEgress
                        let origin = kind == .narrowed ? (ingress ? asked.ingress[id] : asked.egress[id]) ?? policy.workloads[id.index].origin : nil
                        let key = PeersKey(
                            row: Row(kind: kind, capability: capability, reason: reason(site), ports: entry.ports, origin: origin), peers: entry.peers)
                        if workloadsOf[key] == nil { order.append(key) }
                        workloadsOf[key, default: []].append(id)
                    }
                }
                for key in order {
                    let ids = workloadsOf[key] ?? []
                    guard let first = ids.first else { continue }
                    let connection =
                        ingress
                        ? Connection(.external(key.peers), names(ids), ports: key.row.ports)
                        : Connection(names(ids), .external(key.peers), ports: key.row.ports)
                    gaps.append(
                        Gap(
                            kind: kind, capability: key.row.capability, target: target, subject: .connection(connection), reason: key.row.reason,
                            origin: key.row.origin ?? policy.workloads[first.index].origin))
                }
            }
        }
        return gaps
    }

    static let portChoices: [PortSet] = [
        .all, PortSet(.init(.tcp, 80, 80)), PortSet(.init(.tcp, 443, 443)), PortSet([.init(.tcp, 80, 80), .init(.udp, 53, 53)]), .whole(.tcp),
        PortSet.all.subtracting(PortSet(.init(.tcp, 80, 80))),
    ]

    static let ruleChoices: [ExternalRules] = [
        SwarmPlan.everythingOut,
        ExternalRules(entries: [.init(ports: .all, peers: ExternalSet(addresses: .all))]),
        ExternalRules(entries: [.init(ports: PortSet(.init(.tcp, 443, 443)), peers: ExternalSet(addresses: CIDR.v4(0x0A00_0000, prefix: 8).addressSet))]),
        ExternalRules(entries: [
            .init(ports: PortSet(.init(.tcp, 80, 80)), peers: ExternalSet(addresses: CIDR.v4(0xC633_6400, prefix: 24).addressSet)),
            .init(ports: PortSet(.init(.udp, 53, 53)), peers: .any),
        ]),
        ExternalRules(),
    ]

    /// A random relation over the policy's workloads, its port sets and rules drawn from small
    /// pools so that rows, sources and peers repeat.
    static func randomRelation<G: RandomNumberGenerator>(_ policy: Policy, _ rng: inout G) -> Relation {
        var relation = Relation()
        let ids = policy.workloads.map(\.id)
        for source in ids {
            for destination in ids where Int.random(in: 0..<3, using: &rng) == 0 {
                relation.betweenWorkloads[WorkloadPair(source, destination)] = portChoices.randomElement(using: &rng)!
            }
            let ingress = ruleChoices.randomElement(using: &rng)!
            if !ingress.isEmpty, Bool.random(using: &rng) { relation.ingress[source] = ingress }
            let egress = ruleChoices.randomElement(using: &rng)!
            if !egress.isEmpty, Bool.random(using: &rng) { relation.egress[source] = egress }
        }
        return relation
    }

    /// A reason that reads what a site carries, so that rows split on it.
    static func reason(_ site: ConnectionGapSite) -> String {
        let part =
            switch site.part {
            case .betweenWorkloads: "between"
            case .ingress: "in"
            case .egress: "out"
            }
        let who = site.destination.map { "d\($0.index % 2)" } ?? site.source.map { "s\($0.index % 3)" } ?? ""
        return "\(site.kind) \(part) \(who) \(site.sharesIdentity ? "shared" : "own") \(site.carries(.icmp) ? "icmp" : "")"
    }

    @Test func groupedGapsAreTheReferenceGrouping() throws {
        var rng = SeededGenerator(seed: 41)
        for round in 0..<40 {
            let policy = try #require(compileSpec(RandomSpec.generate(&rng)).policy)
            let widened = Self.randomRelation(policy, &rng)
            let narrowed = round % 3 == 0 ? policy.intent : Self.randomRelation(policy, &rng)
            let whys: [(ConnectionGapSite) -> String] = [Self.reason, { _ in "one reason" }, { "\($0.intendedPorts) \($0.source.map { $0.index % 2 } ?? -1)" }]
            for why in whys {
                let grouped = groupedConnectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .swarm, why: why)
                let reference = Self.referenceGrouping(widened: widened, narrowed: narrowed, policy: policy, target: .swarm, why: why)
                #expect(grouped == reference, "round \(round)")
            }
        }
    }

    /// The gaps of a widened relation in product form as defined (`connectionGaps(widened:…)`'s
    /// documentation), rows keyed by the reason's text, the port set, the source list and the
    /// peer set themselves: the reference the interned version must match gap for gap.
    static func referenceProductGaps(
        widened: ProductRelation, narrowed: Relation, policy: Policy, target: TargetName, why: (ConnectionGapSite) -> String
    ) -> [Gap] {
        var gaps = referenceGrouping(widened: widened.pairs, narrowed: Relation(), policy: policy, target: target, why: why)
        var perIdentity: [IdentityID: Int] = [:]
        for workload in policy.workloads { perIdentity[workload.identity, default: 0] += 1 }
        func reason(_ site: ConnectionGapSite) -> String {
            var site = site
            site.sharesIdentity = site.workloads.contains { (perIdentity[policy.workloads[$0.index].identity] ?? 0) > 1 }
            return why(site)
        }
        let names = { (ids: [WorkloadID]) in Endpoint.workloads(named: ids.map { policy.workloads[$0.index].name }) }
        struct RowKey: Hashable {
            var reason: String
            var ports: PortSet
            var sources: [WorkloadID]
        }
        var destinationsOf: [RowKey: [WorkloadID]] = [:]
        var order: [RowKey] = []
        for block in widened.blocks {
            guard let source = block.sources.first, let destination = block.destinations.first, !block.ports.isEmpty else { continue }
            let site = ConnectionGapSite(
                kind: .widened, part: .betweenWorkloads, source: source, destination: destination, ports: block.ports,
                intendedPorts: policy.intent.ports(from: source, to: destination))
            let key = RowKey(reason: reason(site), ports: block.ports, sources: block.sources)
            if destinationsOf[key] == nil { order.append(key) }
            destinationsOf[key, default: []].append(contentsOf: block.destinations)
        }
        for key in order {
            let destinations = (destinationsOf[key] ?? []).sorted()
            gaps.append(
                Gap(
                    kind: .widened, capability: .portFiltering, target: target,
                    subject: .connection(Connection(names(key.sources), names(destinations), ports: key.ports)), reason: key.reason,
                    origin: policy.workloads[destinations[0].index].origin))
        }
        struct PeersKey: Hashable {
            var reason: String
            var capability: Capability
            var ports: PortSet
            var peers: ExternalSet
        }
        for ingress in [true, false] {
            var workloadsOf: [PeersKey: [WorkloadID]] = [:]
            var order: [PeersKey] = []
            for block in ingress ? widened.ingress : widened.egress {
                guard let first = block.workloads.first else { continue }
                let intended = (ingress ? policy.intent.ingress[first] : policy.intent.egress[first]) ?? ExternalRules()
                for entry in block.rules.entries {
                    let site =
                        ingress
                        ? ConnectionGapSite(kind: .widened, part: .ingress, destination: first, peers: entry.peers, ports: entry.ports, intended: intended)
                        : ConnectionGapSite(kind: .widened, part: .egress, source: first, peers: entry.peers, ports: entry.ports, intended: intended)
                    let capability: Capability = ingress ? .externalIngress : entry.peers.addresses.isEmpty ? .dnsEgress : .externalEgress
                    let key = PeersKey(reason: reason(site), capability: capability, ports: entry.ports, peers: entry.peers)
                    if workloadsOf[key] == nil { order.append(key) }
                    workloadsOf[key, default: []].append(contentsOf: block.workloads)
                }
            }
            for key in order {
                let ids = (workloadsOf[key] ?? []).sorted()
                let connection =
                    ingress ? Connection(.external(key.peers), names(ids), ports: key.ports) : Connection(names(ids), .external(key.peers), ports: key.ports)
                gaps.append(
                    Gap(
                        kind: .widened, capability: key.capability, target: target, subject: .connection(connection), reason: key.reason,
                        origin: policy.workloads[ids[0].index].origin))
            }
        }
        return gaps + referenceGrouping(widened: Relation(), narrowed: narrowed, policy: policy, target: target, why: why)
    }

    /// A random widened relation in product form: blocks and external blocks over random lists
    /// of the policy's workloads (a block's destinations sometimes out of order), their ports and
    /// rules drawn from the small pools (so that rows repeat, in runs and apart), beside random pairs.
    static func randomProducts<G: RandomNumberGenerator>(_ policy: Policy, _ rng: inout G) -> ProductRelation {
        let ids = policy.workloads.map(\.id)
        func list() -> [WorkloadID] { ids.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 } }
        var products = ProductRelation(Bool.random(using: &rng) ? randomRelation(policy, &rng) : Relation())
        let lists = (0..<3).map { _ in list() }
        for _ in 0..<Int.random(in: 0..<12, using: &rng) {
            let sources = Bool.random(using: &rng) ? lists.randomElement(using: &rng)! : list()
            // Some destination lists out of order: a row of one block is sorted only when it is not.
            let destinations = Int.random(in: 0..<4, using: &rng) == 0 ? list().shuffled(using: &rng) : list()
            products.blocks.append(.init(sources: sources, destinations: destinations, ports: portChoices.randomElement(using: &rng)!))
        }
        for _ in 0..<Int.random(in: 0..<6, using: &rng) {
            products.ingress.append(.init(workloads: list(), rules: ruleChoices.randomElement(using: &rng)!))
            products.egress.append(.init(workloads: list(), rules: ruleChoices.randomElement(using: &rng)!))
        }
        return products
    }

    @Test func productGapsAreTheReferenceGrouping() throws {
        var rng = SeededGenerator(seed: 43)
        for round in 0..<40 {
            let policy = try #require(compileSpec(RandomSpec.generate(&rng)).policy)
            let widened = Self.randomProducts(policy, &rng)
            let narrowed = round % 3 == 0 ? Relation() : Self.randomRelation(policy, &rng)
            let whys: [(ConnectionGapSite) -> String] = [Self.reason, { _ in "one reason" }, { "\($0.intendedPorts) \($0.source.map { $0.index % 2 } ?? -1)" }]
            for why in whys {
                let gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .aws, why: why)
                let reference = Self.referenceProductGaps(widened: widened, narrowed: narrowed, policy: policy, target: .aws, why: why)
                #expect(gaps == reference, "round \(round)")
            }
        }
    }

    /// Workloads of one identity are told apart from the others in the reasons.
    @Test func sharedIdentitiesReachTheReasons() throws {
        let text = """
            version: 1
            name: shared
            segments: {app: {}}
            identities: {sa: {}}
            workloads:
              a: {segment: app, image: "registry.example.com/a:1", identity: sa, ports: [tcp/80]}
              b: {segment: app, image: "registry.example.com/b:1", identity: sa, ports: [tcp/80]}
              c: {segment: app, image: "registry.example.com/c:1", ports: [tcp/80]}
            flows:
              - {from: c, to: a, ports: [tcp/80]}
              - {from: c, to: c, ports: [tcp/80]}
            """
        let policy = try #require(compileSpec(text).policy)
        let gaps = groupedConnectionGaps(widened: policy.intent, narrowed: Relation(), policy: policy, target: .gcp) { $0.sharesIdentity ? "shared" : "own" }
        #expect(gaps.map(\.reason) == ["shared", "own"])
        #expect(
            gaps == Self.referenceGrouping(widened: policy.intent, narrowed: Relation(), policy: policy, target: .gcp) { $0.sharesIdentity ? "shared" : "own" })
    }

    /// Whether a site's ports (the intent's) have a protocol, told by one overlap, is whether
    /// the protocols listed of them contain it: on the pools' sets, their differences, and
    /// random ranges of every protocol.
    @Test func protocolTestsAreTheListedProtocols() {
        var rng = SeededGenerator(seed: 53)
        func randomSet() -> PortSet {
            var set = Self.portChoices.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 0..<4, using: &rng) {
                let lower = Int.random(in: 0...65535, using: &rng)
                let range = PortSet(PortRange(TransportProtocol.allCases.randomElement(using: &rng)!, lower, Int.random(in: lower...65535, using: &rng)))
                set = Bool.random(using: &rng) ? set.union(range) : set.subtracting(range)
            }
            return Int.random(in: 0..<8, using: &rng) == 0 ? PortSet() : set
        }
        for round in 0..<400 {
            let site = ConnectionGapSite(
                kind: .widened, part: .betweenWorkloads, source: WorkloadID(0), destination: WorkloadID(1), ports: randomSet(), intendedPorts: randomSet())
            for proto in TransportProtocol.allCases {
                #expect(site.carries(proto) == site.ports.protocols.contains(proto), "round \(round) \(proto)")
                #expect(site.asks(proto) == site.intendedPorts.protocols.contains(proto), "round \(round) \(proto)")
            }
        }
    }

    /// An interner with a fingerprint numbers values as one without: with the port sets' own
    /// fingerprint, and with one every value shares (each look-up then meets other values
    /// under its fingerprint, which only comparing tells apart), on random port sets asked in
    /// runs and interleaved, equal sets among them built apart.
    @Test func fingerprintsNumberValuesAsHashingDoes() {
        var rng = SeededGenerator(seed: 59)
        let pool = (0..<300).map { _ -> PortSet in
            var set = PortSet()
            for _ in 0..<Int.random(in: 0..<4, using: &rng) {
                let lower = Int.random(in: 0...400, using: &rng)
                set = set.union(PortSet(PortRange(TransportProtocol.allCases.randomElement(using: &rng)!, lower, Int.random(in: lower...420, using: &rng))))
            }
            return set
        }
        var plain = Interner<PortSet>()
        var fingerprinted = Interner<PortSet>(fingerprint: \.fingerprint)
        var colliding = Interner<PortSet>(fingerprint: { _ in 7 })
        for step in 0..<6000 {
            let set = pool[Int.random(in: 0..<(step < 3000 ? pool.count : 12), using: &rng)]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                // The same set rebuilt: equal, its intervals another array.
                let asked = Bool.random(using: &rng) ? set : PortSet(keys: IntervalSet(normalizing: set.keys.intervals.map { $0 }))
                #expect(asked.fingerprint == set.fingerprint)
                let id = plain.id(asked)
                #expect(fingerprinted.id(asked) == id, "step \(step)")
                #expect(colliding.id(asked) == id, "step \(step)")
            }
        }
        #expect(fingerprinted.values == plain.values && colliding.values == plain.values)
    }

    /// The counted sort gives the pairs in the order the relation's own sort does.
    @Test func sortedPairsIsTheRelationsOrder() {
        var rng = SeededGenerator(seed: 47)
        for round in 0..<40 {
            var relation = Relation()
            let workloads = round % 4 == 0 ? 1 : Int.random(in: 1..<60, using: &rng)
            for _ in 0..<Int.random(in: 0..<300, using: &rng) {
                let pair = WorkloadPair(WorkloadID(Int.random(in: 0..<workloads, using: &rng)), WorkloadID(Int.random(in: 0..<workloads, using: &rng)))
                relation.betweenWorkloads[pair] = Self.portChoices.randomElement(using: &rng)!
            }
            let sorted = sortedPairs(relation.betweenWorkloads)
            #expect(sorted.map(\.pair) == relation.sortedPairs.map(\.pair), "round \(round)")
            #expect(sorted.map(\.ports) == relation.sortedPairs.map(\.ports), "round \(round)")
        }
    }

    @Test func subtractingAlikeIsSubtracting() throws {
        var rng = SeededGenerator(seed: 43)
        for round in 0..<40 {
            let policy = try #require(compileSpec(RandomSpec.generate(&rng)).policy)
            let (a, b) = (Self.randomRelation(policy, &rng), round % 2 == 0 ? policy.intent : Self.randomRelation(policy, &rng))
            #expect(subtractingAlike(a, b) == a.subtracting(b), "round \(round)")
            #expect(subtractingAlike(b, a) == b.subtracting(a), "round \(round)")
        }
    }
}
