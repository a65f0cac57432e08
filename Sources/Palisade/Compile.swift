import Analysis
import Backends
import Diagnostics
import IR
import Spec
import YAML

/// The pipeline the command line and the tests share: load → check → emit → write.
public enum Pipeline {
    /// What compiling some specs produced.
    public struct CompileResult: Sendable {
        public var specs: [SpecCompiler.Output]
        /// Backend diagnostics (bad target options), located in the specs.
        public var diagnostics: [Diagnostic]
        /// Every file, by path under the output root.
        public var tree: OutputTree
        /// Gaps per (policy, target): every gap, or with `GapKeeping.tripping` only those that
        /// trip a gate.
        public var gaps: [(policy: String, target: TargetName, gaps: [Gap])]
        /// The count line of each entry of `gaps` (`TargetGaps.summary`), taken before any gap
        /// was let go.
        public var summaries: [String] = []
        /// Targets asked for that have no backend yet.
        public var targetsWithoutBackend: [TargetName]
        /// How long each backend's emit took, per policy.
        public var emitTimings: [(policy: String, target: TargetName, duration: Duration)] = []
        /// How long each target's fidelity check took, per policy: its relation (the read-back
        /// relation, intent − narrowed + widened) and the expectations on it.
        public var fidelityTimings: [(policy: String, target: TargetName, duration: Duration)] = []
        /// Policies that say `fidelity: strict`: their gaps are errors.
        public var strictPolicies: Set<String> = []
        /// The application's fields `--apply-to` set to other values, located in its files.
        public var overrides: [Override] = []
        /// The application's files (`--apply-to`), to render diagnostics located in them.
        var applicationSources = SourceFiles()

        /// Every diagnostic of every spec, then the backends'.
        public var allDiagnostics: [Diagnostic] { specs.flatMap(\.diagnostics) + diagnostics }
        public var hasErrors: Bool { allDiagnostics.contains { $0.severity == .error } }
        public var allReadable: Bool { specs.allSatisfy(\.readable) }

        /// Every source file read, to render diagnostics.
        public var sources: SourceFiles {
            var all = SourceFiles()
            for spec in specs { all.merge(spec.sources) }
            all.merge(applicationSources)
            return all
        }
    }

    /// Which gaps a compile keeps once each target's are counted.
    public enum GapKeeping: Sendable {
        /// Every gap.
        case all
        /// Only those of the kinds that trip the gates a policy has (given whether it says
        /// `fidelity: strict`): what `compile` shows without `--gaps`. A large estate's
        /// hundreds of thousands of gaps are counted on each target's worker and let go there.
        case tripping(@Sendable (_ strictPolicy: Bool) -> Set<GapGate>)
    }

