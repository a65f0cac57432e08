import Backends
import IR

/// `palisade graph`: the intent as a picture (workloads grouped by segment, external peers,
/// flows labelled with ports) and, for a target, the connections it allows beyond the intent
/// and the intended ones it blocks, drawn apart. DOT for Graphviz, or Mermaid for Markdown.
public struct IntentGraph {
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
    let title: String

    /// The graph of a policy's intent; with an emission, also what the target widens and blocks.
    public init(_ policy: Policy, target: TargetName? = nil, emission: Emission? = nil) {
        title = target.map { "\(policy.name) on \($0.rawValue)" } ?? policy.name
        for workload in policy.workloads {
            nodes.append(Node(id: "w\(workload.id.index)", label: workload.name, segment: policy.segments[workload.segment.index].name))
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
            for id in relation.ingress.keys.sorted() {
                for entry in relation.ingress[id]!.entries {
                    edges.append(Edge(from: external(entry.peers), to: "w\(id.index)", label: prefix + entry.ports.description, style: style))
                }
            }
            for id in relation.egress.keys.sorted() {
                for entry in relation.egress[id]!.entries {
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

    /// A readable name for a set of external peers: `any`, a network of the spec, `any
    /// except NETWORK`, or the addresses and names themselves (shortened).
    public static func label(_ peers: ExternalSet, policy: Policy, limit: Int? = 48) -> String {
        if peers.isAny { return "any" }
        if let network = policy.networks.first(where: { $0.members == peers }) { return network.name }
        let rest = ExternalSet.any.subtracting(peers)
        if let network = policy.networks.first(where: { $0.members == rest }) { return "any except \(network.name)" }
        let addressesOnly = ExternalSet(addresses: peers.addresses)
        if peers.dns.isAll, let network = policy.networks.first(where: { ExternalSet.any.subtracting($0.members) == addressesOnly.union(ExternalSet(dns: .all)) }) {
            return "any except \(network.name)"
        }
        let summary = peers.summary
        guard let limit, summary.count > limit else { return summary }
        return String(summary.prefix(limit - 3)) + "..."
    }

    var segments: [String] {
        var seen: [String] = []
        for node in nodes { if let segment = node.segment, !seen.contains(segment) { seen.append(segment) } }
        return seen
    }

    /// Graphviz: `dot -Tsvg`.
    public func dot() -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
        }
        var lines = ["digraph palisade {", "  label=\(quoted(title));", "  rankdir=LR;", "  node [shape=box, style=rounded, fontname=Helvetica];", "  edge [fontname=Helvetica, fontsize=10];"]
        for (index, segment) in segments.enumerated() {
            lines.append("  subgraph cluster_\(index) {")
            lines.append("    label=\(quoted("segment \(segment)"));")
            for node in nodes where node.segment == segment { lines.append("    \(node.id) [label=\(quoted(node.label))];") }
            lines.append("  }")
        }
        for node in nodes where node.segment == nil { lines.append("  \(node.id) [label=\(quoted(node.label)), shape=ellipse, style=dashed];") }
        for edge in edges {
            let style = switch edge.style {
            case .intent: ""
            case .widened: ", style=dashed, color=red, fontcolor=red"
            case .blocked: ", style=dotted, color=gray, fontcolor=gray"
            }
            lines.append("  \(edge.from) -> \(edge.to) [label=\(quoted(edge.label))\(style)];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Mermaid `flowchart`, for Markdown on a pull request.
    public func mermaid() -> String {
        func quoted(_ text: String) -> String { "\"" + text.replacing("\"", with: "#quot;") + "\"" }
        var lines = ["flowchart LR"]
        for (index, segment) in segments.enumerated() {
            lines.append("  subgraph s\(index)[\(quoted("segment \(segment)"))]")
            for node in nodes where node.segment == segment { lines.append("    \(node.id)[\(quoted(node.label))]") }
            lines.append("  end")
        }
        for node in nodes where node.segment == nil { lines.append("  \(node.id)([\(quoted(node.label))])") }
        var styles: [String] = []
        for (index, edge) in edges.enumerated() {
            switch edge.style {
            case .intent: lines.append("  \(edge.from) -->|\(quoted(edge.label))| \(edge.to)")
            case .widened:
                lines.append("  \(edge.from) -.->|\(quoted(edge.label))| \(edge.to)")
                styles.append("  linkStyle \(index) stroke:#d33,color:#d33")
            case .blocked:
                lines.append("  \(edge.from) -.-x|\(quoted(edge.label))| \(edge.to)")
                styles.append("  linkStyle \(index) stroke:#999,color:#999")
            }
        }
        return (lines + styles).joined(separator: "\n") + "\n"
    }
}
