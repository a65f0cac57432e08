import IR

/// What makes `compile` and `compare` fail: the kinds of fidelity gap a user chose with
/// `--fail-on` (or `--strict`, or `fidelity: strict` in the spec).
public enum GapGate: String, Sendable, HashedByCase, CaseIterable {
    case widened, narrowed, expectation, unenforced
    case platformRequired = "platform-required"

    /// The gate a gap of this kind trips.
    public init(_ kind: Gap.Kind) {
        switch kind {
        case .widened: self = .widened
        case .narrowed: self = .narrowed
        case .expectationFailed: self = .expectation
        case .unenforced: self = .unenforced
        case .platformRequired: self = .platformRequired
        }
    }

    /// Without `--fail-on`: a failed `expect` is the spec author's own assertion, so it fails
    /// on every target it speaks for.
    public static let defaults: Set<GapGate> = [.expectation]

    /// `--strict` and `fidelity: strict`: every departure from the intent. Connections the
    /// platform itself needs (the cluster DNS of every OpenShift namespace with egress, say)
    /// are not the spec's and do not fail strict: failing on them would make strict unusable
    /// on those platforms. `--fail-on platform-required` names them explicitly.
    public static let strict: Set<GapGate> = [.widened, .narrowed, .expectation, .unenforced]

    /// Whether a gap trips one of the gates.
    public static func trips(_ gap: Gap, _ gates: Set<GapGate>) -> Bool { gates.contains(GapGate(gap.kind)) }
}
