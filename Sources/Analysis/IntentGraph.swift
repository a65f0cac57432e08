import Backends
import IR

/// `palisade graph`: the intent as a picture (workloads grouped by segment, external peers,
/// flows labelled with ports) and, for a target, the connections it allows beyond the intent
/// and the intended ones it blocks, drawn apart. `GraphReport` (in Reports) draws it as DOT
/// for Graphviz or Mermaid for Markdown.
public struct IntentGraph: Sendable {
    public enum Style: String, Sendable { case intent, widened, blocked }

    public struct Edge: Sendable, Hashable {
        public var from: String
        public var to: String
        public var label: String
        public var style: Style
    }

    public struct Node: Sendable, Hashable {
        public var id: String
        public var label: String
        /// The segment a workload is in; nil for external peers.
        public var segment: String?
    }

    public private(set) var nodes: [Node] = []
    public private(set) var edges: [Edge] = []
    /// The policy, and the target when there is one: `shop on swarm`.
    public let title: String

    /// The graph of a policy's intent; with an emission, also what the target widens and blocks.
    public init(_ policy: Policy, target: TargetName? = nil, emission: Emission? = nil) {
        title = target.map { "\(policy.name) on \($0.rawValue)" } ?? policy.name
        for workload in policy.workloads {
            let segment = policy.segments[workload.segment.index].name
            nodes.append(Node(id: "w\(workload.id.index)", label: workload.name, segment: segment))
        }
        // One node per distinct set of peers (two sets may share a shortened label).
        var externalIDs: [ExternalSet: String] = [:]
        func external(_ peers: ExternalSet) -> String {
            if let id = externalIDs[peers] { return id }
            let id = "x\(externalIDs.count)"
            externalIDs[peers] = id
            nodes.append(Node(id: id, label: Self.label(peers, policy: policy), segment: nil))
            return id
        }
        func add(_ relation: Relation, _ style: Style) {
            let prefix = style == .widened ? "+ " : style == .blocked ? "blocked " : ""
            for (pair, ports) in relation.sortedPairs {
                edges.append(Edge(from: "w\(pair.source.index)", to: "w\(pair.destination.index)", label: prefix + ports.description, style: style))
            }
            for (id, rules) in relation.ingress.sorted(by: { $0.key < $1.key }) {
                for entry in rules.entries {
                    edges.append(Edge(from: external(entry.peers), to: "w\(id.index)", label: prefix + entry.ports.description, style: style))
                }
            }
            for (id, rules) in relation.egress.sorted(by: { $0.key < $1.key }) {
                for entry in rules.entries {
                    edges.append(Edge(from: "w\(id.index)", to: external(entry.peers), label: prefix + entry.ports.description, style: style))
                }
            }
        }
        add(policy.intent, .intent)
        if let emission {
            add(emission.widened, .widened)
            add(emission.narrowed, .blocked)
        }
    }

    /// How many edges `relation` adds to a graph: one per workload pair and one per external
    /// entry of each workload's ingress and egress, counted without drawing them.
    public static func edgeCount(of relation: Relation) -> Int {
        var count = relation.betweenWorkloads.count
        for rules in relation.ingress.values { count += rules.entries.count }
        for rules in relation.egress.values { count += rules.entries.count }
        return count
    }

    /// A readable name for a set of external peers: `any`, a network of the spec, `any
    /// except NETWORK`, or the addresses and names themselves (shortened).
    public static func label(_ peers: ExternalSet, policy: Policy, limit: Int? = 48) -> String {
        if peers.isAny { return "any" }
        if let network = policy.networks.first(where: { $0.members == peers }) { return network.name }
        let rest = ExternalSet.any.subtracting(peers)
        if let network = policy.networks.first(where: { $0.members == rest }) { return "any except \(network.name)" }
        let addressesOnly = ExternalSet(addresses: peers.addresses)
        let allNames = addressesOnly.union(ExternalSet(dns: .all))
        if peers.dns.isAll, let network = policy.networks.first(where: { ExternalSet.any.subtracting($0.members) == allNames }) {
            return "any except \(network.name)"
        }
        let summary = peers.summary
        guard let limit, summary.count > limit else { return summary }
        return String(summary.prefix(limit - 3)) + "..."
    }

    /// The segments of the workloads, in node order.
    public var segments: [String] {
        var seen: [String] = []
        for node in nodes { if let segment = node.segment, !seen.contains(segment) { seen.append(segment) } }
        return seen
    }
}