    /// Compiles each spec to each target. Nothing is written here. `progress` hears what the
    /// compile is doing (a status line on a terminal). `settings` are the command line's target
    /// options (`--set`); with `application` (`--apply-to`, one target), that target's files are
    /// the application's own, hardened. With `staging`, each target's files are handed to it as
    /// soon as the target is emitted (staged under the output folder, or compared with it for
    /// `--check`), and the result's tree holds their paths with empty contents (a failure to
    /// stage is thrown again by `commit` or `finish`).
    /// Each target's outcome is finished on the worker that emitted it (`finish`); `keeping`
    /// says which of its gaps the result holds (`summaries` counts them all).
    public static func compile(
        paths: [String], targets: [TargetName] = TargetName.allCases, fileSystem: any SpecFileSystem = LocalFileSystem(),
        progress: CompileProgress = .silent, settings: [OptionSetting] = [], application: ApplicationInput? = nil,
        staging: (any OutputSink)? = nil, keeping: GapKeeping = .all
    ) -> CompileResult {
        var result = CompileResult(specs: [], diagnostics: [], tree: OutputTree(), gaps: [], targetsWithoutBackend: [])
        result.targetsWithoutBackend = targets.filter { BackendRegistry.backend(for: $0) == nil }
        var policyNames: [String: String] = [:]
        for path in paths {
            progress.checking(spec: path)
            let output = SpecCompiler.compile(path: path, fileSystem: fileSystem, validateOptions: validateOptions)
            result.specs.append(output)
            guard let specPolicy = output.policy else { continue }
            let (policy, settingProblems) = specPolicy.setting(settings)
            result.diagnostics += settingProblems
            guard settingProblems.isEmpty else { continue }
            if let other = policyNames[policy.name] {
                result.diagnostics.append(
                    .error(
                        .nameCollision, "policy '\(policy.name)' is also the name of the spec '\(other)'; their outputs would overwrite each other",
                        at: nil))
                continue
            }
            policyNames[policy.name] = path
            // Targets are independent: compile them in parallel, report them in target order.
            progress.emitting(policy: policy.name, targets: targets.filter { BackendRegistry.backend(for: $0) != nil })
            // Each outcome is finished on the worker that emitted it (`finish`): its
            // expectations checked, its files staged, what the summary no longer needs let go.
            let name = policy.name
            var outcomes: [TargetOutcome]
            if let application, let target = targets.first, let backend = BackendRegistry.backend(for: target) as? any ApplicationBackend {
                result.applicationSources = application.sources
                var outcome = TargetEmitter.apply(policy, with: backend, to: application.files)
                finish(&outcome, policy: policy, application: application, staging: staging, keeping: keeping)
                outcomes = [outcome]
                progress.emitted(target)
            } else {
                // The heap trimmed as the targets go, once the process holds 320 MB: what each
                // frees goes back to the system rather than piling up in the workers' arenas,
                // for as long as that keeps the process under it (`MemoryRelease`).
                outcomes = MemoryRelease.trimming(every: .milliseconds(100), above: 320 << 20) {
                    TargetEmitter.emitAll(
                        policy, targets: targets, finished: { progress.emitted($0.target) },
                        handOff: { outcome in finish(&outcome, policy: policy, application: nil, staging: staging, keeping: keeping) })
                }
            }
            progress.checkingFidelity(policy: name)
            for outcome in outcomes {
                result.diagnostics += outcome.diagnostics.map { OptionSetting.relocated(application?.located($0) ?? $0) }
                result.overrides += outcome.overrides.map { override in
                    var override = override
                    override.origin = application?.located(override.origin) ?? override.origin
                    return override
                }
                guard let emission = outcome.emission else { continue }
                result.emitTimings.append((name, outcome.target, outcome.duration))
                result.fidelityTimings.append((name, outcome.target, outcome.fidelityDuration))
                for file in emission.files { result.tree.add("\(outcome.target.rawValue)/\(name)/\(file.path)", file.text) }
                result.gaps.append((name, outcome.target, emission.gaps))
                result.summaries.append(outcome.fidelitySummary ?? TargetGaps(target: outcome.target, gaps: emission.gaps).summary)
                if policy.strictFidelity { result.strictPolicies.insert(name) }
            }
        }
        return result
    }

