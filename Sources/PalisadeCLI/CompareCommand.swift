import ArgumentParser
import Palisade

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Show what each target really enforces of a spec, against its intent.",
        discussion: """
            For each target: the connections its files allow beyond the intent, the intended ones they block (with the
            spec location of the flow or workload involved), the runtime controls and identity grants it does not
            enforce, the expectations that fail on it, the connections it adds for the platform, and a target x
            control matrix. Each target's files are read back by its reader; nothing is written.
            The markdown form is meant for a pull request comment.

            Examples:
              palisade compare samples/shop.yaml
              palisade compare samples/shop.yaml --target openshift,swarm --format markdown
              palisade compare samples/shop.yaml --target openshift --fail-on widened
              palisade compare samples/shop.yaml --write-baseline gaps.json
            """)

    @Argument(help: "The spec file.")
    var spec: String

    @Option(name: .customLong("target"), help: "Comma-separated targets (default: all).")
    var targets: TargetList?

    @Option(help: "Output format: text, json or markdown.")
    var format: CompareRequest.Format = .text

    @Option(
        name: .customLong("fail-on"),
        help: "Comma-separated gap kinds that make it exit 1: widened, narrowed, expectation, unenforced, platform-required, or none (default: expectation).")
    var failOn: GapGates?

    @Option(help: "Report and fail only on gaps not in this baseline file (written by --write-baseline).")
    var baseline: String?

    @Option(name: .customLong("write-baseline"), help: "Write every gap of this run to a baseline file.")
    var writeBaseline: String?

    @OptionGroup var deployment: DeploymentOptions

    func run() throws {
        var request = CompareRequest(spec: spec, targets: targets, format: format, failOn: failOn, baseline: baseline, writeBaseline: writeBaseline)
        request.with = deployment.with
        request.settings = deployment.settings
        try finish(Commands.compare(request))
    }
}
