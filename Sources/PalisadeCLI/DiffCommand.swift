import ArgumentParser
import Palisade

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what a spec change opens, closes, relaxes or tightens.",
        discussion: """
            Compares the intents of two versions of a spec (workloads, segments and identities matched by name):
            connections opened and closed, runtime controls relaxed or tightened, and grants gained or lost, each with
            the spec location that says it. For review in CI; the markdown form suits a pull request.

            Examples:
              palisade diff samples/minimal.yaml samples/shop.yaml
              palisade diff samples/minimal.yaml samples/shop.yaml --format json
              palisade diff samples/shop.yaml samples/shop.yaml --fail-on opens,relaxes
            """)

    @Argument(help: "The spec before the change.")
    var old: String

    @Argument(help: "The spec after the change.")
    var new: String

    @Option(help: "Output format: text, json or markdown.")
    var format: DiffRequest.Format = .text

    @Option(
        name: .customLong("fail-on"), help: "Comma-separated kinds of change that make it exit 1: opens, closes, relaxes, tightens, changes (default: none).")
    var failOn: ChangeGates = ChangeGates([])

    func run() throws {
        try finish(Commands.diff(DiffRequest(old: old, new: new, format: format, failOn: failOn)))
    }
}
