import Backends
import Diagnostics
import Foundation
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
        /// Gaps per (policy, target).
        public var gaps: [(policy: String, target: TargetName, gaps: [Gap])]
        /// Targets asked for that have no backend yet.
        public var targetsWithoutBackend: [TargetName]
        /// How long each backend's emit took, per policy.
        public var emitTimings: [(policy: String, target: TargetName, duration: Duration)] = []
        /// Policies that say `fidelity: strict`: their gaps are errors.
        public var strictPolicies: Set<String> = []

        /// Every diagnostic of every spec, then the backends'.
        public var allDiagnostics: [Diagnostic] { specs.flatMap(\.diagnostics) + diagnostics }
        public var hasErrors: Bool { allDiagnostics.contains { $0.severity == .error } }
        public var allReadable: Bool { specs.allSatisfy(\.readable) }

        /// Every source file read, to render diagnostics.
        public var sources: SourceFiles {
            var all = SourceFiles()
            for spec in specs { all.merge(spec.sources) }
            return all
        }
    }

    /// Compiles each spec to each target. Nothing is written here.
    public static func compile(
        paths: [String], targets: [TargetName] = TargetName.allCases, fileSystem: any SpecFileSystem = LocalFileSystem()
    ) -> CompileResult {
        var result = CompileResult(specs: [], diagnostics: [], tree: OutputTree(), gaps: [], targetsWithoutBackend: [])
        result.targetsWithoutBackend = targets.filter { BackendRegistry.backend(for: $0) == nil }
        var policyNames: [String: String] = [:]
        for path in paths {
            let output = SpecCompiler.compile(path: path, fileSystem: fileSystem)
            result.specs.append(output)
            guard let policy = output.policy else { continue }
            if let other = policyNames[policy.name] {
                result.diagnostics.append(.error(
                    .nameCollision, "policy '\(policy.name)' is also the name of the spec '\(other)'; their outputs would overwrite each other",
                    at: nil))
                continue
            }
            policyNames[policy.name] = path
            // Targets are independent: compile them in parallel, report them in target order.
            let outcomes = compileTargets(policy, targets: targets)
            for outcome in outcomes {
                result.diagnostics += outcome.diagnostics
                guard let emission = outcome.emission else { continue }
                result.emitTimings.append((policy.name, outcome.target, outcome.duration))
                for file in emission.files { result.tree.add("\(outcome.target.rawValue)/\(policy.name)/\(file.path)", file.contents) }
                var gaps = emission.gaps
                if !policy.expectations.isEmpty {
                    gaps += Fidelity.expectationGaps(policy, target: outcome.target, relation: Fidelity.relation(policy, emission))
                }
                result.gaps.append((policy.name, outcome.target, gaps))
                if policy.strictFidelity { result.strictPolicies.insert(policy.name) }
            }
        }
        return result
    }

    /// One target's files for one policy, or the located errors that stop it.
    public struct TargetOutcome: Sendable {
        public var target: TargetName
        /// The backend's option and limit diagnostics (warnings too), and what stopped it.
        public var diagnostics: [Diagnostic] = []
        public var emission: Emission?
        public var duration: Duration = .zero

        /// The first error, when the target refused the spec.
        public var error: Diagnostic? { diagnostics.first { $0.severity == .error } }
    }

    /// What a backend makes of a policy with the spec's own options for it: validation, then
    /// emission. Every command that compiles a target goes through here.
    public static func emit(_ policy: Policy, with backend: any Backend) -> TargetOutcome {
        var outcome = TargetOutcome(target: backend.target)
        let options = policy.options(for: backend.target) ?? TargetOptions(target: backend.target, gaps: .widen, options: [], origin: policy.origin)
        outcome.diagnostics = backend.validate(options) + backend.validate(policy)
        guard outcome.error == nil else { return outcome }
        do {
            let started = ContinuousClock.now
            outcome.emission = try backend.emit(policy, options: options)
            outcome.duration = ContinuousClock.now - started
        } catch let error as BackendError {
            outcome.diagnostics.append(error.diagnostic)
        } catch {
            outcome.diagnostics.append(.error(.invalidTargetOption, "\(backend.target.rawValue): \(error)", at: options.origin))
        }
        return outcome
    }

    /// Each target's outcome, computed concurrently, in target order.
    static func compileTargets(_ policy: Policy, targets: [TargetName]) -> [TargetOutcome] {
        let backends = targets.compactMap(BackendRegistry.backend(for:))
        let outcomes = OutcomeSlots(count: backends.count)
        DispatchQueue.concurrentPerform(iterations: backends.count) { index in
            outcomes.set(index, emit(policy, with: backends[index]))
        }
        return outcomes.values
    }

    /// Results written by concurrent workers, one slot each.
    final class OutcomeSlots: @unchecked Sendable {
        private var slots: [TargetOutcome?]
        private let lock = NSLock()

        init(count: Int) { slots = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ outcome: TargetOutcome) {
            lock.lock()
            slots[index] = outcome
            lock.unlock()
        }

        var values: [TargetOutcome] {
            lock.lock()
            defer { lock.unlock() }
            return slots.compactMap { $0 }
        }
    }

    /// The JSON Schema of the spec language.
    public static func schema() -> String {
        JSONWriter.write(SpecSchema.jsonSchema())
    }
}

extension SourceFiles {
    /// Adds every file of `other`.
    mutating func merge(_ other: SourceFiles) {
        for file in other.all { add(file) }
    }
}
