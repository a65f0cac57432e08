import ArgumentParser
import Palisade

struct TargetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "targets",
        abstract: "Show what each target can enforce, and its options.",
        discussion: """
            The matrix comes from the backends' own declarations; README.md carries the same table.
            yes: enforced by the generated files; partial: enforced in part (the fidelity report of a spec says
            which part); no: reported as a gap whenever a spec asks for it.

            Examples:
              palisade targets
              palisade targets --format markdown
            """)

    @Option(help: "Output format: text, markdown or json.")
    var format: TargetsRequest.Format = .text

    func run() throws {
        try finish(Commands.targets(TargetsRequest(format: format)))
    }
}
