import IR
import TestSupport
import Testing

@testable import Spec

/// `Policy.workload(named:)` halves the workloads, which the front end lists sorted by name; a
/// policy listed otherwise is still searched in order, and a name that is not there is nil.
@Suite struct WorkloadLookupTests {
    @Test func everyWorkloadIsFoundByNameSortedOrNot() throws {
        let names = (0..<57).map { "w\(($0 * 37) % 101)" } + ["a", "zz", "m-1", "m"]
        var spec = "version: 1\nname: t\nworkloads:\n"
        for name in names { spec += "  \(name): {image: nginx:1.25}\n" }
        var policy = try #require(compileSpec(spec).policy)
        #expect(policy.workloads.map(\.name) == policy.workloads.map(\.name).sorted())
        for order in 0..<3 {
            if order == 1 { policy.workloads.reverse() }
            if order == 2 {
                var rng = SeededGenerator(seed: 5)
                policy.workloads.shuffle(using: &rng)
            }
            for workload in policy.workloads { #expect(policy.workload(named: workload.name)?.id == workload.id, "order \(order)") }
            for missing in ["", "0", "w", "w1000", "zzz", "M"] { #expect(policy.workload(named: missing) == nil, "order \(order)") }
        }
    }
}
