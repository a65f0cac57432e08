import Diagnostics
import IR
import TestSupport
import Testing

@testable import Analysis

/// `SpecDiff.flowOrigin` looks a change's flow up among the flows of its workload
/// (`FlowIndex`); it must find the flow a scan of every flow finds.
@Suite struct DiffFlowIndexTests {
    /// The first allow flow from `source` to `destination` (nil: the outside), scanning every
    /// flow in order, or else the workload's own origin: what `flowOrigin` answers.
    func scanned(_ policy: Policy, from source: String?, to destination: String?) -> SourceRange? {
        func id(_ name: String?) -> WorkloadID? { name.flatMap { name in policy.workloads.first { $0.name == name }?.id } }
        let sourceID = id(source)
        let destinationID = id(destination)
        for flow in policy.flows where flow.action == .allow {
            let fromMatches = sourceID.map { flow.sources.workloads.contains($0) } ?? !flow.sources.external.isEmpty
            let toMatches = destinationID.map { flow.destinations.workloads.contains($0) } ?? !flow.destinations.external.isEmpty
            if fromMatches, toMatches { return flow.origin }
        }
        let named = destination ?? source
        return named.flatMap { name in policy.workloads.first { $0.name == name }?.origin }
    }

    @Test func theIndexFindsTheFlowAScanOfEveryFlowFinds() throws {
        var rng = SeededGenerator(seed: 0x5EED_F10C)
        var compared = 0
        var found = 0
        for _ in 0..<150 {
            let policy = try #require(compileSpec(RandomSpec.generate(&rng)).policy)
            let diff = SpecDiff(old: policy, new: policy)
            let index = SpecDiff.FlowIndex(policy)
            let ends: [String?] = [nil] + policy.workloads.map(\.name)
            for source in ends {
                for destination in ends where source != nil || destination != nil {
                    let expected = scanned(policy, from: source, to: destination)
                    #expect(diff.flowOrigin(policy, index, from: source, to: destination) == expected, "\(source ?? "outside") -> \(destination ?? "outside")")
                    compared += 1
                    if let expected, policy.flows.contains(where: { $0.origin == expected }) { found += 1 }
                }
            }
        }
        // The comparison covers flows found as well as workloads' own origins.
        #expect(compared > 1_000)
        #expect(found > 200)
    }
}
