import Analysis
import Backends
import Diagnostics
import IR
import Reports
import Spec

/// `palisade compare SPEC [--target T,…] [--format text|json|markdown]`.
public struct CompareRequest: Sendable {
    public enum Format: String, CaseIterable, Sendable { case text, json, markdown }

    public var spec: String
    /// nil: every target.
    public var targets: TargetList?
    public var format: Format
    /// The kinds of gap that fail the command; nil: `GapGate.defaults` (failed expectations).
    public var failOn: GapGates?
    /// Report and fail only on gaps not in this baseline file.
    public var baseline: String?
    /// Write every gap of this run to this baseline file.
    public var writeBaseline: String?
    /// The application's own files for the one target (`--with FILE|DIR`): that target is
    /// judged on what the platform deploys of them and Palisade's files together.
    public var with: String?
    /// Target options from the command line (`--set TARGET.OPTION=VALUE`).
    public var settings: [OptionSetting] = []

    public init(
        spec: String, targets: TargetList? = nil, format: Format = .text, failOn: GapGates? = nil, baseline: String? = nil, writeBaseline: String? = nil
    ) {
        self.baseline = baseline
        self.writeBaseline = writeBaseline
        self.failOn = failOn
        self.spec = spec
        self.targets = targets
        self.format = format
    }
}

/// `palisade diff OLD NEW [--format text|json|markdown]`.
public struct DiffRequest: Sendable {
    public enum Format: String, CaseIterable, Sendable { case text, json, markdown }

    public var old: String
    public var new: String
    public var format: Format
    /// The kinds of change that fail the command (`opens,relaxes` for a review gate); none by
    /// default.
    public var failOn: ChangeGates

    public init(old: String, new: String, format: Format = .text, failOn: ChangeGates = ChangeGates([])) {
        self.failOn = failOn
        self.old = old
        self.new = new
        self.format = format
    }
}

/// `palisade graph SPEC [--target T] [--format dot|mermaid]`.
public struct GraphRequest: Sendable {
    public enum Format: String, CaseIterable, Sendable { case dot, mermaid }

    public var spec: String
    /// The target whose widened and blocked connections to draw.
    public var target: TargetChoice?
    public var format: Format

    public init(spec: String, target: TargetChoice? = nil, format: Format = .dot) {
        self.spec = spec
        self.target = target
        self.format = format
    }
}

/// `palisade explain SPEC --from A --to B [--port P] [--target T,…|all]`.
public struct ExplainRequest: Sendable {
    public enum Format: String, CaseIterable, Sendable { case text, json }

    public var spec: String
    public var from: String
    public var to: String
    /// A port entry; nil: every port.
    public var port: String?
    /// The targets to ask too, as written: a list, or `all`; checked once the spec compiles.
    public var targets: String?
    public var format: Format
    /// As `CompareRequest.with`.
    public var with: String?
    /// Target options from the command line (`--set TARGET.OPTION=VALUE`).
    public var settings: [OptionSetting] = []

    public init(spec: String, from: String, to: String, port: String? = nil, targets: String? = nil, format: Format = .text) {
        self.format = format
        self.spec = spec
        self.from = from
        self.to = to
        self.port = port
        self.targets = targets
    }
}

extension Commands {
    /// What each target enforces of a spec, read back from its files. Exit 2: unreadable; 1: errors.
    public static func compare(_ request: CompareRequest, fileSystem: any SpecFileSystem = LocalFileSystem()) -> CommandOutput {
        var output = CommandOutput()
        var baseline: Baseline?
        if let path = request.baseline {
            switch BaselineFile.read(path, for: .compare, fileSystem: fileSystem) {
            case .success(let read): baseline = read
            case .failure(let problem): return CommandOutput(stderr: DiagnosticReport.error(problem.description)).exiting(.usage)
            }
        }
        var application: (target: TargetName, files: [ApplicationFile])?
        if let path = request.with {
            if let problem = Pipeline.applicationProblem("--with", targets: request.targets) {
                return CommandOutput(stderr: DiagnosticReport.error(problem), exitStatus: .usage)
            }
            guard let target = request.targets?.targets.first, let files = applicationFiles(path, into: &output) else { return output }
            application = (target, files)
        }
        guard let (policy, specSources) = compiledPolicy(request.spec, fileSystem: fileSystem, settings: request.settings, into: &output) else {
            return output
        }
        var comparison = Comparison(policy, targets: request.targets?.targets ?? TargetName.allCases, application: application)
        // Application files the target refuses are an error of the command, located in them.
        if let application, let refused = comparison.targets.first(where: { $0.target == application.target })?.error {
            var sources = SourceFiles(application.files)
            sources.merge(specSources)
            output.stderr += DiagnosticReport.text([refused], sources: sources)
            return output.exiting(.failure)
        }
        if let path = request.writeBaseline {
            let fingerprints = comparison.targets.flatMap { result in result.gaps.map { CompareReport.fingerprint(target: result.target, gap: $0) } }
            if let problem = BaselineFile.write(Baseline(command: .compare, fingerprints: Set(fingerprints)), to: path) {
                output.stderr += DiagnosticReport.error(problem)
                return output.exiting(.usage)
            }
        }
        if let baseline {
            CompareReport.apply(baseline, to: &comparison)
        }
        output.stdout =
            switch request.format {
            case .text: CompareReport.text(comparison)
            case .json: CompareReport.json(comparison)
            case .markdown: CompareReport.markdown(comparison)
            }
        let gates = policy.strictFidelity ? GapGate.strict : request.failOn?.kinds ?? GapGate.defaults
        var tripped = false
        for result in comparison.targets {
            let failing = result.gaps.filter { GapGate.trips($0, gates) }
            guard !failing.isEmpty else { continue }
            tripped = true
            output.stderr += CompareReport.gateFailure(target: result.target, gaps: failing)
        }
        return tripped ? output.exiting(.failure) : output
    }

