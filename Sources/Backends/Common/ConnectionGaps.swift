import Diagnostics
import IR

/// Gaps for the connections a target allows beyond the intent (`widened`) and the intended
/// ones it blocks (`narrowed`), one per workload pair or per workload and direction, located at
/// the allow flow that asked (narrowed) or the workload the connection reaches (or leaves,
/// for egress). `why` gives each gap's reason from its own connection (`ConnectionGapSite`),
/// so that a reason names only what that connection carries. Targets list them grouped
/// (`connectionGaps`); this listing is the reference the grouping is tested against.
func pairwiseConnectionGaps(
    widened: Relation, narrowed: Relation, policy: Policy, target: TargetName, why: (ConnectionGapSite) -> String
) -> [Gap] {
    var gaps: [Gap] = []
    let name = { (id: WorkloadID) in Endpoint.workload(policy.workloads[id.index].name) }
    let asked = narrowed.isEmpty ? FlowIndex() : FlowIndex(policy.flows)
    let identities = SharedIdentities(policy)
    func gap(_ site: ConnectionGapSite, _ capability: Capability, _ connection: Connection, _ origin: SourceRange?) {
        let site = identities.marking(site)
        gaps.append(Gap(kind: site.kind, capability: capability, target: target, subject: .connection(connection), reason: why(site), origin: origin))
    }
    for (kind, relation) in [(Gap.Kind.widened, widened), (.narrowed, narrowed)] {
        for (pair, ports) in relation.sortedPairs {
            let site = ConnectionGapSite(
                kind: kind, part: .betweenWorkloads, source: pair.source, destination: pair.destination, ports: ports,
                intendedPorts: policy.intent.ports(from: pair.source, to: pair.destination))
            gap(
                site, kind == .widened ? .portFiltering : .workloadSegmentation, Connection(name(pair.source), name(pair.destination), ports: ports),
                (kind == .narrowed ? asked.pairs[pair] : nil) ?? policy.workloads[pair.destination.index].origin)
        }
        for (id, rules) in relation.ingress.sorted(by: { $0.key < $1.key }) {
            let intended = policy.intent.ingress[id] ?? ExternalRules()
            for entry in rules.entries {
                let site = ConnectionGapSite(kind: kind, part: .ingress, destination: id, peers: entry.peers, ports: entry.ports, intended: intended)
                gap(
                    site, .externalIngress, Connection(.external(entry.peers), name(id), ports: entry.ports),
                    (kind == .narrowed ? asked.ingress[id] : nil) ?? policy.workloads[id.index].origin)
            }
        }
        for (id, rules) in relation.egress.sorted(by: { $0.key < $1.key }) {
            let intended = policy.intent.egress[id] ?? ExternalRules()
            for entry in rules.entries {
                let site = ConnectionGapSite(kind: kind, part: .egress, source: id, peers: entry.peers, ports: entry.ports, intended: intended)
                gap(
                    site, entry.peers.addresses.isEmpty ? .dnsEgress : .externalEgress, Connection(name(id), .external(entry.peers), ports: entry.ports),
                    (kind == .narrowed ? asked.egress[id] : nil) ?? policy.workloads[id.index].origin)
            }
        }
    }
    return gaps
}

/// A target's gaps for the connections it allows beyond the intent (`widened`) and the intended
/// ones it blocks (`narrowed`), as products (`groupedConnectionGaps`): 10,000 workloads sharing
/// one network are one gap, never 10,000.
public func connectionGaps(
    widened: Relation, narrowed: Relation, policy: Policy, target: TargetName, why: (ConnectionGapSite) -> String
) -> [Gap] {
    groupedConnectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: target, why: why)
}

