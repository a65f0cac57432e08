import ArgumentParser
import Palisade

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check specs against the security lint rules (docs/lint-rules.md).",
        discussion: """
            Reports go to standard output; the spec's own errors go to standard error. Exit 1 when a finding is at or
            above --fail-on (default error), or a spec does not compile.

            Examples:
              palisade lint samples/shop.yaml
              palisade lint samples/*.yaml --format sarif > palisade.sarif
              palisade lint samples/*.yaml --format junit > lint.xml
              palisade lint samples/shop.yaml --format json
            """)

    @Argument(help: "Spec files.")
    var specs: [String]

    @Option(help: "Report format: text, json, sarif or junit.")
    var format: LintRequest.Format = .text

    @Option(name: .customLong("fail-on"), help: "Exit 1 on findings at or above this severity: error or warning.")
    var failOn: LintRequest.Threshold = .error

    func run() throws {
        try finish(Commands.lint(LintRequest(specs: specs, format: format, failOn: failOn)))
    }
}
