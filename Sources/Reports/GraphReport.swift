import Analysis

/// `palisade graph` drawn: DOT for Graphviz, Mermaid for Markdown.
public enum GraphReport {
    /// Graphviz: `dot -Tsvg`.
    public static func dot(_ graph: IntentGraph) -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
        }
        var lines = [
            "digraph palisade {", "  label=\(quoted(graph.title));", "  rankdir=LR;", "  node [shape=box, style=rounded, fontname=Helvetica];",
            "  edge [fontname=Helvetica, fontsize=10];",
        ]
        for (index, segment) in graph.segments.enumerated() {
            lines.append("  subgraph cluster_\(index) {")
            lines.append("    label=\(quoted("segment \(segment)"));")
            for node in graph.nodes where node.segment == segment { lines.append("    \(node.id) [label=\(quoted(node.label))];") }
            lines.append("  }")
        }
        for node in graph.nodes where node.segment == nil { lines.append("  \(node.id) [label=\(quoted(node.label)), shape=ellipse, style=dashed];") }
        for edge in graph.edges {
            let style =
                switch edge.style {
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
    public static func mermaid(_ graph: IntentGraph) -> String {
        func quoted(_ text: String) -> String { "\"" + text.replacing("\"", with: "#quot;") + "\"" }
        var lines = ["flowchart LR"]
        for (index, segment) in graph.segments.enumerated() {
            lines.append("  subgraph s\(index)[\(quoted("segment \(segment)"))]")
            for node in graph.nodes where node.segment == segment { lines.append("    \(node.id)[\(quoted(node.label))]") }
            lines.append("  end")
        }
        for node in graph.nodes where node.segment == nil { lines.append("  \(node.id)([\(quoted(node.label))])") }
        var styles: [String] = []
        for (index, edge) in graph.edges.enumerated() {
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