/// The same gaps as `pairwiseConnectionGaps`, grouped into products: connections of one kind, control,
/// reason and ports are one gap whose ends are lists of workloads (`Endpoint.workloads`)
/// wherever every source of the list reaches every destination of the list alike. Between
/// workloads, pairs are first grouped by (destination, ports, reason) into source lists,
/// then destinations with the same source list are joined; external rules are grouped by
/// (peers, ports, reason) into the workloads they reach or leave. Work is linear in the
/// relations' pairs and entries (and `why` is still asked once per pair, each pair's own
/// reason). A narrowed gap stays at the allow flow that asked, so flows are never merged
/// into one gap; a widened one is at the first workload its connections reach (leave).
/// `Gap.connection?.pairCount` counts what each gap stands for.
public func groupedConnectionGaps(
    widened: Relation, narrowed: Relation, policy: Policy, target: TargetName, why: (ConnectionGapSite) -> String
) -> [Gap] {
    // Rows are interned to small numbers (a reason, a port set, an origin each once), so the
    // grouping hashes integers per pair, never a reason's text or a port set.
    struct Row: Hashable {
        var reason: Int
        var ports: Int
        var origin: Int
    }
    struct SourcesKey: Hashable {
        var row: Int
        var sources: [WorkloadID]
    }
    struct PeersKey: Hashable {
        var row: Int
        var capability: Capability
        var peers: Int
    }
    var gaps: [Gap] = []
    let names = { (ids: [WorkloadID]) in Endpoint.workloads(named: ids.map { policy.workloads[$0.index].name }) }
    let asked = narrowed.isEmpty ? FlowIndex() : FlowIndex(policy.flows)
    let identities = SharedIdentities(policy)
    let intent = policy.intent.betweenWorkloads
    var reasons = Interner<String>()
    var portSets = Interner<PortSet>(fingerprint: \.fingerprint)
    var origins = Interner<SourceRange>()
    var peerSets = Interner<ExternalSet>(fingerprint: \.fingerprint)
    var rows = Interner<Row>()
    func reason(_ site: ConnectionGapSite) -> Int { reasons.id(why(identities.marking(site))) }
    func gap(_ kind: Gap.Kind, _ capability: Capability, _ row: Int, _ connection: Connection, first: WorkloadID) -> Gap {
        let row = rows.values[row]
        return Gap(
            kind: kind, capability: capability, target: target, subject: .connection(connection), reason: reasons.values[row.reason],
            origin: row.origin >= 0 ? origins.values[row.origin] : policy.workloads[first.index].origin)
    }
    for (kind, relation) in [(Gap.Kind.widened, widened), (.narrowed, narrowed)] {
        let capability: Capability = kind == .widened ? .portFiltering : .workloadSegmentation
        // Between workloads: sources per (row, destination), in the order first seen.
        // Each destination's latest (row, slot) by index: most destinations meet one row, so
        // the dictionary is asked only when a destination's row changes.
        // Tables sized for every pair at once (a slot per pair at most), never rehashed as
        // they fill: rehashing a source list's key hashes its whole list again.
        var slotOf: [UInt64: Int] = [:]
        slotOf.reserveCapacity(relation.betweenWorkloads.count)
        var latestRow = [Int](repeating: -1, count: policy.workloads.count)
        var latestSlot = [Int](repeating: 0, count: policy.workloads.count)
        var slots: [(row: Int, destination: WorkloadID)] = []
        var sourcesOf: [[WorkloadID]] = []
        // One site, set to each pair in place: a site made per pair is built and torn down.
        var site = ConnectionGapSite(
            kind: kind, part: .betweenWorkloads, source: WorkloadID(0), destination: WorkloadID(0), ports: PortSet(), intendedPorts: PortSet())
        for (pair, ports) in sortedPairs(relation.betweenWorkloads) {
            site.source = pair.source
            site.destination = pair.destination
            site.ports = ports
            site.intendedPorts = intent[pair] ?? PortSet()
            site.sharesIdentity = identities.shares(pair.source) || identities.shares(pair.destination)
            let origin = kind == .narrowed ? origins.id(asked.pairs[pair] ?? policy.workloads[pair.destination.index].origin) : -1
            let row = rows.id(Row(reason: reasons.id(why(site)), ports: portSets.id(ports), origin: origin))
            let destination = pair.destination.index
            if latestRow[destination] == row {
                sourcesOf[latestSlot[destination]].append(pair.source)
                continue
            }
            let key = UInt64(truncatingIfNeeded: row) << 32 | UInt64(truncatingIfNeeded: destination)
            let slot: Int
            if let known = slotOf[key] {
                slot = known
                sourcesOf[slot].append(pair.source)
            } else {
                slot = slots.count
                slotOf[key] = slot
                slots.append((row, pair.destination))
                sourcesOf.append([pair.source])
            }
            latestRow[destination] = row
            latestSlot[destination] = slot
        }
        // Destinations per (row, source list).
        var destinationsOf: [SourcesKey: Int] = [:]
        destinationsOf.reserveCapacity(slots.count)
        var groups: [(key: SourcesKey, destinations: [WorkloadID])] = []
        for (slot, sources) in zip(slots, sourcesOf) {
            let key = SourcesKey(row: slot.row, sources: sources)
            if let group = destinationsOf[key] {
                groups[group].destinations.append(slot.destination)
            } else {
                destinationsOf[key] = groups.count
                groups.append((key, [slot.destination]))
            }
        }
        for (key, destinations) in groups {
            let destinations = destinations.sorted()
            guard let first = destinations.first else { continue }
            let ports = portSets.values[rows.values[key.row].ports]
            gaps.append(gap(kind, capability, key.row, Connection(names(key.sources), names(destinations), ports: ports), first: first))
        }
        // External rules: workloads per (peers, row), ingress then egress.
        for ingress in [true, false] {
            var groupOf: [PeersKey: Int] = [:]
            var groups: [(key: PeersKey, workloads: [WorkloadID])] = []
            let part = ingress ? relation.ingress : relation.egress
            for (id, rules) in part.sorted(by: { $0.key < $1.key }) {
                let intended = (ingress ? policy.intent.ingress[id] : policy.intent.egress[id]) ?? ExternalRules()
                for entry in rules.entries {
                    let site =
                        ingress
                        ? ConnectionGapSite(kind: kind, part: .ingress, destination: id, peers: entry.peers, ports: entry.ports, intended: intended)
                        : ConnectionGapSite(kind: kind, part: .egress, source: id, peers: entry.peers, ports: entry.ports, intended: intended)
                    let capability: Capability = ingress ? .externalIngress : entry.peers.addresses.isEmpty ? .dnsEgress : .externalEgress
                    let origin =
                        kind == .narrowed ? origins.id((ingress ? asked.ingress[id] : asked.egress[id]) ?? policy.workloads[id.index].origin) : -1
                    let row = rows.id(Row(reason: reason(site), ports: portSets.id(entry.ports), origin: origin))
                    let key = PeersKey(row: row, capability: capability, peers: peerSets.id(entry.peers))
                    if let group = groupOf[key] {
                        groups[group].workloads.append(id)
                    } else {
                        groupOf[key] = groups.count
                        groups.append((key, [id]))
                    }
                }
            }
            for (key, ids) in groups {
                guard let first = ids.first else { continue }
                let peers = peerSets.values[key.peers]
                let ports = portSets.values[rows.values[key.row].ports]
                let connection =
                    ingress ? Connection(.external(peers), names(ids), ports: ports) : Connection(names(ids), .external(peers), ports: ports)
                gaps.append(gap(kind, key.capability, key.row, connection, first: first))
            }
        }
    }
    return gaps
}

