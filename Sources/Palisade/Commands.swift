import Analysis
import Backends
import Diagnostics
import IR
import Reports
import Spec

/// What a command prints and how it ends: the command line prints `stderr` and `stdout` and
/// exits with `exitStatus`, and decides nothing itself.
public struct CommandOutput: Sendable, Hashable {
    public var stdout: String
    public var stderr: String
    public var exitStatus: ExitStatus

    public init(stdout: String = "", stderr: String = "", exitStatus: ExitStatus = .success) {
        self.stdout = stdout
        self.stderr = stderr
        self.exitStatus = exitStatus
    }

    /// This output, ending with `status`.
    func exiting(_ status: ExitStatus) -> CommandOutput {
        var output = self
        output.exitStatus = status
        return output
    }
}

/// How `palisade` exits (its `--help` says the same).
public enum ExitStatus: Int32, Sendable, Hashable {
    case success = 0
    /// A spec has errors; drift with `--check`; a gap of a kind `--fail-on` names (a failed
    /// expectation by default, every kind with `--strict`); a change `diff --fail-on` names; a
    /// lint finding at `--fail-on`; a target that refuses the spec (`graph --target`).
    case failure = 1
    /// A bad invocation (flags, `--target`, an explain query) or an unreadable file.
    case usage = 2
}

/// One function per command: each takes the parsed flags, does the work, and returns what to
/// print and the exit status. The command line (PalisadeCLI) only parses flags and prints.
public enum Commands {
    /// The version `palisade --version` prints and lint reports carry.
    public static let version = "0.1.0"

    /// A command line the argument parser refused: its message, exit 2 (not the parser's 64).
    public static func usageError(_ message: String) -> CommandOutput {
        CommandOutput(stderr: message + "\n", exitStatus: .usage)
    }

    /// `palisade` without a command: the help on standard error, exit 2 (a script that
    /// forgot the command must not pass).
    public static func noCommand(help: String) -> CommandOutput {
        CommandOutput(stderr: help.hasSuffix("\n") ? help : help + "\n", exitStatus: .usage)
    }

    /// `palisade targets`.
    public static func targets(_ request: TargetsRequest) -> CommandOutput {
        let matrix = TargetMatrix()
        return switch request.format {
        case .text: CommandOutput(stdout: TargetMatrixReport.text(matrix))
        case .markdown: CommandOutput(stdout: TargetMatrixReport.markdown(matrix))
        case .json: CommandOutput(stdout: TargetMatrixReport.json(matrix))
        }
    }

    /// `palisade schema`.
    public static func schema() -> CommandOutput { CommandOutput(stdout: Pipeline.schema()) }

    /// `palisade schema --report NAME`: the JSON Schema of a JSON report; exit 2 for a name
    /// that has none.
    public static func schema(report name: String) -> CommandOutput {
        guard let report = ReportSchemas.Report(rawValue: name) else {
            let names = ReportSchemas.Report.allCases.map(\.rawValue).joined(separator: ", ")
            return usageError("'\(name)' is not a report with a schema (\(names))")
        }
        return CommandOutput(stdout: ReportSchemas.schema(report))
    }

    /// Compiles one spec for `compare`, `diff`, `explain` and `graph`: its diagnostics go to
    /// `output`, which exits 2 when the spec is unreadable and 1 when it has errors (then nil).
    static func compiledPolicy(
        _ path: String, fileSystem: any SpecFileSystem, settings: [OptionSetting] = [], into output: inout CommandOutput
    ) -> (policy: Policy, sources: SourceFiles)? {
        policy(SpecCompiler.compile(path: path, fileSystem: fileSystem, validateOptions: Pipeline.validateOptions), settings: settings, into: &output)
    }

    /// The specs at `paths` compiled at once, one per core, each for `policy(_:settings:into:)`.
    static func compiled(_ paths: [String], fileSystem: any SpecFileSystem) -> [SpecCompiler.Output] {
        Concurrently.map(count: paths.count) { index in
            SpecCompiler.compile(path: paths[index], fileSystem: fileSystem, validateOptions: Pipeline.validateOptions)
        }
    }

    /// The policy of a compiled spec, `settings` applied, as `compiledPolicy(_:fileSystem:settings:into:)` gives it.
    static func policy(
        _ compiled: SpecCompiler.Output, settings: [OptionSetting] = [], into output: inout CommandOutput
    ) -> (policy: Policy, sources: SourceFiles)? {
        output.stderr += DiagnosticReport.text(compiled.diagnostics, sources: compiled.sources)
        guard compiled.readable else {
            output.exitStatus = .usage
            return nil
        }
        guard let specPolicy = compiled.policy else {
            output.exitStatus = .failure
            return nil
        }
        // The command line's options, checked by their backends as the spec's are.
        let (policy, diagnostics) = specPolicy.setting(settings)
        guard diagnostics.isEmpty else {
            output.stderr += DiagnosticReport.text(diagnostics, sources: compiled.sources)
            output.exitStatus = .failure
            return nil
        }
        return (policy, compiled.sources)
    }

    /// The application's files `--with` names, by the paths the user can open (diagnostics and
    /// gaps are located in them); nil, with the reason and exit 2, when they cannot be read.
    static func applicationFiles(_ path: String, into output: inout CommandOutput) -> [ApplicationFile]? {
        switch ApplicationInput.read(path, flag: "--with") {
        case .success(let input):
            return input.displayedFiles
        case .failure(let problem):
            output.stderr += DiagnosticReport.error(problem.message)
            output.exitStatus = .usage
            return nil
        }
    }
}

/// `palisade targets [--format text|markdown|json]`.
public struct TargetsRequest: Sendable {
    public enum Format: String, CaseIterable, Sendable { case text, markdown, json }

    public var format: Format

    public init(format: Format = .text) { self.format = format }
}
