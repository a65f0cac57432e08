import IR
import TestSupport
import Testing

@testable import Backends

/// `widenedByNetworks`, which computes what every port less an intent's ports leaves once per
/// distinct ports, gives what subtracting pair by pair gives.
@Suite struct WidenedByNetworksTests {
    /// The plain computation: every pair of every network (a workload with itself once), every
    /// port less the intent's, nothing for a pair the intent allows on every port.
    static func pairByPair(_ members: [[WorkloadID]], beyond intent: [WorkloadPair: PortSet]) -> [WorkloadPair: PortSet] {
        var result: [WorkloadPair: PortSet] = [:]
        var itself = Set<WorkloadID>()
        for network in members {
            for a in network {
                for b in network where a != b || itself.insert(a).inserted {
                    let left = PortSet.all.subtracting(intent[WorkloadPair(a, b)] ?? PortSet())
                    if !left.isEmpty { result[WorkloadPair(a, b)] = left }
                }
            }
        }
        return result
    }

    @Test func randomNetworksAndIntentsGiveThePairByPairDifference() {
        var random = SeededGenerator(seed: 67)
        let choices: [PortSet] = [
            .all, .whole(.tcp), PortSet([PortRange(.tcp, 80, 80)]), PortSet([PortRange(.tcp, 80, 90), PortRange(.udp, 53, 53)]), .whole(.icmp),
        ]
        for _ in 0..<200 {
            let workloads = Int.random(in: 1...12, using: &random)
            let members = (0..<Int.random(in: 0...6, using: &random)).map { _ in
                (0..<Int.random(in: 1...4, using: &random)).map { _ in WorkloadID(Int.random(in: 0..<workloads, using: &random)) }
            }
            var intent: [WorkloadPair: PortSet] = [:]
            for _ in 0..<Int.random(in: 0...30, using: &random) {
                let pair = WorkloadPair(WorkloadID(Int.random(in: 0..<workloads, using: &random)), WorkloadID(Int.random(in: 0..<workloads, using: &random)))
                intent[pair] = choices.randomElement(using: &random)!
            }
            #expect(widenedByNetworks(members, beyond: intent) == Self.pairByPair(members, beyond: intent))
        }
    }
}