/// A relation's pairs sorted by source, then destination: counted into one bucket per
/// source (linear), each bucket's destinations sorted as integers with the position of their
/// ports packed alongside.
func sortedPairs(_ pairs: [WorkloadPair: PortSet]) -> [(pair: WorkloadPair, ports: PortSet)] {
    var values: [(pair: WorkloadPair, ports: PortSet)] = []
    values.reserveCapacity(pairs.count)
    var sources = 0
    for (pair, ports) in pairs {
        values.append((pair, ports))
        sources = max(sources, pair.source.index + 1)
    }
    // Start of each source's bucket.
    var starts = [Int](repeating: 0, count: sources + 1)
    for value in values { starts[value.pair.source.index + 1] += 1 }
    for source in 0..<sources { starts[source + 1] += starts[source] }
    var next = starts
    var keys = [UInt64](repeating: 0, count: values.count)
    for (position, value) in values.enumerated() {
        keys[next[value.pair.source.index]] = UInt64(truncatingIfNeeded: value.pair.destination.index) << 32 | UInt64(truncatingIfNeeded: position)
        next[value.pair.source.index] += 1
    }
    keys.withUnsafeMutableBufferPointer { keys in
        for source in 0..<sources where starts[source + 1] - starts[source] > 1 { keys[starts[source]..<starts[source + 1]].sort() }
    }
    return keys.map { values[Int(truncatingIfNeeded: $0 & 0xFFFF_FFFF)] }
}

