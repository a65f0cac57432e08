import Backends
import IR

/// A target's gaps at the level a reviewer reads them. A control the target does not cover at
/// all (`Support.none` in its capabilities, the `no` of `palisade targets`) is outside its
/// scope: every runtime key a firewall is given, say. Those unenforced gaps are counted per
/// control (`outside`), the others are listed one by one (`listed`). Every gap stays as data
/// in `gaps`; the split is computed from the gaps and the capabilities alone.
public struct TargetGaps: Sendable {
    /// The unenforced gaps of one control the target does not cover at all.
    public struct OutsideControl: Sendable {
        public var capability: Capability
        /// In the order the backend gave them.
        public var gaps: [Gap]

        /// The workloads whose runtime keys or secrets the gaps are about, in order.
        public var workloads: [String] {
            var seen = Set<String>()
            return gaps.compactMap { gap in
                switch gap.subject {
                case .runtime(let workload, _), .secrets(let workload): seen.insert(workload).inserted ? workload : nil
                default: nil
                }
            }
        }

        /// How many gaps are about each kind of subject: runtime settings, workloads' secrets,
        /// grants, the image policy, anything else.
        public var settings: Int { gaps.count { if case .runtime = $0.subject { true } else { false } } }
        public var secrets: Int { gaps.count { if case .secrets = $0.subject { true } else { false } } }
        public var grants: Int { gaps.count { if case .grant = $0.subject { true } else { false } } }
        public var imagePolicy: Bool { gaps.contains { $0.subject == .imagePolicy } }
        public var others: Int { gaps.count - settings - secrets - grants - (imagePolicy ? 1 : 0) }

        /// The platform's reason, when every gap of the control gives the same one: a reason
        /// says what it is about, then after its first `: ` why (`user is not enforced by
        /// aws: security groups filter traffic only`); a reason without `: ` is its own why.
        /// nil when they differ.
        /// A gap whose reason is the first gap's text has its why: most share one text (a
        /// backend writes a control's reason once), so only a different text is taken apart.
        public var reason: String? {
            func why(_ reason: String) -> String { reason.range(of: ": ").map { String(reason[$0.upperBound...]) } ?? reason }
            guard let first = gaps.first?.reason else { return nil }
            let firstWhy = why(first)
            guard !firstWhy.isEmpty else { return nil }
            for index in gaps.indices.dropFirst() where gaps[index].reason != first && why(gaps[index].reason) != firstWhy { return nil }
            return firstWhy
        }
    }

    public let target: TargetName
    /// The target's capabilities, as `palisade targets` shows them.
    public let capabilities: [Capability: Support]
    /// Every gap, in the backend's order.
    public let gaps: [Gap]
    /// The controls the target does not cover at all, so that telling a gap apart compares a
    /// few cases and hashes nothing (a large estate has hundreds of thousands of gaps).
    private let uncovered: [Capability]

    /// `capabilities` nil: the target's own (`TargetMatrix.capabilities(of:)`).
    public init(target: TargetName, gaps: [Gap], capabilities: [Capability: Support]? = nil) {
        self.target = target
        let capabilities = capabilities ?? TargetMatrix.capabilities(of: target)
        self.capabilities = capabilities
        self.gaps = gaps
        uncovered = Capability.allCases.filter { capabilities[$0] == Support.none }
    }

    /// The gaps listed one by one: all but those outside the target's scope.
    public var listed: [Gap] { gaps.filter { !isOutside($0) } }

    /// The gaps outside the target's scope, per control in the order of `Capability`.
    public var outside: [OutsideControl] {
        var outside: [Capability: [Gap]] = [:]
        for gap in gaps where isOutside(gap) { outside[gap.capability, default: []].append(gap) }
        return outside.keys.sorted().map { OutsideControl(capability: $0, gaps: outside[$0] ?? []) }
    }

    /// Whether the gap is outside the target's scope (`isOutsideScope` with its capabilities).
    public func isOutside(_ gap: Gap) -> Bool { gap.kind == .unenforced && uncovered.contains(gap.capability) }

    /// Whether a gap is outside a target's scope: an unenforced control the target does not
    /// cover at all. Widened and narrowed connections are always listed, whatever the
    /// control: they say which traffic passes.
    public static func isOutsideScope(_ gap: Gap, capabilities: [Capability: Support]) -> Bool {
        isOutsideScope(kind: gap.kind, capability: gap.capability, capabilities: capabilities)
    }

    /// `isOutsideScope` from a gap's kind and control alone.
    public static func isOutsideScope(kind: Gap.Kind, capability: Capability, capabilities: [Capability: Support]) -> Bool {
        kind == .unenforced && capabilities[capability] == Support.none
    }

    /// How many gaps are outside the target's scope.
    public var outsideCount: Int { gaps.count { isOutside($0) } }

    /// `exact`, or the gaps counted by kind with those outside the target's scope apart:
    /// `2 widened, 1 narrowed, 88 outside its scope`.
    public var summary: String { Fidelity.summary(gaps, capabilities: capabilities) }
}
