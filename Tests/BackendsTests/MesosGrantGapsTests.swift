import IR
import TestSupport
import Testing

@testable import Backends

/// Mesos's widened grant gaps (a task user shared with workloads of other segments), found
/// by marking the granted segments and their users by index, are the gaps the plain
/// set-based search finds, in the same order.
@Suite struct MesosGrantGapsTests {
    /// On every sample, and on samples whose workloads' task users and grants' segments are
    /// drawn at random (so that users are shared across segments).
    @Test(arguments: backendSamples)
    func widenedGrantGapsAreThePlainSearchs(sample: String) throws {
        let base = try samplePolicy(sample)
        var random = SeededGenerator(seed: 17)
        for round in 0..<20 {
            var policy = base
            if round > 0, !policy.identities.isEmpty {
                for index in policy.workloads.indices where Bool.random(using: &random) {
                    policy.workloads[index].identity = IdentityID(Int.random(in: 0..<policy.identities.count, using: &random))
                }
                for index in policy.grants.indices {
                    policy.grants[index].segments = policy.segments.indices.filter { _ in Bool.random(using: &random) }.map(SegmentID.init)
                }
            }
            for containerizer in MesosOptions.Containerizer.allCases {
                let settings = MesosOptions.parse(options(.mesos, .widen, ["containerizer": .string(containerizer.rawValue)])).options
                let widened = MesosBackend().grantGaps(policy, settings: settings).filter { $0.kind == .widened }
                #expect(widened.map(\.reason) == Self.widenedReasons(policy), "\(sample) round \(round)")
            }
        }
    }

    /// The reference: for each grant, every workload outside the granted segments whose task
    /// user runs in one of them, found with sets.
    static func widenedReasons(_ policy: Policy) -> [String] {
        var reasons: [String] = []
        for grant in policy.grants {
            let identity = policy.identity(grant.identity)
            let actions = policy.role(grant.role).effectiveActions
            let granted = Set(grant.segments)
            let users = Set(grant.segments.flatMap { policy.segments[$0.index].workloads.map { policy.workloads[$0.index].identity } })
            for workload in policy.workloads where !granted.contains(workload.segment) && users.contains(workload.identity) {
                let neutral = actions.filter { MesosACLs.neutral[$0] != nil }.sorted().map(\.rawValue)
                guard !neutral.isEmpty else { continue }
                reasons.append(
                    "grant of \(neutral.joined(separator: ", ")) to '\(identity.name)' also covers '\(workload.name)' in segment "
                        + "'\(policy.segments[workload.segment.index].name)': Mesos ACLs name task users, "
                        + "and '\(policy.identity(workload.identity).name)' runs there too")
            }
        }
        return reasons
    }
}