/// Small numbers for values met again and again (a reason, a port set): each distinct value
/// is hashed once per run of equal values, the same value in a row compared only. Given a
/// `fingerprint` (a cheap digest of a value, equal for equal values), a value is next looked
/// for as the last one met with its fingerprint, by comparing, before it is hashed: a few
/// hundred port sets met interleaved tens of thousands of times are each hashed about once.
struct Interner<Value: Hashable> {
    private(set) var values: [Value] = []
    private var ids: [Value: Int] = [:]
    private var last: (value: Value, id: Int)?
    private let fingerprint: ((Value) -> Int)?
    /// By fingerprint (its low bits): the id of the last value met with it, -1 for none.
    /// Empty without a fingerprint.
    private var recent: [Int] = []

    /// Room for `capacity` distinct values without growing (and rehashing) the table.
    init(capacity: Int = 0, fingerprint: ((Value) -> Int)? = nil) {
        values.reserveCapacity(capacity)
        ids.reserveCapacity(capacity)
        self.fingerprint = fingerprint
        if fingerprint != nil { recent = [Int](repeating: -1, count: 1024) }
    }

    mutating func id(_ value: Value) -> Int {
        if let last, last.value == value { return last.id }
        var slot = -1
        if let fingerprint {
            slot = fingerprint(value) & (recent.count - 1)
            let known = recent[slot]
            if known >= 0, values[known] == value {
                last = (value, known)
                return known
            }
        }
        let id: Int
        if let known = ids[value] {
            id = known
        } else {
            id = values.count
            values.append(value)
            ids[value] = id
        }
        if slot >= 0 { recent[slot] = id }
        last = (value, id)
        return id
    }
}

extension PortSet {
    /// An `Interner` fingerprint: the set's own hash (`QuickHash`, every interval's bounds), unseeded.
    var fingerprint: Int { _rawHashValue(seed: 0) }
}

extension ExternalSet {
    /// An `Interner` fingerprint: the set's own hash (`QuickHash`), unseeded.
    var fingerprint: Int { _rawHashValue(seed: 0) }
}

/// The connection a backend gives a gap's reason for: the kind of gap, which part of the
/// relation, the workloads and external peers it joins, its ports, and what the intent asks
/// there. A reason names a cause only where the connection shows it (ICMP only when ICMP is
/// in the ports or the intent's, `dns:` names only when the peers or the intent's have them).
public struct ConnectionGapSite: Sendable {
    public var kind: Gap.Kind
    public var part: ConnectionKind
    /// The workload that opens the connection; nil for ingress (an external peer does).
    public var source: WorkloadID?
    /// The workload the connection reaches; nil for egress (an external peer).
    public var destination: WorkloadID?
    /// The external peers, for ingress and egress; empty between workloads.
    public var peers: ExternalSet
    /// The ports of the gap.
    public var ports: PortSet
    /// The ports the intent allows on the same connection: the pair's, or every port of the
    /// workload's ingress (egress) from (to) external peers.
    public var intendedPorts: PortSet
    /// The workload's external ingress (egress) in the intent; empty between workloads.
    public var intended: ExternalRules
    /// Whether a workload of the connection shares its service identity with another
    /// workload of the policy.
    public var sharesIdentity = false

