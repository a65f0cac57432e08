import Backends
import Diagnostics
import IR

/// `palisade compare`: per target, what it allows beyond the intent, what intended connections
/// it blocks, which controls and grants it does not enforce, which expectations fail there; and
/// a target × control matrix. `CompareReport` (in Reports) renders it as text, JSON or Markdown.
public struct Comparison: Sendable {
    public struct TargetResult: Sendable {
        public var target: TargetName
        /// Every gap, expectation failures included; empty when the target refused the spec.
        public var gaps: [Gap]
        public var emission: Emission?
        /// Why the target cannot take the spec (a platform limit), when it cannot.
        public var error: Diagnostic?
        /// What the target can enforce, as `palisade targets` says.
        public var capabilities: [Capability: Support]

        /// The gaps split into those listed one by one and those outside the target's scope.
        public var scoped: TargetGaps { TargetGaps(target: target, gaps: gaps, capabilities: capabilities) }
    }

    public let policy: Policy
    public private(set) var targets: [TargetResult] = []
    /// Gaps left out because a baseline holds them (`compare --baseline`), per target.
    public private(set) var baselined: [TargetName: Int] = [:]

    /// Replaces each gap by what a baseline does not hold of it (`remaining`: nothing, the
    /// gap, or the parts of a connection it holds in part); a gap held back whole or in part
    /// is counted in `baselined`.
    public mutating func narrowGaps(remaining: (TargetName, Gap) -> [Gap]) {
        for index in targets.indices {
            let target = targets[index].target
            var held = 0
            targets[index].gaps = targets[index].gaps.flatMap { gap in
                let rest = remaining(target, gap)
                if rest != [gap] { held += 1 }
                return rest
            }
            if held > 0 { baselined[target] = held }
        }
    }

    /// Each target's gaps; with `application` (`--with`), its target is judged on what the
    /// platform deploys of the application's own files and Palisade's together.
    public init(_ policy: Policy, targets: [TargetName], application: (target: TargetName, files: [ApplicationFile])? = nil) {
        self.policy = policy
        // Targets are independent: emitted and read back concurrently, reported in order.
        let backends = targets.compactMap(BackendRegistry.backend(for:))
        self.targets = TargetEmitter.concurrently(backends.map(\.target)) { index in
            Self.result(policy, with: backends[index], application: application)
        }
    }

    /// One target's result: emitted, its files read back (with the application's own, for its
    /// target), its gaps and the expectations judged on what it reads back.
    static func result(_ policy: Policy, with backend: any Backend, application: (target: TargetName, files: [ApplicationFile])?) -> TargetResult {
        let target = backend.target
        let capabilities = TargetMatrix.capabilities(of: target)
        let outcome = TargetEmitter.emit(policy, with: backend)
        guard let emission = outcome.emission else {
            return TargetResult(target: target, gaps: [], emission: nil, error: outcome.error, capabilities: capabilities)
        }
        do {
            // The read-back relation, from the files as written.
            let files = application?.target == target ? application?.files : nil
            let (relation, applicationGaps) = try TargetEmitter.read(policy, with: backend, emission: emission, application: files)
            let gaps = emission.gaps + applicationGaps + Fidelity.expectationGaps(policy, target: target, relation: relation)
            return TargetResult(target: target, gaps: gaps, emission: emission, error: nil, capabilities: capabilities)
        } catch let error as BackendError {
            // The application's files (`--with`) refused, located in them.
            return TargetResult(target: target, gaps: [], emission: nil, error: error.diagnostic, capabilities: capabilities)
        } catch {
            let problem = Diagnostic.error(.invalidTargetOption, "\(target.rawValue): its own files do not read back: \(error)", at: policy.origin)
            return TargetResult(target: target, gaps: [], emission: nil, error: problem, capabilities: capabilities)
        }
    }

