import Backends
import IR

/// `palisade targets`: what each backend can enforce, and its options, from the backends' own
/// declarations. `TargetMatrixReport` (in Reports) renders it.
public struct TargetMatrix: Sendable {
    /// One target's column.
    public struct Column: Sendable {
        public var target: TargetName
        public var capabilities: [Capability: Support]
        public var options: [OptionSpec]
    }

    /// The targets with a backend, in target order.
    public var columns: [Column]

    /// The controls, in order: the rows.
    public var capabilities: [Capability] { Capability.allCases }

    /// The matrix of every registered backend.
    public init() {
        columns = TargetName.allCases.compactMap(BackendRegistry.backend(for:)).map { backend in
            Column(target: backend.target, capabilities: Self.capabilities(of: backend.target), options: backend.options)
        }
    }

    /// What a target can enforce, from its backend's declaration: the one source of
    /// `palisade targets`, of `compare`'s control matrix and of what is outside a target's
    /// scope (`TargetGaps`). Empty for a target without a backend.
    public static func capabilities(of target: TargetName) -> [Capability: Support] {
        BackendRegistry.backend(for: target)?.capabilities ?? [:]
    }
}