    /// Between two workloads, with the ports the intent allows the pair.
    public init(kind: Gap.Kind, part: ConnectionKind, source: WorkloadID, destination: WorkloadID, ports: PortSet, intendedPorts: PortSet) {
        self.kind = kind
        self.part = part
        self.source = source
        self.destination = destination
        self.peers = .empty
        self.ports = ports
        self.intendedPorts = intendedPorts
        self.intended = ExternalRules()
    }

    /// From (`.ingress`) or to (`.egress`) external peers, with the workload's external rules
    /// in the intent.
    public init(
        kind: Gap.Kind, part: ConnectionKind, source: WorkloadID? = nil, destination: WorkloadID? = nil, peers: ExternalSet, ports: PortSet,
        intended: ExternalRules
    ) {
        self.kind = kind
        self.part = part
        self.source = source
        self.destination = destination
        self.peers = peers
        self.ports = ports
        self.intendedPorts = intended.entries.reduce(PortSet()) { $0.union($1.ports) }
        self.intended = intended
    }

    /// The workloads of the connection: the pair, or the one workload.
    public var workloads: [WorkloadID] { [source, destination].compactMap { $0 } }

    /// Whether the gap's own ports carry the protocol.
    public func carries(_ proto: TransportProtocol) -> Bool { ports.overlaps(Self.everyPort[proto.rawValue]) }

    /// Whether the intent asks for the protocol on this connection.
    public func asks(_ proto: TransportProtocol) -> Bool { intendedPorts.overlaps(Self.everyPort[proto.rawValue]) }

    /// By protocol (its raw value): every port a set may hold of it, 0 to 65535. A set has the
    /// protocol (`PortSet.protocols` lists it) exactly when it overlaps this one: one pass over
    /// the set's intervals, where listing its ranges and protocols allocates two arrays.
    static let everyPort = TransportProtocol.allCases.sorted { $0.rawValue < $1.rawValue }.map { PortSet(PortRange($0, 0, 65535)) }

    /// Whether the intent lets the workload reach (or be reached from) `dns:` names on some
    /// of the gap's ports.
    public var asksNames: Bool { intended.entries.contains { !$0.peers.dns.isEmpty && $0.ports.overlaps(ports) } }

    /// Whether a workload of the connection runs on its node's network.
    public func onHostNetwork(in policy: Policy) -> Bool {
        workloads.contains { policy.workloads[$0.index].runtime.hostNetwork == true }
    }
}

/// The causes that apply, joined into one reason (`a; b`), or `fallback` when none does.
public func joinedCauses(_ causes: [String?], otherwise fallback: String) -> String {
    let named = causes.compactMap { $0 }
    return named.isEmpty ? fallback : named.joined(separator: "; ")
}

/// The three kinds of connections a relation holds.
public enum ConnectionKind: Sendable {
    case betweenWorkloads, ingress, egress
}

/// The first allow flow that names each connection, to locate narrowed gaps. Built in one
/// pass over the flows' workload pairs, like the intent.
struct FlowIndex {
    var pairs: [WorkloadPair: SourceRange] = [:]
    var ingress: [WorkloadID: SourceRange] = [:]
    var egress: [WorkloadID: SourceRange] = [:]

    init() {}

    init(_ flows: [Flow]) {
        for flow in flows where flow.action == .allow {
            for destination in flow.destinations.workloads {
                for source in flow.sources.workloads where pairs[WorkloadPair(source, destination)] == nil {
                    pairs[WorkloadPair(source, destination)] = flow.origin
                }
                if !flow.sources.external.isEmpty, ingress[destination] == nil { ingress[destination] = flow.origin }
            }
            if !flow.destinations.external.isEmpty {
                for source in flow.sources.workloads where egress[source] == nil { egress[source] = flow.origin }
            }
        }
    }
}