    /// What a spec change opens, closes, relaxes or tightens. Exit 2: either spec unreadable;
    /// 1: either has errors.
    public static func diff(_ request: DiffRequest, fileSystem: any SpecFileSystem = LocalFileSystem()) -> CommandOutput {
        var output = CommandOutput()
        // Both compiled at once; reported as one after the other would be: the new spec's
        // diagnostics only once the old one compiled.
        let compiled = compiled([request.old, request.new], fileSystem: fileSystem)
        guard let old = policy(compiled[0], into: &output)?.policy, let new = policy(compiled[1], into: &output)?.policy else { return output }
        let diff = SpecDiff(old: old, new: new)
        output.stdout =
            switch request.format {
            case .text: DiffReport.text(diff)
            case .json: DiffReport.json(diff)
            case .markdown: DiffReport.markdown(diff)
            }
        let failing = diff.changes.filter { request.failOn.kinds.contains($0.kind) }
        guard !failing.isEmpty else { return output }
        output.stderr += DiffReport.gateFailure(failing)
        return output.exiting(.failure)
    }

    /// The intent as a picture; with a target, what it widens and blocks. Exit 1 when the
    /// target refuses the spec.
    public static func graph(_ request: GraphRequest, fileSystem: any SpecFileSystem = LocalFileSystem()) -> CommandOutput {
        var output = CommandOutput()
        guard let compiled = compiledPolicy(request.spec, fileSystem: fileSystem, into: &output) else { return output }
        let (policy, sources) = compiled
        var emission: Emission?
        if let target = request.target?.target {
            guard let backend = BackendRegistry.backend(for: target) else { return output.exiting(.usage) }
            let outcome = TargetEmitter.emit(policy, with: backend)
            output.stderr += DiagnosticReport.text(outcome.diagnostics, sources: sources)
            guard outcome.error == nil else { return output.exiting(.failure) }
            emission = outcome.emission
        }
        let graph = IntentGraph(policy, target: request.target?.target, emission: emission)
        output.stdout =
            switch request.format {
            case .dot: GraphReport.dot(graph)
            case .mermaid: GraphReport.mermaid(graph)
            }
        return output
    }

    /// Whether a connection is allowed, by which flows, and on each target asked. Exit 2 for a
    /// bad target list or a question the spec's grammar does not read.
    public static func explain(_ request: ExplainRequest, fileSystem: any SpecFileSystem = LocalFileSystem()) -> CommandOutput {
        var output = CommandOutput()
        guard let policy = compiledPolicy(request.spec, fileSystem: fileSystem, settings: request.settings, into: &output)?.policy else { return output }
        var asked: [TargetName] = []
        if let targets = request.targets {
            guard let list = TargetList(argumentOrAll: targets) else {
                output.stderr += DiagnosticReport.error("'\(targets)' is not a list of targets (\(TargetList.names.joined(separator: ", ")), or all)")
                return output.exiting(.usage)
            }
            asked = list.targets
        }
        var application: (target: TargetName, files: [ApplicationFile])?
        if let path = request.with {
            if let problem = Pipeline.applicationProblem("--with", targets: TargetList(asked)) {
                output.stderr += DiagnosticReport.error(problem)
                return output.exiting(.usage)
            }
            guard let files = applicationFiles(path, into: &output) else { return output }
            application = (asked[0], files)
        }
        do {
            let answer = try Explain.explain(policy, from: request.from, to: request.to, port: request.port, targets: asked, application: application)
            if let application, let refused = answer.targets.first(where: { $0.target == application.target })?.error {
                output.stderr += DiagnosticReport.error("\(application.target.rawValue): \(refused)")
                return output.exiting(.failure)
            }
            output.stdout = request.format == .json ? ExplainReport.json(answer) : ExplainReport.text(answer)
        } catch {
            output.stderr += DiagnosticReport.error(error.description)
            return output.exiting(.usage)
        }
        return output
    }
}

extension Explain {
    /// Answers a question written as on the command line: `from` and `to` references or
    /// addresses, `port` a port entry (nil: every port), read with the front end's grammar.
    public static func explain(
        _ policy: Policy, from: String, to: String, port: String?, targets: [TargetName] = [],
        application: (target: TargetName, files: [ApplicationFile])? = nil
    ) throws(QueryError) -> Answer {
        let sources: Endpoints
        let destinations: Endpoints
        do {
            sources = try SpecQuery.endpoints(from, in: policy, source: true)
            destinations = try SpecQuery.endpoints(to, in: policy, source: false)
        } catch {
            throw QueryError(description: "\(error)")
        }
        try checkSides(from: from, sources: sources, to: to, destinations: destinations)
        var ports = PortSet.all
        if let port {
            do {
                ports = try SpecQuery.ports(port, in: policy)
            } catch {
                throw QueryError(description: "\(error)")
            }
        }
        return try explain(
            policy, Question(from: from, sources: sources, to: to, destinations: destinations, ports: ports), targets: targets, application: application)
    }
}