    /// What happens to a target's outcome on the worker that emitted it, so that the compile
    /// never holds what every target needed at once: the gaps located in the application's
    /// files (`--apply-to`), the expectations checked on the target's relation (timed as its
    /// fidelity), the files staged under `TARGET/POLICY/` when `staging` is given (the outcome
    /// keeps only their paths; a target that refused the spec stages nothing, and a failure to
    /// stage is kept by `staging`), then the relations let go, the gaps counted
    /// (`fidelitySummary`) and only those `keeping` asks for held, at their size.
    public static func finish(
        _ outcome: inout TargetOutcome, policy: Policy, application: ApplicationInput?, staging: (any OutputSink)?, keeping: GapKeeping = .all
    ) {
        guard var emission = outcome.emission else { return }
        // The outcome lets go of its emission while it is finished here, so that appending the
        // expectations' gaps grows the one gap array in place rather than copying it whole.
        outcome.emission = nil
        if let application {
            for index in emission.gaps.indices { emission.gaps[index].origin = application.located(emission.gaps[index].origin) }
        }
        let started = ContinuousClock.now
        if !policy.expectations.isEmpty {
            emission.gaps += Fidelity.expectationGaps(policy, target: outcome.target, emission: emission)
        }
        outcome.fidelityDuration = ContinuousClock.now - started
        if let staging, outcome.error == nil {
            var tree = OutputTree()
            for file in emission.files { tree.add("\(outcome.target.rawValue)/\(policy.name)/\(file.path)", file.text) }
            if (try? staging.stage(tree)) != nil {
                emission.files = emission.files.map { OutputFile(path: $0.path, text: ChunkedText()) }
            }
        }
        emission.widenedProducts = ProductRelation()
        emission.narrowed = Relation()
        outcome.fidelitySummary = TargetGaps(target: outcome.target, gaps: emission.gaps).summary
        switch keeping {
        case .all:
            // Appending grew the array up to twice its size; on the 10k benchmark spec a cloud
            // target has over 130,000 gaps.
            emission.gaps = Array(emission.gaps[...])
        case .tripping(let gates):
            // Each gap's kind read in place and only the kept gaps copied: most gaps trip no
            // gate, and a filter's closure was handed a copy of every one.
            let kinds = Gap.Kind.allCases
            let trips = kinds.map { gates(policy.strictFidelity).contains(GapGate($0)) }
            var kept: [Gap] = []
            for index in emission.gaps.indices where trips[emission.gaps[index].kind.caseIndex] {
                kept.append(emission.gaps[index])
            }
            emission.gaps = kept
        }
        outcome.emission = emission
    }

    /// Every target's options checked by its backend, whichever targets a command compiles:
    /// `compile`, `lint` and the report commands refuse the same specs.
    public static let validateOptions: SpecCompiler.OptionValidator = { options in
        BackendRegistry.backend(for: options.target)?.validate(options) ?? []
    }

    /// The targets whose backend applies its decisions onto the application's own files
    /// (`--apply-to`, `--with`), in target order.
    public static var applicationTargets: [TargetName] {
        BackendRegistry.all.filter { $0 is any ApplicationBackend }.map(\.target)
    }

    /// Why `targets` cannot go with `flag` (`--apply-to`, `--with`), or nil: the application's
    /// files are one platform's, so one target whose backend takes them.
    static func applicationProblem(_ flag: String, targets: TargetList?) -> String? {
        let names = applicationTargets.map(\.rawValue).joined(separator: ", ")
        guard let targets = targets?.targets, targets.count == 1 else {
            return "\(flag) needs exactly one --target: the application's files are one platform's (\(names.isEmpty ? "no target takes them yet" : names))"
        }
        guard applicationTargets.contains(targets[0]) else {
            return "\(flag): target \(targets[0].rawValue) does not take the application's own files\(names.isEmpty ? "" : "; these do: \(names)")"
        }
        return nil
    }

    /// The JSON Schema of the spec language.
    public static func schema() -> String { JSONWriter.write(schemaValue()) }

    /// The schema as a value, each target's options typed from its backend's declaration.
    public static func schemaValue() -> StructuredValue {
        var options: [String: [SpecSchema.Field]] = [:]
        for backend in BackendRegistry.all {
            options[backend.target.rawValue] = backend.options.map { option in
                let type: SpecSchema.ValueType =
                    switch option.kind {
                    case .string: .string()
                    case .boolean: .boolean
                    case .choice(let words): .enumeration(words)
                    case .integer(let bounds): .integer(minimum: bounds.lowerBound, maximum: bounds.upperBound)
                    case .addressMap: .map(.list(.string()))
                    }
                let summary = option.defaultValue.map { "\(option.summary) (default: \($0.isEmpty ? "empty" : $0))" } ?? option.summary
                return SpecSchema.Field(option.name, type, summary)
            }
        }
        return SpecSchema.jsonSchema(targetOptions: options)
    }
}

extension SourceFiles {
    /// Adds every file of `other`.
    mutating func merge(_ other: SourceFiles) {
        for file in other.all { add(file) }
    }
}