/// Gaps for a widened relation in product form and the narrowed pairs: the pairs as
/// `groupedConnectionGaps` gives them, and each product one gap (`all of S to all of D on P`),
/// products of one control, reason, ports and sources joined into one gap towards all their
/// destinations, external products of one peer set, ports and reason into one gap for all their
/// workloads. `why` is asked once per product, of its first pair (its first workload): the
/// backend's products hold pairs alike in everything its reasons read (one pair of identities,
/// nothing the intent asks between them). Work is linear in the products and the pairs, never in
/// the pairs the products stand for; `Gap.connection?.pairCount` counts them.
public func connectionGaps(
    widened: ProductRelation, narrowed: Relation, policy: Policy, target: TargetName, why: (ConnectionGapSite) -> String
) -> [Gap] {
    var gaps = groupedConnectionGaps(widened: widened.pairs, narrowed: Relation(), policy: policy, target: target, why: why)
    gaps.reserveCapacity(gaps.count + widened.blocks.count)
    let identities = SharedIdentities(policy)
    func reason(_ site: ConnectionGapSite) -> String { why(identities.marking(site)) }
    let names = { (ids: [WorkloadID]) in Endpoint.workloads(named: ids.map { policy.workloads[$0.index].name }) }
    // A row (reason, ports, sources) is interned to a small number, each part once per run of
    // equal values, so that a block costs no hash of a reason's text, a port set or a source list
    // when it has the same as the block before it.
    struct RowKey: Hashable {
        var reason: Int
        var ports: Int
        var sources: Int
    }
    var reasons = Interner<String>()
    var portSets = Interner<PortSet>(fingerprint: \.fingerprint)
    // Most blocks are rows of their own: room for one each.
    var sourceLists = Interner<[WorkloadID]>(capacity: widened.blocks.count)
    var rows = Interner<RowKey>(capacity: widened.blocks.count)
    var destinationsOf: [[WorkloadID]] = []
    destinationsOf.reserveCapacity(widened.blocks.count)
    for block in widened.blocks {
        guard let source = block.sources.first, let destination = block.destinations.first, !block.ports.isEmpty else { continue }
        // Marked in place (`SharedIdentities.marking` would copy the site).
        var site = ConnectionGapSite(
            kind: .widened, part: .betweenWorkloads, source: source, destination: destination, ports: block.ports,
            intendedPorts: policy.intent.ports(from: source, to: destination))
        site.sharesIdentity = identities.shares(source) || identities.shares(destination)
        let row = rows.id(RowKey(reason: reasons.id(why(site)), ports: portSets.id(block.ports), sources: sourceLists.id(block.sources)))
        // A row's first block lends it its list (shared, not copied); a second one copies it.
        if row == destinationsOf.count {
            destinationsOf.append(block.destinations)
        } else {
            destinationsOf[row].append(contentsOf: block.destinations)
        }
    }
    // Each distinct source list is named once, however many rows share it.
    var sourceNames = [Endpoint?](repeating: nil, count: sourceLists.values.count)
    for (row, key) in rows.values.enumerated() {
        // Most rows hold one block, whose destinations are listed in order already.
        let listed = destinationsOf[row]
        let destinations = zip(listed, listed.dropFirst()).allSatisfy { $0 <= $1 } ? listed : listed.sorted()
        guard let first = destinations.first else { continue }
        let ports = portSets.values[key.ports]
        let sources = sourceNames[key.sources] ?? names(sourceLists.values[key.sources])
        sourceNames[key.sources] = sources
        gaps.append(
            Gap(
                kind: .widened, capability: .portFiltering, target: target, subject: .connection(Connection(sources, names(destinations), ports: ports)),
                reason: reasons.values[key.reason], origin: policy.workloads[first.index].origin))
    }
    struct PeersKey: Hashable {
        var reason: Int
        var capability: Capability
        var ports: Int
        var peers: Int
    }
    var peerSets = Interner<ExternalSet>(fingerprint: \.fingerprint)
    for ingress in [true, false] {
        var keys = Interner<PeersKey>()
        var workloadsOf: [[WorkloadID]] = []
        for block in ingress ? widened.ingress : widened.egress {
            guard let first = block.workloads.first else { continue }
            let intended = (ingress ? policy.intent.ingress[first] : policy.intent.egress[first]) ?? ExternalRules()
            for entry in block.rules.entries {
                let site =
                    ingress
                    ? ConnectionGapSite(kind: .widened, part: .ingress, destination: first, peers: entry.peers, ports: entry.ports, intended: intended)
                    : ConnectionGapSite(kind: .widened, part: .egress, source: first, peers: entry.peers, ports: entry.ports, intended: intended)
                let capability: Capability = ingress ? .externalIngress : entry.peers.addresses.isEmpty ? .dnsEgress : .externalEgress
                let key = keys.id(
                    PeersKey(reason: reasons.id(reason(site)), capability: capability, ports: portSets.id(entry.ports), peers: peerSets.id(entry.peers)))
                if key == workloadsOf.count { workloadsOf.append([]) }
                workloadsOf[key].append(contentsOf: block.workloads)
            }
        }
        for (index, key) in keys.values.enumerated() {
            let ids = workloadsOf[index].sorted()
            guard let first = ids.first else { continue }
            let (peers, ports) = (peerSets.values[key.peers], portSets.values[key.ports])
            let connection = ingress ? Connection(.external(peers), names(ids), ports: ports) : Connection(names(ids), .external(peers), ports: ports)
            gaps.append(
                Gap(
                    kind: .widened, capability: key.capability, target: target, subject: .connection(connection), reason: reasons.values[key.reason],
                    origin: policy.workloads[first.index].origin))
        }
    }
    gaps += groupedConnectionGaps(widened: Relation(), narrowed: narrowed, policy: policy, target: target, why: why)
    return gaps
}

