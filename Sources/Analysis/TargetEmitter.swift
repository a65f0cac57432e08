import Backends
import Diagnostics
import IR

/// One target's files for one policy, or the located errors that stop it.
public struct TargetOutcome: Sendable {
    public var target: TargetName
    /// The backend's option and limit diagnostics (warnings too), and what stopped it.
    public var diagnostics: [Diagnostic] = []
    public var emission: Emission?
    /// The application's fields set to other values (`compile --apply-to`).
    public var overrides: [Override] = []
    public var duration: Duration = .zero
    /// How long the check of its expectations took (`compile` does it on the worker).
    public var fidelityDuration: Duration = .zero
    /// Its gaps counted by kind (`TargetGaps.summary`), set by `compile` before it lets any go.
    public var fidelitySummary: String?

    public init(target: TargetName) { self.target = target }

    /// The first error, when the target refused the spec.
    public var error: Diagnostic? { diagnostics.first { $0.severity == .error } }
}

/// What a backend makes of a policy with the spec's own options for it: validation, then
/// emission. Every command that compiles a target goes through here (compile, compare,
/// explain --target, graph --target).
public enum TargetEmitter {
    public static func emit(_ policy: Policy, with backend: any Backend) -> TargetOutcome {
        run(policy, with: backend) { options in (try backend.emit(policy, options: options), []) }
    }

    /// `compile --apply-to`: the backend's decisions applied onto the application team's own
    /// files, validated as `emit` validates; the outcome holds the fields it overrode.
    public static func apply(_ policy: Policy, with backend: any ApplicationBackend, to application: [ApplicationFile]) -> TargetOutcome {
        run(policy, with: backend) { options in
            let applied = try backend.apply(policy, options: options, to: application)
            return (applied.emission, applied.overrides)
        }
    }

    /// `compare --with`, `explain --with`: what the platform deploys from the application's files
    /// and the backend's `emission` of `policy`.
    public static func deployment(
        _ policy: Policy, with backend: any ApplicationBackend, emission: Emission, application: [ApplicationFile]
    ) throws -> Deployment {
        try backend.deployment(emission.files, application: application, policy: policy, options: options(policy, backend))
    }

    /// What a target's emission enforces, read back: from its own files, or with
    /// `application` (`--with`) from what the platform deploys of the application's files and
    /// them, with the gaps the application's own files open.
    public static func read(
        _ policy: Policy, with backend: any Backend, emission: Emission, application: [ApplicationFile]?
    ) throws -> (relation: Relation, gaps: [Gap]) {
        guard let application, let merging = backend as? any ApplicationBackend else {
            return (try backend.read(emission.files, policy: policy).relation, [])
        }
        let deployed = try deployment(policy, with: merging, emission: emission, application: application)
        return (deployed.readBack.relation, deployed.gaps)
    }

    /// The options the policy gives the backend's target, or the defaults.
    static func options(_ policy: Policy, _ backend: any Backend) -> TargetOptions {
        policy.options(for: backend.target) ?? TargetOptions(target: backend.target, gaps: .widen, options: [], origin: policy.origin)
    }

    /// Validation, then `body` timed; a `BackendError` or any other error becomes the outcome's
    /// located diagnostic.
    static func run(_ policy: Policy, with backend: any Backend, _ body: (TargetOptions) throws -> (Emission, [Override])) -> TargetOutcome {
        var outcome = TargetOutcome(target: backend.target)
        let options = options(policy, backend)
        outcome.diagnostics = backend.validate(options) + backend.validate(policy)
        guard outcome.error == nil else { return outcome }
        do {
            let started = ContinuousClock.now
            (outcome.emission, outcome.overrides) = try body(options)
            outcome.duration = ContinuousClock.now - started
        } catch let error as BackendError {
            outcome.diagnostics.append(error.diagnostic)
        } catch {
            outcome.diagnostics.append(.error(.invalidTargetOption, "\(backend.target.rawValue): \(error)", at: options.origin))
        }
        return outcome
    }

    /// Each target's outcome, computed concurrently, in target order; targets without a
    /// backend are left out. `finished` hears of each outcome as soon as it is ready, from the
    /// worker that computed it (for progress on a terminal).
    ///
    /// `handOff`, when given, takes each outcome first, on its worker: `compile` stages the
    /// target's files there and keeps only their paths, so that the files of every target are
    /// never held at once.
    ///
    /// The targets start in `startOrder`, the costliest first: the workers take the next target
    /// as each finishes its last, so with fewer cores than targets, a costly target started
    /// last would leave the other cores idle while it alone runs.
    public static func emitAll(
        _ policy: Policy, targets: [TargetName], finished: (@Sendable (TargetOutcome) -> Void)? = nil,
        handOff: (@Sendable (inout TargetOutcome) -> Void)? = nil
    ) -> [TargetOutcome] {
        let backends = targets.compactMap(BackendRegistry.backend(for:))
        return concurrently(backends.map(\.target)) { index in
            var outcome = emit(policy, with: backends[index])
            handOff?(&outcome)
            finished?(outcome)
            return outcome
        }
    }

    /// `body` for each of `targets` (given its position), run concurrently on the cores, the
    /// costliest targets first (`startOrder`); the results in the order of `targets`.
    static func concurrently<Value>(_ targets: [TargetName], _ body: @Sendable (Int) -> Value) -> [Value] {
        Concurrently.map(count: targets.count, order: startSequence(targets), body)
    }

    /// The order targets start in, the costliest first (longest processing time first): by
    /// the benchmark's per-target times on a large estate (`scripts/bench.sh`, emit and write
    /// of the 10,000-workload spec), where each target's cost grows alike with the spec.
    /// Every target is listed.
    static let startOrder: [TargetName] = [.openshift, .kubernetes, .azure, .nftables, .aws, .gcp, .swarm, .mesos]

    /// The positions of `targets` in the order they start (`startOrder`).
    static func startSequence(_ targets: [TargetName]) -> [Int] {
        func rank(_ target: TargetName) -> Int { startOrder.firstIndex(of: target) ?? startOrder.count }
        return targets.indices.sorted { (rank(targets[$0]), $0) < (rank(targets[$1]), $1) }
    }
}
