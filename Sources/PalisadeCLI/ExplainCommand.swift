import ArgumentParser
import Palisade

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Say whether a connection is allowed by the intent, and by which flows.",
        discussion: """
            FROM and TO are references (web, segment:backend, corp, any) or addresses (203.0.113.9, 10.0.0.0/8,
            dns:api.example.com as a destination). PORT is a port entry (tcp/443, udp/53, tcp/8000-8100, icmp) or a
            port set name; without it every port is asked about.

            Examples:
              palisade explain samples/shop.yaml --from web --to catalog --port tcp/8080
              palisade explain samples/shop.yaml --from web --to catalog --target all --format json
              palisade explain samples/shop.yaml --from 203.0.113.9 --to db
            """)

    @Argument(help: "The spec file.")
    var spec: String

    @Option(help: "Source: a reference or an address.")
    var from: String

    @Option(help: "Destination: a reference or an address.")
    var to: String

    @Option(help: "A port entry; default: every port.")
    var port: String?

    /// Checked by the library once the spec compiles (`all` is allowed here).
    @Option(name: .customLong("target"), help: "Comma-separated targets whose files to ask too (default: none; 'all' for every target).")
    var targets: String?

    @Option(help: "Output format: text or json.")
    var format: ExplainRequest.Format = .text

    @OptionGroup var deployment: DeploymentOptions

    func run() throws {
        var request = ExplainRequest(spec: spec, from: from, to: to, port: port, targets: targets, format: format)
        request.with = deployment.with
        request.settings = deployment.settings
        try finish(Commands.explain(request))
    }
}
