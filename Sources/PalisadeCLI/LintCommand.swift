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
              palisade lint samples/*.yaml --format codequality > quality.json
              palisade lint samples/*.yaml --format sarif --sarif-category lint
              palisade lint samples/shop.yaml --write-baseline baseline.json
            """)

    @Argument(help: "Spec files.")
    var specs: [String]

    @Option(help: "Report format: text, json, sarif, junit or codequality (GitLab).")
    var format: LintRequest.Format = .text

    @Option(name: .customLong("fail-on"), help: "Exit 1 on findings at or above this severity: error or warning.")
    var failOn: LintRequest.Threshold = .error

    @Option(name: .customLong("sarif-category"), help: "SARIF: the analysis category (automationDetails.id), one per lint job of a repository.")
    var sarifCategory: String?

    @Option(
        name: .customLong("help-uri-base"),
        help: "SARIF: the absolute URL of the docs folder holding lint-rules.md and error-codes.md, for each rule's helpUri.")
    var helpURIBase: String?

    @Option(help: "Report and fail only on findings not in this baseline file (written by --write-baseline).")
    var baseline: String?

    @Option(name: .customLong("write-baseline"), help: "Write every finding of this run to a baseline file.")
    var writeBaseline: String?

    func run() throws {
        try finish(
            Commands.lint(
                LintRequest(
                    specs: specs, format: format, failOn: failOn, sarifCategory: sarifCategory, helpBaseURI: helpURIBase, baseline: baseline,
                    writeBaseline: writeBaseline)))
    }
}