    /// The sections of a target's report, in order, with their gap kinds (of the gaps listed
    /// one by one; those outside the target's scope have a section of their own, counted per
    /// control).
    public static let sections: [(Gap.Kind, String)] = [
        (.widened, "allowed beyond the intent"),
        (.narrowed, "intended but blocked"),
        (.unenforced, "not enforced"),
        (.expectationFailed, "expectations that fail"),
        (.platformRequired, "added for the platform"),
    ]

    /// Gaps of one kind grouped by their reason (connection gaps) or control (others).
    public static func groups(_ gaps: [Gap]) -> [(String, [Gap])] {
        var order: [String] = []
        var byKey: [String: [Gap]] = [:]
        for gap in gaps {
            let key = isConnection(gap) ? gap.reason : gap.capability.rawValue
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(gap)
        }
        return order.map { ($0, byKey[$0] ?? []) }
    }

    /// Whether a gap is a widened or narrowed connection (listed under its reason).
    public static func isConnection(_ gap: Gap) -> Bool {
        if case .connection = gap.subject, gap.kind != .platformRequired { return true }
        return false
    }

    /// One gap without its target and, for connections, its reason: `web -> api on tcp/1-8999`.
    public static func line(_ gap: Gap) -> String {
        if isConnection(gap), let connection = gap.connection { return connection.description }
        return gap.statement
    }

    public static func location(_ gap: Gap) -> String { gap.origin.map { "\($0)" } ?? "" }

    /// A matrix cell for the gaps of one control on a target that enforces it as `support`
    /// says: `+N` widened, `-N` narrowed, `xN` unenforced, `!N` failed expectations; without
    /// any, `no` where the target does not cover the control at all (as `palisade targets`
    /// says), else `ok`. A control the target does not cover never reads `ok`.
    /// `counts`: the number of the control's gaps of each kind, by `Gap.Kind.caseIndex`.
    static func cell(counts: [Int], support: Support?) -> String {
        let marks: [(Gap.Kind, String)] = [(.widened, "+"), (.narrowed, "-"), (.unenforced, "x"), (.expectationFailed, "!")]
        let parts = marks.compactMap { kind, mark -> String? in
            let count = counts[kind.caseIndex]
            return count == 0 ? nil : "\(mark)\(count)"
        }
        if !parts.isEmpty { return parts.joined(separator: " ") }
        return support == Support.none ? "no" : "ok"
    }

    /// Per control, one cell per target (`n/a` where the target refused the spec). Each
    /// target's gaps are counted by control and kind in one pass, read in place: a large
    /// estate's target has over a hundred thousand, which a filter per control copied.
    public func matrixRows() -> [(Capability, [String])] {
        let kinds = Gap.Kind.allCases.count
        let counts = targets.map { result in
            var counts = [[Int]](repeating: [Int](repeating: 0, count: kinds), count: Capability.allCases.count)
            for index in result.gaps.indices { counts[result.gaps[index].capability.caseIndex][result.gaps[index].kind.caseIndex] += 1 }
            return counts
        }
        return Capability.allCases.map { capability in
            (
                capability,
                zip(targets, counts).map { result, counts in
                    result.error != nil ? "n/a" : Self.cell(counts: counts[capability.caseIndex], support: result.capabilities[capability])
                }
            )
        }
    }

    /// The intent as a graph, for the Markdown form's picture.
    public var intentGraph: IntentGraph { IntentGraph(policy) }

    /// What a target widens and blocks drawn over the intent; nil when it changes nothing.
    /// With `maxEdges`, nil too when the intent alone has more edges than that (the graph
    /// draws every edge of the intent, then what the target changes): nothing is drawn, or
    /// expanded pair by pair, that a report would not show.
    public func graph(of result: TargetResult, maxEdges: Int? = nil) -> IntentGraph? {
        guard let emission = result.emission, !(emission.widenedProducts.isEmpty && emission.narrowed.isEmpty) else { return nil }
        if let maxEdges, IntentGraph.edgeCount(of: policy.intent) > maxEdges { return nil }
        return IntentGraph(policy, target: result.target, emission: emission)
    }
}