/// Which workloads share their identity with another workload: a platform that enforces per
/// identity cannot tell them apart, and a gap's reason says so.
private struct SharedIdentities {
    /// By workload index.
    private var shares: [Bool]

    init(_ policy: Policy) {
        // Identities are numbered densely: counted by index, not hashed.
        var workloadsPerIdentity: [Int] = []
        for workload in policy.workloads {
            let identity = workload.identity.index
            if identity >= workloadsPerIdentity.count { workloadsPerIdentity += repeatElement(0, count: identity + 1 - workloadsPerIdentity.count) }
            workloadsPerIdentity[identity] += 1
        }
        shares = policy.workloads.map { workloadsPerIdentity[$0.identity.index] > 1 }
    }

    /// Whether the workload shares its identity with another workload.
    func shares(_ id: WorkloadID) -> Bool { shares[id.index] }

    /// `site`, told whether any of its workloads shares its identity.
    func marking(_ site: ConnectionGapSite) -> ConnectionGapSite {
        var site = site
        site.sharesIdentity = site.source.map { shares[$0.index] } == true || site.destination.map { shares[$0.index] } == true
        return site
    }
}

/// `relation.subtracting(other)`, with each distinct difference of two workloads' external
/// rules computed once: on a platform that allows every egress (or publishes ports to every
/// address), most workloads meet the same pair of rules, and the difference of rules is the
/// costly part. The result is exactly `relation.subtracting(other)`.
func subtractingAlike(_ relation: Relation, _ other: Relation) -> Relation {
    var known = ExternalRulesDifferences()
    func external(_ mine: [WorkloadID: ExternalRules], _ theirs: [WorkloadID: ExternalRules]) -> [WorkloadID: ExternalRules] {
        var result: [WorkloadID: ExternalRules] = [:]
        for (workload, rules) in mine {
            let other = theirs[workload] ?? ExternalRules()
            // Nothing is left of any rules where the others allow every port to every peer.
            guard other != rules, other.entries.count != 1 || other.entries[0].ports != .all || !other.entries[0].peers.isAny else { continue }
            let rest = known.of(rules, minus: other)
            if !rest.isEmpty { result[workload] = rest }
        }
        return result
    }
    var result = Relation(betweenWorkloads: relation.betweenWorkloads).subtracting(Relation(betweenWorkloads: other.betweenWorkloads))
    result.ingress = external(relation.ingress, other.ingress)
    result.egress = external(relation.egress, other.egress)
    return result
}
