import ArgumentParser
import Palisade

/// The `palisade` command: it parses flags, calls one `Commands` function per command, prints
/// what it returns and exits with the status it decided. Everything else is in the Palisade library.
struct PalisadeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "palisade",
        abstract: "Compile one cloud-neutral security spec into native configuration for every platform.",
        discussion: """
            Examples:
              palisade compile samples/shop.yaml --out out
              palisade compile samples/*.yaml --target openshift,aws --check --out targets
              palisade lint samples/*.yaml --format sarif > palisade.sarif
              palisade explain samples/shop.yaml --from web --to checkout --port tcp/8080
              palisade compare samples/shop.yaml --format markdown > fidelity.md
              palisade diff samples/minimal.yaml samples/shop.yaml --format markdown
              palisade graph samples/shop.yaml --target swarm | dot -Tsvg > shop-swarm.svg
              palisade targets
              palisade schema > palisade.schema.json

            Exit codes (the README has the full table):
              0  success
              1  spec errors, a --fail-on gate (default: a failed expect), drift
              2  bad invocation, unreadable spec, unwritable output
            """,
        version: "\(Commands.version) (commit \(BuildInfo.commit))",
        subcommands: [
            CompileCommand.self, CompareCommand.self, DiffCommand.self, LintCommand.self, ExplainCommand.self, GraphCommand.self,
            TargetsCommand.self, SchemaCommand.self,
        ]
    )
}

extension PalisadeCommand {
    /// `palisade` alone: the help, and the exit status of a usage error.
    func run() throws {
        try finish(Commands.noCommand(help: Self.helpMessage()))
    }
}

/// Prints a command's output and ends the command with its exit status.
func finish(_ output: CommandOutput) throws {
    StandardStreams.writeError(output.stderr)
    print(output.stdout, terminator: "")
    if output.exitStatus != .success { throw ExitCode(output.exitStatus.rawValue) }
}

// The library parses `--target` lists and names and decides the formats; these conformances
// only hand them to the argument parser.
extension TargetList: ExpressibleByArgument {
    public static var defaultCompletionKind: CompletionKind { .list(TargetList.names) }
}

extension TargetChoice: ExpressibleByArgument {
    public static var allValueStrings: [String] { TargetChoice.names }
    public static var defaultCompletionKind: CompletionKind { .list(TargetChoice.names) }
}

extension OptionSetting: ExpressibleByArgument {}

extension GateList: ExpressibleByArgument {
    public static var defaultCompletionKind: CompletionKind { .list(names + ["none"]) }
}

extension CompareRequest.Format: ExpressibleByArgument {}
extension DiffRequest.Format: ExpressibleByArgument {}
extension GraphRequest.Format: ExpressibleByArgument {}
extension ExplainRequest.Format: ExpressibleByArgument {}
extension LintRequest.Format: ExpressibleByArgument {}
extension LintRequest.Threshold: ExpressibleByArgument {}
extension TargetsRequest.Format: ExpressibleByArgument {}

// A usage error exits with the library's status for it (2, not the argument parser's 64).
do {
    var command = try PalisadeCommand.parseAsRoot()
    try command.run()
} catch {
    if PalisadeCommand.exitCode(for: error) == .success {
        print(PalisadeCommand.fullMessage(for: error))
        PalisadeCommand.exit()
    }
    if let exit = error as? ExitCode { PalisadeCommand.exit(withError: exit) }
    let output = Commands.usageError(PalisadeCommand.fullMessage(for: error))
    StandardStreams.writeError(output.stderr)
    PalisadeCommand.exit(withError: ExitCode(output.exitStatus.rawValue))
}
