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
    public enum Format: String, CaseIterable, Sendable { case text, json, sarif, junit, codequality }

    /// The lowest severity of a finding that fails the run.
    public enum Threshold: String, CaseIterable, Sendable { case error, warning }

    public var specs: [String]
    public var format: Format
    public var failOn: Threshold
    /// SARIF: the analysis category (`automationDetails.id`), one per lint job of a repository.
    public var sarifCategory: String?
    /// SARIF: the absolute URL rules link their help under (`LintReports.defaultHelpBaseURI`).
    public var helpBaseURI: String?
    /// Report only findings not in this baseline file.
    public var baseline: String?
    /// Write every finding of this run to this baseline file.
    public var writeBaseline: String?

    public init(
        specs: [String], format: Format = .text, failOn: Threshold = .error, sarifCategory: String? = nil, helpBaseURI: String? = nil,
        baseline: String? = nil, writeBaseline: String? = nil
    ) {
        self.specs = specs
        self.format = format
        self.failOn = failOn
        self.sarifCategory = sarifCategory
        self.helpBaseURI = helpBaseURI
        self.baseline = baseline
        self.writeBaseline = writeBaseline
    }
}

extension Commands {
    /// The report on standard output, the specs' own errors on standard error. Exit 2: an
    /// unreadable spec; 1: a spec that does not compile, or a finding at or above `failOn`.
    public static func lint(_ request: LintRequest, fileSystem: any SpecFileSystem = LocalFileSystem()) -> CommandOutput {
        if let base = request.helpBaseURI, !RepositoryPaths.isAbsoluteWebURL(base) {
            return CommandOutput(stderr: DiagnosticReport.error("--help-uri-base must be an absolute http(s) URL, not '\(base)'")).exiting(.usage)
        }
        var baseline: Baseline?
        if let path = request.baseline {
            switch BaselineFile.read(path, for: .lint, fileSystem: fileSystem) {
            case .success(let read): baseline = read
            case .failure(let problem): return CommandOutput(stderr: DiagnosticReport.error(problem.description)).exiting(.usage)
            }
        }
        var result = LintPipeline.lint(paths: request.specs, fileSystem: fileSystem, toolVersion: version)
        var output = CommandOutput(stderr: DiagnosticReport.text(result.diagnostics, sources: result.run.sources))
        guard result.allReadable else { return output.exiting(.usage) }
        let paths = RepositoryPaths.current()
        let reportPath: @Sendable (String) -> String = { paths.relative($0) }
        if let path = request.writeBaseline {
            let fingerprints = Set(result.run.specs.flatMap(\.findings).map { LintReports.fingerprint($0, reportPath: reportPath) })
            if let problem = BaselineFile.write(Baseline(command: .lint, fingerprints: fingerprints), to: path) {
                output.stderr += DiagnosticReport.error(problem)
                return output.exiting(.usage)
            }
        }
        if let baseline {
            for index in result.run.specs.indices {
                let before = result.run.specs[index].findings.count
                result.run.specs[index].findings.removeAll { baseline.fingerprints.contains(LintReports.fingerprint($0, reportPath: reportPath)) }
                result.run.baselined += before - result.run.specs[index].findings.count
            }
        }
        switch request.format {
        case .text: output.stdout = LintReports.text(result.run)
        case .json: output.stdout = LintReports.json(result.run)
        case .codequality: output.stdout = LintReports.codeQuality(result.run, reportPath: reportPath)
        case .sarif:
            output.stdout = LintReports.sarif(
                result.run,
                options: LintReports.SARIFOptions(
                    category: request.sarifCategory, helpBaseURI: request.helpBaseURI ?? LintReports.defaultHelpBaseURI, reportPath: reportPath))
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
