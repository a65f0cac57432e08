import Diagnostics
import IR
import Spec
import TestSupport
import Testing

@testable import Backends

/// The contract of every backend, on randomized specs (deny flows, overlapping ranges, IPv6,
/// ICMP, dns: names): the reported gaps are exactly the difference between what the files
/// allow and the intent; `gaps: widen` never allows less than `gaps: narrow`; under
/// `gaps: widen` the intent is allowed, and under `gaps: narrow` nothing beyond it, except for
/// the kinds of connections each backend's README names as impossible to carry (widen) or to
/// avoid (narrow) on its platform. The backends' own tests pin those exceptions down further.
@Suite struct PropertyTests {
    /// Connection kinds a target may block under `gaps: widen`, and why.
    static let widenMayBlock: [TargetName: Set<ConnectionKind>] = [
        // Clients reach pods through load balancers and routes (no ICMP, at most 100 ports);
        // addresses of the cluster networks are pods, not external peers.
        .openshift: [.ingress, .egress],
        // The routing mesh carries no ICMP.
        .swarm: [.ingress],
        // Published ports carry no ICMP either.
        .mesos: [.ingress],
        .aws: [], .gcp: [], .azure: [],
        // As OpenShift: clients come through Services (no ICMP, at most 100 ports); the
        // cluster networks are no external peers.
        .kubernetes: [.ingress, .egress],
        .nftables: [],
    ]

    /// Connection kinds a target may allow beyond the intent under `gaps: narrow`, and why.
    static let narrowMayAllow: [TargetName: Set<ConnectionKind>] = [
        .openshift: [],
        // A service's replicas share its networks; published ports imply egress.
        .swarm: [.betweenWorkloads, .egress],
        // Tasks of one app share its network; egress is the CNI network's, outside Marathon.
        .mesos: [.betweenWorkloads, .egress],
        .aws: [],
        // Traffic between workloads leaves through the internal ranges' egress rules.
        .gcp: [.egress],
        .azure: [],
        .kubernetes: [],
        .nftables: [],
    ]

    static func kinds(_ relation: Relation) -> Set<ConnectionKind> {
        var kinds = Set<ConnectionKind>()
        if !relation.betweenWorkloads.isEmpty { kinds.insert(.betweenWorkloads) }
        if !relation.ingress.isEmpty { kinds.insert(.ingress) }
        if !relation.egress.isEmpty { kinds.insert(.egress) }
        return kinds
    }

    @Test(arguments: BackendRegistry.all.map(\.target))
    func readBackDiffersFromTheIntentByExactlyTheReportedGaps(target: TargetName) throws {
        let backend = try #require(BackendRegistry.backend(for: target))
        var rng = SeededGenerator(seed: 77)
        for round in 0..<30 {
            let text = RandomSpec.generate(&rng)
            let policy = try #require(compileSpec(text).policy, "round \(round)")
            let (widen, readWiden) = try checkRoundTrip(backend, policy, options(target, .widen))
            let (narrow, readNarrow) = try checkRoundTrip(backend, policy, options(target, .narrow))
            #expect(readNarrow.relation.subtracting(readWiden.relation).isEmpty, "\(target) round \(round): narrow allows what widen does not")
            #expect(
                Self.kinds(widen.narrowed).isSubset(of: Self.widenMayBlock[target]!),
                "\(target) round \(round): widen blocks \(Self.kinds(widen.narrowed))\n\(text)")
            #expect(
                Self.kinds(narrow.widened).isSubset(of: Self.narrowMayAllow[target]!),
                "\(target) round \(round): narrow allows \(Self.kinds(narrow.widened))\n\(text)")
        }
    }

    @Test func everyRegisteredBackendIsCovered() {
        #expect(Set(BackendRegistry.all.map(\.target)) == Set(TargetName.allCases))
        #expect(Set(Self.widenMayBlock.keys) == Set(TargetName.allCases))
        #expect(Set(Self.narrowMayAllow.keys) == Set(TargetName.allCases))
    }
}
