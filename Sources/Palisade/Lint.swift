import Diagnostics
import Lint
import Reports
import Spec

/// `palisade lint`: compile each spec's front end, run the rules, build the report.
public enum LintPipeline {
    public struct Result: Sendable {
        public var run: LintRun
        /// Errors that kept a spec from being linted (the spec does not compile).
        public var diagnostics: [Diagnostic]
        public var allReadable: Bool
    }

    public static func lint(paths: [String], fileSystem: any SpecFileSystem = LocalFileSystem(), toolVersion: String) -> Result {
        var specs: [LintRun.Spec] = []
        var diagnostics: [Diagnostic] = []
        var sources = SourceFiles()
        var readable = true
        for path in paths {
            let output = SpecCompiler.compile(path: path, fileSystem: fileSystem, validateOptions: Pipeline.validateOptions)
            for file in output.sources.all { sources.add(file) }
            readable = readable && output.readable
            diagnostics += output.diagnostics
            guard let policy = output.policy else {
                if output.readable { specs.append(LintRun.Spec(path: path, findings: [], errors: output.diagnostics)) }
                continue
            }
            specs.append(LintRun.Spec(path: path, findings: Linter.lint(policy).findings))
        }
        return Result(
            run: LintRun(specs: specs, rules: LintRegistry.descriptions, sources: sources, toolVersion: toolVersion),
            diagnostics: diagnostics, allReadable: readable)
    }
}

/// `palisade lint SPEC… [--format text|json|sarif|junit] [--fail-on error|warning]`.
public struct LintRequest: Sendable {
    public enum Format: String, CaseIterable, Sendable { case text, json, sarif, junit }

    /// The lowest severity of a finding that fails the run.
    public enum Threshold: String, CaseIterable, Sendable { case error, warning }

    public var specs: [String]
    public var format: Format
    public var failOn: Threshold

    public init(specs: [String], format: Format = .text, failOn: Threshold = .error) {
        self.specs = specs
        self.format = format
        self.failOn = failOn
    }
}

extension Commands {
    /// The report on standard output, the specs' own errors on standard error. Exit 2: an
    /// unreadable spec; 1: a spec that does not compile, or a finding at or above `failOn`.
    public static func lint(_ request: LintRequest, fileSystem: any SpecFileSystem = LocalFileSystem()) -> CommandOutput {
        let result = LintPipeline.lint(paths: request.specs, fileSystem: fileSystem, toolVersion: version)
        var output = CommandOutput(stderr: DiagnosticReport.text(result.diagnostics, sources: result.run.sources))
        guard result.allReadable else { return output.exiting(.usage) }
        switch request.format {
        case .text: output.stdout = LintReports.text(result.run)
        case .json: output.stdout = LintReports.json(result.run)
        case .sarif: output.stdout = LintReports.sarif(result.run)
        case .junit:
            do {
                output.stdout = try LintReports.junit(result.run)
            } catch {
                output.stderr += DiagnosticReport.error("\(error)")
                return output.exiting(.usage)
            }
        }
        if result.diagnostics.contains(where: { $0.severity == .error }) { return output.exiting(.failure) }
        let failing = result.run.specs.flatMap(\.findings).contains { finding in
            finding.severity == .error || (request.failOn == .warning && finding.severity == .warning)
        }
        return failing ? output.exiting(.failure) : output
    }
}
