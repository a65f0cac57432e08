import IR
import TestSupport
import Testing

@testable import Backends

/// `OpenShiftPlan.workloadRules`, which finds a peer's port group by comparing (and through a
/// dictionary past a few groups), against grouping through a dictionary alone.
@Suite struct WorkloadRulesTests {
    /// The rules as they were built: every group found through a dictionary.
    static func reference(_ plan: OpenShiftPlan, _ peers: [(WorkloadID, PortSet)], namespace: String, table: OpenShiftPlan.PeerTable) -> [PolicyRule] {
        var groups: [(ports: PortSet, peers: [WorkloadID])] = []
        var position: [PortSet: Int] = [:]
        for (peer, ports) in peers {
            if let index = position[ports] {
                groups[index].peers.append(peer)
            } else {
                position[ports] = groups.count
                groups.append((ports, [peer]))
            }
        }
        return groups.compactMap { group in
            guard let entries = plan.policyPorts(group.ports) else { return nil }
            return PolicyRule(peers: group.peers.sorted().map { table.peer($0, from: namespace) }, ports: entries)
        }
    }

    /// Peers over few and over many distinct port sets (past the scanned groups), ICMP among
    /// them, in both namespaces.
    @Test func randomPeersGroupAsThroughADictionary() throws {
        let spec = """
            version: 1
            name: t
            segments: {front: {}, back: {}}
            identities: {a: {}}
            workloads:
            \((0..<12).map { "  w\($0): {image: nginx:1.25, segment: \($0 < 6 ? "front" : "back"), identity: a}" }.joined(separator: "\n"))
            """
        let policy = try #require(compileSpec(spec).policy)
        let plan = try OpenShiftPlan(policy: policy, options: OpenShiftBackend().options(of: policy))
        let table = plan.peerTable()
        var rng = SeededGenerator(seed: 67)
        for round in 0..<400 {
            let distinct = round.isMultiple(of: 2) ? 3 : 20
            let sets = (0..<distinct).map { index -> PortSet in
                index % 7 == 6 ? PortSet(PortRange(.icmp, 0, 0)) : PortSet(PortRange(.tcp, 1000 + index, 1000 + index + Int.random(in: 0...2, using: &rng)))
            }
            let peers = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                (WorkloadID(Int.random(in: 0..<12, using: &rng)), sets.randomElement(using: &rng)!)
            }
            for namespace in plan.namespaces.map(\.name) {
                #expect(plan.workloadRules(peers, namespace: namespace, table: table) == Self.reference(plan, peers, namespace: namespace, table: table))
            }
        }
    }
}
