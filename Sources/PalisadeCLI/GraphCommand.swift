import ArgumentParser
import Palisade

struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw the intent: workloads by segment, external peers, flows with their ports.",
        discussion: """
            With --target, the connections the target allows beyond the intent are drawn dashed red and the intended
            ones it blocks dotted grey.

            Examples:
              palisade graph samples/shop.yaml | dot -Tsvg > shop.svg
              palisade graph samples/shop.yaml --target swarm --format mermaid
            """)

    @Argument(help: "The spec file.")
    var spec: String

    @Option(help: "A target whose widened and blocked connections to draw.")
    var target: TargetChoice?

    @Option(help: "Output format: dot (Graphviz) or mermaid.")
    var format: GraphRequest.Format = .dot

    func run() throws {
        try finish(Commands.graph(GraphRequest(spec: spec, target: target, format: format)))
    }
}
