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
        var ingress: Bool
    }
    var gaps: [Gap] = []
    let names = { (ids: [WorkloadID]) in Endpoint.workloads(named: ids.map { policy.workloads[$0.index].name }) }
    let asked = narrowed.isEmpty ? FlowIndex() : FlowIndex(policy.flows)
    let identities = SharedIdentities(policy)
    func reason(_ site: ConnectionGapSite) -> String { why(identities.marking(site)) }
    for (kind, relation) in [(Gap.Kind.widened, widened), (.narrowed, narrowed)] {
        // Between workloads: sources per (destination, row), in the order first seen.
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
        // Destinations per (source list, row).
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
            let connection = Connection(names(key.sources), names(destinations), ports: key.row.ports)
            gaps.append(
                Gap(
                    kind: kind, capability: key.row.capability, target: target, subject: .connection(connection), reason: key.row.reason,
                    origin: key.row.origin ?? policy.workloads[first.index].origin))
        }
        // External rules: workloads per (peers, row), ingress then egress.
        for ingress in [true, false] {
            var workloadsOf: [PeersKey: [WorkloadID]] = [:]
            var order: [PeersKey] = []
            let part = ingress ? relation.ingress : relation.egress
            for (id, rules) in part.sorted(by: { $0.key < $1.key }) {
                let intended = (ingress ? policy.intent.ingress[id] : policy.intent.egress[id]) ?? ExternalRules()
                for entry in rules.entries {
                    let site =
                        ingress
                        ? ConnectionGapSite(kind: kind, part: .ingress, destination: id, peers: entry.peers, ports: entry.ports, intended: intended)
                        : ConnectionGapSite(kind: kind, part: .egress, source: id, peers: entry.peers, ports: entry.ports, intended: intended)
                    let capability: Capability = ingress ? .externalIngress : entry.peers.addresses.isEmpty ? .dnsEgress : .externalEgress
                    let origin = kind == .narrowed ? (ingress ? asked.ingress[id] : asked.egress[id]) ?? policy.workloads[id.index].origin : nil
                    let key = PeersKey(
                        row: Row(kind: kind, capability: capability, reason: reason(site), ports: entry.ports, origin: origin), peers: entry.peers,
                        ingress: ingress)
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
    public func carries(_ proto: TransportProtocol) -> Bool { ports.protocols.contains(proto) }

    /// Whether the intent asks for the protocol on this connection.
    public func asks(_ proto: TransportProtocol) -> Bool { intendedPorts.protocols.contains(proto) }

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
    let identities = SharedIdentities(policy)
    func reason(_ site: ConnectionGapSite) -> String { why(identities.marking(site)) }
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
        guard let first = destinations.first else { continue }
        gaps.append(
            Gap(
                kind: .widened, capability: .portFiltering, target: target,
                subject: .connection(Connection(names(key.sources), names(destinations), ports: key.ports)), reason: key.reason,
                origin: policy.workloads[first.index].origin))
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
            guard let first = ids.first else { continue }
            let connection =
                ingress ? Connection(.external(key.peers), names(ids), ports: key.ports) : Connection(names(ids), .external(key.peers), ports: key.ports)
            gaps.append(
                Gap(
                    kind: .widened, capability: key.capability, target: target, subject: .connection(connection), reason: key.reason,
                    origin: policy.workloads[first.index].origin))
        }
    }
    gaps += groupedConnectionGaps(widened: Relation(), narrowed: narrowed, policy: policy, target: target, why: why)
    return gaps
}

/// Which workloads share their identity with another workload: a platform that enforces per
/// identity cannot tell them apart, and a gap's reason says so.
private struct SharedIdentities {
    private var workloadsPerIdentity: [IdentityID: Int] = [:]
    private let policy: Policy

    init(_ policy: Policy) {
        self.policy = policy
        for workload in policy.workloads { workloadsPerIdentity[workload.identity, default: 0] += 1 }
    }

    /// `site`, told whether any of its workloads shares its identity.
    func marking(_ site: ConnectionGapSite) -> ConnectionGapSite {
        var site = site
        site.sharesIdentity = site.workloads.contains { (workloadsPerIdentity[policy.workloads[$0.index].identity] ?? 0) > 1 }
        return site
    }
}
