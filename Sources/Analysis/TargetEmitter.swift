import Backends
import Diagnostics
import Foundation
import IR

/// One target's files for one policy, or the located errors that stop it.
public struct TargetOutcome: Sendable {
    public var target: TargetName
    /// The backend's option and limit diagnostics (warnings too), and what stopped it.
    public var diagnostics: [Diagnostic] = []
    public var emission: Emission?
    public var duration: Duration = .zero

    public init(target: TargetName) { self.target = target }

    /// The first error, when the target refused the spec.
    public var error: Diagnostic? { diagnostics.first { $0.severity == .error } }
}

/// What a backend makes of a policy with the spec's own options for it: validation, then
/// emission. Every command that compiles a target goes through here (compile, compare,
/// explain --target, graph --target).
public enum TargetEmitter {
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

    /// Each target's outcome, computed concurrently, in target order; targets without a
    /// backend are left out. `finished` hears of each outcome as soon as it is ready, from the
    /// worker that computed it (for progress on a terminal).
    public static func emitAll(
        _ policy: Policy, targets: [TargetName], finished: (@Sendable (TargetOutcome) -> Void)? = nil
    ) -> [TargetOutcome] {
        let backends = targets.compactMap(BackendRegistry.backend(for:))
        let outcomes = OutcomeSlots(count: backends.count)
        DispatchQueue.concurrentPerform(iterations: backends.count) { index in
            let outcome = emit(policy, with: backends[index])
            outcomes.set(index, outcome)
            finished?(outcome)
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
}
